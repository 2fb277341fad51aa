// Input number `index` of a run with seed `seed`: a pure function of both, so the harness can
// regenerate any input from its index (the watchdog does, for a worker it had to kill).
//
// One index in four walks the systematic list (every truncation and every boundary byte of the
// real frames) until it is exhausted; the others pick a seed from the pool and stack 1–4 random
// mutations on it, or take it unmutated, or make random bytes under a plausible header.

import type { FuzzInput } from "./oracles.ts";
import { type Sites, findSites, mutate } from "./mutators.ts";
import { Prng } from "./prng.ts";
import type { SeedPool } from "./seed-pool.ts";

export interface GeneratedInput {
  input: FuzzInput;
  /** How it was made: the seed's name and the mutations, for reports. */
  origin: string;
}

const sitesCache = new WeakMap<SeedPool, Map<number, Sites>>();

function sitesOf(pool: SeedPool, index: number): Sites {
  let cache = sitesCache.get(pool);
  if (cache === undefined) {
    cache = new Map();
    sitesCache.set(pool, cache);
  }
  let sites = cache.get(index);
  if (sites === undefined) {
    const entry = pool.entries[index]!;
    sites = findSites(entry.side, entry.bytes, entry.legacy);
    cache.set(index, sites);
  }
  return sites;
}

function splitsFor(rng: Prng, length: number): number[] {
  if (length < 2 || rng.chance(0.2)) return [];
  const count = rng.between(1, 4);
  const points = new Set<number>();
  for (let i = 0; i < count; i++) points.add(rng.pick([1, 7, 8, 9, rng.between(1, length - 1), rng.between(1, length - 1)]) % length);
  // Sometimes one byte at a time near the start: headers torn at every position.
  if (rng.chance(0.1)) for (let i = 1; i < Math.min(length, 17); i++) points.add(i);
  return [...points].filter((p) => p > 0).sort((a, b) => a - b);
}

export function makeInput(pool: SeedPool, seed: number, index: number): GeneratedInput {
  const rng = new Prng(seed, index);
  const systematic = index % 4 === 0 ? pool.systematic[index / 4] : undefined;
  if (systematic !== undefined) {
    const entry = pool.entries[systematic.entry]!;
    const bytes = systematic.kind === "truncate" ? entry.bytes.slice(0, systematic.at) : entry.bytes.slice();
    if (systematic.kind === "byte") bytes[systematic.at] = systematic.value;
    return {
      input: { side: entry.side, bytes, legacy: entry.legacy, allowInternal: entry.allowInternal, splits: splitsFor(rng, bytes.length) },
      origin: `${entry.name} ${systematic.kind}@${systematic.at}${systematic.kind === "byte" ? `=0x${systematic.value.toString(16)}` : ""}`,
    };
  }

  const entryIndex = rng.below(pool.entries.length);
  const entry = pool.entries[entryIndex]!;
  const roll = rng.below(100);
  let bytes: Uint8Array;
  let origin: string;
  if (roll < 6) {
    bytes = entry.bytes;
    origin = `${entry.name} unmutated`;
  } else if (roll < 10) {
    // Random body under a header that claims exactly its length and a real type.
    const words = rng.below(12);
    bytes = rng.bytes(8 + words * 8);
    new DataView(bytes.buffer).setUint32(0, words, true);
    bytes[4] = rng.below(22);
    bytes[5] = rng.below(3);
    origin = "random body";
  } else {
    const mutated = mutate(entry.bytes, {
      rng,
      sites: sitesOf(pool, entryIndex),
      other: () => pool.entries[rng.below(pool.entries.length)]!.bytes,
    });
    bytes = mutated.bytes;
    origin = `${entry.name} ${mutated.steps.join("+")}`;
  }
  const side = rng.chance(0.9) ? entry.side : entry.side === "request" ? "response" : "request";
  return {
    input: {
      side,
      bytes,
      legacy: entry.legacy,
      allowInternal: entry.allowInternal || rng.chance(0.1),
      splits: splitsFor(rng, bytes.length),
    },
    origin,
  };
}
