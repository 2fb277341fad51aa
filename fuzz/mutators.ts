// Mutations of frames. Blind ones (bit flips, boundary bytes, truncation, extension, splices) and
// structure-aware ones that know where the counts, lengths, type codes and markers of a frame
// are (found with inspectFrame on the unmutated frame), so that a lie lands on the field that
// sizes an allocation or a loop: column, param, node and file counts, blob lengths and file
// sizes set to 0, 1, max-1, max, 2^32-1, 2^64-1; type nibbles and codes out of range; PART/DONE
// markers torn, swapped, moved, doubled or dropped.

import { DEFAULT_LIMITS } from "../src/limits.ts";
import type { Side } from "../src/messages/codes.ts";
import { inspectFrame } from "../src/messages/inspect.ts";
import type { Message } from "../src/messages/types.ts";
import type { Tuple } from "../src/values/cell.ts";
import type { Prng } from "./prng.ts";

const pad8 = (n: number) => Math.ceil(n / 8) * 8;
const utf8 = new TextEncoder();

/** Where a lie can be told in a frame. Offsets are absolute in the input. */
export interface Sites {
  frames: { start: number; bytes: number }[];
  /** Count and length fields: position, width in bytes, and the cap that bounds them. */
  counts: { at: number; width: 1 | 4 | 8; cap: number }[];
  /** Row headers: position and column count. */
  rowHeaders: { at: number; columns: number }[];
  /** Params type bytes. */
  typeBytes: number[];
  markers: number[];
  /** NUL terminators of text fields. */
  nuls: number[];
}

function cellsSites(tuple: Tuple, at: number, sites: Sites, cap: number): number {
  let pos = at;
  tuple.types.forEach((type, i) => {
    const value = tuple.values[i];
    if (type === 3 || type === 10) {
      const length = utf8.encode(value as string).length;
      sites.nuls.push(pos + length);
      pos += pad8(length + 1);
    } else if (type === 4) {
      sites.counts.push({ at: pos, width: 8, cap });
      pos += 8 + pad8((value as Uint8Array).length);
    } else pos += 8;
  });
  return pos;
}

function frameSites(side: Side, frame: Uint8Array, start: number, legacy: boolean, sites: Sites): void {
  const inspected = inspectFrame(side, frame, { intMode: "bigint", legacy, allowInternal: true });
  const message = inspected.message as (Message & Record<string, unknown>) | undefined;
  if (message === undefined) return;
  const schema = frame[5]!;
  for (const span of inspected.fields) {
    const at = start + span.start;
    const path = span.path;
    if (/\.(columns|nodes|files)$/.test(path)) {
      const cap = path.endsWith("columns")
        ? DEFAULT_LIMITS.maxColumns
        : path.endsWith("nodes")
          ? DEFAULT_LIMITS.maxNodes
          : DEFAULT_LIMITS.maxFiles;
      sites.counts.push({ at, width: 8, cap });
    } else if (/\.(paramCount|tailOffset|rowsAffected)$/.test(path)) {
      sites.counts.push({ at, width: 8, cap: DEFAULT_LIMITS.maxParams });
    } else if (path.endsWith(".params") && span.end > span.start) {
      const tuple = message["params"] as Tuple;
      const width = schema === 0 ? 1 : 4;
      sites.counts.push({ at, width, cap: schema === 0 ? 255 : DEFAULT_LIMITS.maxParams });
      for (let i = 0; i < tuple.types.length; i++) sites.typeBytes.push(at + width + i);
      cellsSites(tuple, at + pad8(width + tuple.types.length), sites, DEFAULT_LIMITS.maxValueBytes);
    } else if (/\.marker$/.test(path)) {
      sites.markers.push(at);
    } else if (/\.rows\[\d+\]$/.test(path)) {
      const index = Number(/\[(\d+)\]$/.exec(path)![1]);
      const row = (message["rows"] as Tuple[])[index]!;
      const columns = row.types.length;
      sites.rowHeaders.push({ at, columns });
      cellsSites(row, at + pad8(Math.ceil(columns / 2)), sites, DEFAULT_LIMITS.maxValueBytes);
    } else if (/\.files\[\d+\]$/.test(path)) {
      const index = Number(/\[(\d+)\]$/.exec(path)![1]);
      const file = (message["files"] as { name: string }[])[index]!;
      const nameBytes = utf8.encode(file.name).length;
      sites.nuls.push(at + nameBytes);
      sites.counts.push({ at: at + pad8(nameBytes + 1), width: 8, cap: DEFAULT_LIMITS.maxValueBytes });
    } else if (/\.(sql|name|address|message|vfs|columns\[\d+\])$/.test(path)) {
      const text = path.endsWith("]")
        ? (message["columns"] as string[])[Number(/\[(\d+)\]$/.exec(path)![1])]!
        : (message[path.slice(path.lastIndexOf(".") + 1)] as string | undefined);
      if (typeof text === "string") sites.nuls.push(at + utf8.encode(text).length);
    }
  }
}

