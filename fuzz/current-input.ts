// The input a worker is checking, mirrored into shared memory before each check. When the
// watchdog has to kill a worker stuck on an input (or the worker dies of it), the main thread
// reads the input from here: it never has to rebuild the seed pool itself, which could be the
// very thing that is stuck.

import type { FuzzInput } from "./oracles.ts";

const MAX_SPLITS = 64;
/** Inputs longer than this are recorded by index only. */
export const MAX_MIRRORED_BYTES = 1024 * 1024;
// Int32 fields: [length, side (0 request, 1 response), legacy, allowInternal, splits, ...splits]
const FIELDS = 5 + MAX_SPLITS;

export function newInputMirror(): SharedArrayBuffer {
  return new SharedArrayBuffer(FIELDS * 4 + MAX_MIRRORED_BYTES);
}

export function writeInput(mirror: SharedArrayBuffer, input: FuzzInput): void {
  const fields = new Int32Array(mirror, 0, FIELDS);
  const length = input.bytes.length <= MAX_MIRRORED_BYTES ? input.bytes.length : -1;
  const splits = input.splits.slice(0, MAX_SPLITS);
  fields[1] = input.side === "request" ? 0 : 1;
  fields[2] = input.legacy ? 1 : 0;
  fields[3] = input.allowInternal ? 1 : 0;
  fields[4] = splits.length;
  fields.set(splits, 5);
  if (length >= 0) new Uint8Array(mirror, FIELDS * 4, length).set(input.bytes);
  fields[0] = length;
}

/** The mirrored input, or undefined when it was too long to mirror. */
export function readInput(mirror: SharedArrayBuffer): FuzzInput | undefined {
  const fields = new Int32Array(mirror, 0, FIELDS);
  const length = fields[0]!;
  if (length < 0) return undefined;
  return {
    side: fields[1] === 0 ? "request" : "response",
    legacy: fields[2] === 1,
    allowInternal: fields[3] === 1,
    splits: Array.from(fields.subarray(5, 5 + fields[4]!)),
    bytes: new Uint8Array(mirror, FIELDS * 4, length).slice(),
  };
}
