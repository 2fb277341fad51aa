// The frames mutations start from: frames recorded from a real dqlite node
// (test/corpus/seeds/ from dqlite 1.11, test/corpus/seeds-1.18/ from 1.18, written by
// scripts/record-seeds.mjs), the golden vectors of the protocol
// reference, and frames encoded from fast-check's message generators (including multi-frame
// ROWS results, PART … DONE). The pool is a pure function of the run seed.

import { readFileSync, readdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { encodeMessage } from "../src/messages/codec.ts";
import type { Side } from "../src/messages/codes.ts";
import type { Tuple } from "../src/values/cell.ts";
import { messageArb, rowsArb } from "../test/support/arbitraries.ts";
import { goldenVectors } from "../test/vectors/protocol-examples.ts";
import { fromHex } from "./same.ts";

export interface PoolEntry {
  name: string;
  side: Side;
  bytes: Uint8Array;
  legacy: boolean;
  allowInternal: boolean;
  /** Recorded from a real node or a golden vector (the systematic mutations run on these). */
  real: boolean;
}

/** The repository root: the nearest folder above this file holding test/corpus. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "test", "corpus"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the repository root (a folder with package.json and test/corpus)");
}

interface SeedFile {
  name: string;
  side: Side;
  hex: string;
  legacy?: boolean;
  allowInternal?: boolean;
}

/** Where the recorded seeds are, by the dqlite version that answered them (scripts/record-seeds.mjs). */
const RECORDED_SEED_DIRS = [
  { dir: "seeds", prefix: "seed" },
  { dir: "seeds-1.18", prefix: "seed-1.18" },
] as const;

export function recordedSeeds(root = repoRoot()): PoolEntry[] {
  return RECORDED_SEED_DIRS.flatMap(({ dir, prefix }) => {
    const path = join(root, "test", "corpus", dir);
    return readdirSync(path)
      .filter((file) => file.endsWith(".json"))
      .sort()
      .map((file) => {
        const seed = JSON.parse(readFileSync(join(path, file), "utf8")) as SeedFile;
        return {
          name: `${prefix}:${seed.name}`,
          side: seed.side,
          bytes: fromHex(seed.hex),
          legacy: seed.legacy === true,
          allowInternal: seed.allowInternal === true,
          real: true,
        };
      });
  });
}

export function goldenSeeds(): PoolEntry[] {
  return goldenVectors.map((vector) => ({
    name: `golden:${vector.name}`,
    side: vector.side,
    bytes: fromHex(vector.hex),
    legacy: vector.legacy === true,
    allowInternal: false,
    real: true,
  }));
}

/** A ROWS result cut into frames: every frame repeats the names, all but the last end in PART. */
function multiFrameRows(columns: string[], rows: Tuple[], frames: number): Uint8Array {
  const parts: Uint8Array[] = [];
  const per = Math.max(1, Math.ceil(rows.length / frames));
  for (let i = 0; i < frames; i++) {
    const slice = rows.slice(i * per, (i + 1) * per);
    parts.push(encodeMessage("response", { type: "ROWS", columns, rows: slice, marker: i === frames - 1 ? "DONE" : "PART" }));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function generatedSeeds(seed: number, perSide: number): PoolEntry[] {
  const out: PoolEntry[] = [];
  for (const side of ["request", "response"] as const) {
    const samples = fc.sample(messageArb(side), { seed: seed ^ (side === "request" ? 0x5eed : 0xf00d), numRuns: perSide });
    samples.forEach((generated, i) => {
      try {
        out.push({
          name: `generated:${side}:${generated.message["type"] as string}:${i}`,
          side,
          bytes: encodeMessage(side, generated.message as never, { legacy: generated.legacy }),
          legacy: generated.legacy,
          allowInternal: true,
          real: false,
        });
      } catch {
        // The generators may build a message the encoder refuses; such a message is no seed.
      }
    });
  }
  const results = fc.sample(fc.tuple(rowsArb, fc.integer({ min: 1, max: 4 })), { seed: seed ^ 0x7e57, numRuns: Math.ceil(perSide / 4) });
  results.forEach(([result, frames], i) => {
    if (result.columns.length === 0) return;
    try {
      out.push({
        name: `generated:rows-result:${frames}-frames:${i}`,
        side: "response",
        bytes: multiFrameRows(result.columns, [...result.rows], frames),
        legacy: false,
        allowInternal: false,
        real: false,
      });
    } catch {
      // As above.
    }
  });
  return out;
}

export interface SeedPool {
  entries: PoolEntry[];
  /** Inputs made by systematic mutation of the real frames (every truncation, every byte). */
  systematic: { entry: number; kind: "truncate" | "byte"; at: number; value: number }[];
}

const SYSTEMATIC_TRUNCATE_MAX_BYTES = 1024;
const SYSTEMATIC_BYTE_MAX_BYTES = 256;
const BOUNDARY_BYTES = [0x00, 0xff, 0x80];

export function buildPool(seed: number, generatedPerSide = 600): SeedPool {
  const entries = [...recordedSeeds(), ...goldenSeeds(), ...generatedSeeds(seed, generatedPerSide)];
  const systematic: SeedPool["systematic"] = [];
  entries.forEach((entry, index) => {
    if (!entry.real) return;
    if (entry.bytes.length <= SYSTEMATIC_TRUNCATE_MAX_BYTES) {
      for (let at = 0; at < entry.bytes.length; at++) systematic.push({ entry: index, kind: "truncate", at, value: 0 });
    }
    if (entry.bytes.length <= SYSTEMATIC_BYTE_MAX_BYTES) {
      for (let at = 0; at < entry.bytes.length; at++) {
        for (const value of BOUNDARY_BYTES) if (entry.bytes[at] !== value) systematic.push({ entry: index, kind: "byte", at, value });
      }
    }
  });
  return { entries, systematic };
}