/** Finds the frames of an input and the sites of each frame that decodes. */
export function findSites(side: Side, bytes: Uint8Array, legacy: boolean): Sites {
  const sites: Sites = { frames: [], counts: [], rowHeaders: [], typeBytes: [], markers: [], nuls: [] };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (bytes.length - at >= 8) {
    const frameBytes = 8 + view.getUint32(at, true) * 8;
    sites.frames.push({ start: at, bytes: Math.min(frameBytes, bytes.length - at) });
    if (frameBytes > bytes.length - at) break;
    frameSites(side, bytes.subarray(at, at + frameBytes), at, legacy, sites);
    at += frameBytes;
  }
  return sites;
}

// ---------------------------------------------------------------------------------------------

export interface MutationContext {
  rng: Prng;
  sites: Sites;
  /** Another frame to splice with. */
  other: () => Uint8Array;
}

type Mutator = (bytes: Uint8Array, ctx: MutationContext) => Uint8Array;

const BOUNDARY = [0x00, 0xff, 0x80, 0x7f, 0x01, 0xee, 0xfe];

function lyingValues(actual: bigint, cap: number, width: 1 | 4 | 8): bigint[] {
  const max = width === 1 ? 0xffn : width === 4 ? 0xffffffffn : 2n ** 64n - 1n;
  const values = [
    0n,
    1n,
    2n,
    7n,
    8n,
    BigInt(cap) - 1n,
    BigInt(cap),
    BigInt(cap) + 1n,
    actual - 1n,
    actual + 1n,
    actual * 2n,
    0x7fn,
    0x80n,
    0xffn,
    0x7fffffffn,
    0x80000000n,
    0xfffffffen,
    0xffffffffn,
    0x100000000n,
    2n ** 53n - 1n,
    2n ** 53n,
    2n ** 53n + 1n,
    2n ** 63n,
    2n ** 64n - 2n ** 53n,
    2n ** 64n - 2n ** 53n + 1n,
    2n ** 64n - 2n ** 53n - 1n,
    max - 1n,
    max,
  ];
  return values.filter((v) => v >= 0n && v <= max);
}

function readUint(bytes: Uint8Array, at: number, width: number): bigint {
  let value = 0n;
  for (let i = width - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i] ?? 0);
  return value;
}

function writeUint(bytes: Uint8Array, at: number, width: number, value: bigint): void {
  for (let i = 0; i < width && at + i < bytes.length; i++) {
    bytes[at + i] = Number((value >> BigInt(8 * i)) & 0xffn);
  }
}

/** Rewrites the first frame's size word to cover the whole input (rounded down to words). */
export function fixSizeWord(bytes: Uint8Array): Uint8Array {
  if (bytes.length < 8) return bytes;
  const out = bytes.slice();
  writeUint(out, 0, 4, BigInt(Math.floor((bytes.length - 8) / 8)));
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const bitFlip: Mutator = (bytes, { rng }) => {
  if (bytes.length === 0) return bytes;
  const out = bytes.slice();
  const flips = rng.between(1, 3);
  for (let i = 0; i < flips; i++) {
    const at = rng.below(out.length);
    out[at] = out[at]! ^ (1 << rng.below(8));
  }
  return out;
};

const boundaryByte: Mutator = (bytes, { rng }) => {
  if (bytes.length === 0) return bytes;
  const out = bytes.slice();
  out[rng.below(out.length)] = rng.pick(BOUNDARY);
  return out;
};

const truncate: Mutator = (bytes, { rng }) => bytes.slice(0, rng.below(bytes.length + 1));

const extend: Mutator = (bytes, { rng, other }) => {
  switch (rng.below(4)) {
    case 0:
      return concat(bytes, rng.bytes(rng.between(1, 24)));
    case 1:
      return concat(bytes, new Uint8Array(8 * rng.between(1, 3)).fill(rng.pick(BOUNDARY)));
    case 2: {
      const start = rng.below(bytes.length + 1);
      return concat(bytes, bytes.slice(start, start + rng.between(1, 64)));
    }
    default:
      return concat(bytes, other());
  }
};

const splice: Mutator = (bytes, { rng, other }) => {
  const b = other();
  const cutA = rng.below(bytes.length + 1);
  const cutB = rng.below(b.length + 1);
  switch (rng.below(3)) {
    case 0:
      return concat(bytes.subarray(0, cutA), b.subarray(cutB));
    case 1:
      // Whole frames back to back: the stream decoders must tell them apart.
      return concat(bytes, b);
    default: {
      const at = cutA & ~7;
      return concat(concat(bytes.subarray(0, at), b), bytes.subarray(at));
    }
  }
};

const lyingSize: Mutator = (bytes, { rng, sites }) => {
  const frame = sites.frames.length > 0 ? rng.pick(sites.frames) : { start: 0, bytes: bytes.length };
  if (frame.start + 4 > bytes.length) return bytes;
  const out = bytes.slice();
  const actual = BigInt(Math.max(0, (frame.bytes - 8) / 8));
  const capWords = Math.floor((DEFAULT_LIMITS.maxMessageBytes - 8) / 8);
  writeUint(out, frame.start, 4, rng.pick(lyingValues(actual, capWords, 4)));
  return out;
};

const lyingCount: Mutator = (bytes, ctx) => {
  const { rng, sites } = ctx;
  if (sites.counts.length === 0) return wordLie(bytes, ctx);
  const site = rng.pick(sites.counts);
  if (site.at + site.width > bytes.length) return bytes;
  const out = bytes.slice();
  writeUint(out, site.at, site.width, rng.pick(lyingValues(readUint(bytes, site.at, site.width), site.cap, site.width)));
  return out;
};

/** A lying uint64 or uint32 at a word boundary: every count and length in dqlite sits on one. */
const wordLie: Mutator = (bytes, { rng }) => {
  if (bytes.length < 16) return bytes;
  const out = bytes.slice();
  const at = 8 * rng.between(1, Math.floor(bytes.length / 8) - 1);
  const width = rng.chance(0.7) ? 8 : 4;
  writeUint(out, at, width, rng.pick(lyingValues(readUint(bytes, at, width), DEFAULT_LIMITS.maxColumns, width)));
  return out;
};

const INVALID_NIBBLES = [0, 6, 7, 8, 12, 13, 14, 15];
const INVALID_CODES = [0, 6, 7, 8, 9, 12, 15, 16, 0x80, 0xff];

const badType: Mutator = (bytes, { rng, sites }) => {
  const out = bytes.slice();
  const choice = rng.below(4);
  if (choice === 0 && sites.rowHeaders.length > 0) {
    const header = rng.pick(sites.rowHeaders);
    const column = rng.below(Math.max(1, header.columns + 1));
    const at = header.at + (column >> 1);
    if (at < out.length) {
      const nibble = rng.pick(INVALID_NIBBLES);
      out[at] = column & 1 ? (out[at]! & 0x0f) | (nibble << 4) : (out[at]! & 0xf0) | nibble;
    }
  } else if (choice === 1 && sites.typeBytes.length > 0) {
    const at = rng.pick(sites.typeBytes);
    if (at < out.length) out[at] = rng.pick(INVALID_CODES);
  } else if (choice === 2 && sites.frames.length > 0) {
    const frame = rng.pick(sites.frames);
    if (frame.start + 5 < out.length) out[frame.start + 4] = rng.pick([11, 12, 19, 20, 21, 0x7f, 0xff, rng.below(256)]);
  } else if (sites.frames.length > 0) {
    const frame = rng.pick(sites.frames);
    if (frame.start + 6 < out.length) out[frame.start + 5] = rng.pick([1, 2, 0xff]);
  }
  return out;
};

const DONE = new Uint8Array(8).fill(0xff);
const PART = new Uint8Array(8).fill(0xee);

const marker: Mutator = (bytes, { rng, sites }) => {
  if (sites.markers.length === 0) return bytes;
  const at = rng.pick(sites.markers);
  if (at + 8 > bytes.length) return bytes;
  const out = bytes.slice();
  switch (rng.below(5)) {
    case 0: {
      // Torn: some bytes of the marker changed.
      const torn = rng.between(1, 7);
      for (let i = 0; i < torn; i++) out[at + rng.below(8)] = rng.pick([0x00, 0xff, 0xee, 0x01]);
      return out;
    }
    case 1:
      out.set(out[at] === 0xff ? PART : DONE, at);
      return out;
    case 2: {
      // Moved earlier: a marker in the middle of the rows (the size word is fixed later).
      const rowStart = sites.rowHeaders.filter((h) => h.at < at);
      const target = rowStart.length > 0 ? rng.pick(rowStart).at : at;
      return concat(concat(bytes.subarray(0, target), rng.chance(0.5) ? DONE : PART), bytes.subarray(target));
    }
    case 3:
      // Doubled.
      return concat(concat(bytes.subarray(0, at + 8), rng.chance(0.5) ? DONE : PART), bytes.subarray(at + 8));
    default:
      // Dropped.
      return concat(bytes.subarray(0, at), bytes.subarray(at + 8));
  }
};

const textNul: Mutator = (bytes, { rng, sites }) => {
  if (sites.nuls.length === 0) return bytes;
  const at = rng.pick(sites.nuls);
  if (at >= bytes.length) return bytes;
  const out = bytes.slice();
  if (rng.chance(0.5)) {
    // The terminator removed: the text runs into its padding and the next field.
    out.fill(rng.pick([0x41, 0xff, 0x80, 0xc3]), at, Math.min(out.length, pad8(at + 1) + (rng.chance(0.5) ? 8 : 0)));
  } else if (at > 0) {
    out[at - 1 - rng.below(Math.min(at, 8))] = 0;
  }
  return out;
};

/** Words deleted, duplicated or inserted: shifts every later field. */
const wordShuffle: Mutator = (bytes, { rng }) => {
  if (bytes.length < 16) return bytes;
  const at = 8 * rng.between(1, Math.floor(bytes.length / 8) - 1);
  switch (rng.below(3)) {
    case 0:
      return concat(bytes.subarray(0, at), bytes.subarray(at + 8));
    case 1:
      return concat(bytes.subarray(0, at + 8), bytes.subarray(at));
    default: {
      const word = new Uint8Array(8);
      writeUint(word, 0, 8, rng.pick(lyingValues(0n, DEFAULT_LIMITS.maxColumns, 8)));
      return concat(concat(bytes.subarray(0, at), word), bytes.subarray(at));
    }
  }
};

const MUTATORS: { weight: number; name: string; run: Mutator }[] = [
  { weight: 3, name: "bitFlip", run: bitFlip },
  { weight: 3, name: "boundaryByte", run: boundaryByte },
  { weight: 2, name: "truncate", run: truncate },
  { weight: 1, name: "extend", run: extend },
  { weight: 2, name: "splice", run: splice },
  { weight: 2, name: "lyingSize", run: lyingSize },
  { weight: 4, name: "lyingCount", run: lyingCount },
  { weight: 2, name: "wordLie", run: wordLie },
  { weight: 3, name: "badType", run: badType },
  { weight: 3, name: "marker", run: marker },
  { weight: 2, name: "textNul", run: textNul },
  { weight: 2, name: "wordShuffle", run: wordShuffle },
];
const TOTAL_WEIGHT = MUTATORS.reduce((n, m) => n + m.weight, 0);

function pickMutator(rng: Prng): { name: string; run: Mutator } {
  let ticket = rng.below(TOTAL_WEIGHT);
  for (const mutator of MUTATORS) {
    if (ticket < mutator.weight) return mutator;
    ticket -= mutator.weight;
  }
  return MUTATORS[0]!;
}

/** Applies 1–4 mutations; the size word is often fixed afterwards so the body decoder runs. */
export function mutate(bytes: Uint8Array, ctx: MutationContext): { bytes: Uint8Array; steps: string[] } {
  let out = bytes;
  const steps: string[] = [];
  const count = ctx.rng.between(1, 4);
  for (let i = 0; i < count; i++) {
    const mutator = pickMutator(ctx.rng);
    out = mutator.run(out, ctx);
    steps.push(mutator.name);
  }
  if (out.length !== bytes.length && ctx.rng.chance(0.5) && ctx.sites.frames.length <= 1) {
    out = fixSizeWord(out);
    steps.push("fixSize");
  }
  return { bytes: out, steps };
}
