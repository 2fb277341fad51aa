// The fuzzer's findings as regression cases, and its seeds, replayed through every oracle of the
// harness (fuzz/oracles.ts): stateless decode on both sides and under every option that matters,
// re-encoding, inspectFrame, the incremental decoder whole and split, both row engines against
// each other and against the codec, and the allocation checks. A case passes when no oracle
// reports anything. The last test is a short fixed-seed fuzz run.

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { installAllocationTracker } from "../../fuzz/alloc-tracker.ts";
import { deserializeInput, loadCases } from "../../fuzz/corpus.ts";
import { makeInput } from "../../fuzz/generate.ts";
import { checkInput, type Finding } from "../../fuzz/oracles.ts";
import { buildPool, recordedSeeds, repoRoot } from "../../fuzz/seed-pool.ts";
import { decodeFrame } from "../../src/messages/codec.ts";

installAllocationTracker();

const root = repoRoot();
const cases = loadCases(join(root, "test", "corpus", "regressions"));

function describeFindings(findings: Finding[]): string[] {
  return findings.map((finding) => `${finding.kind}: ${finding.oracle}: ${finding.detail}`);
}

describe("regression cases found by the fuzzer", () => {
  it("the corpus folder holds cases", () => {
    expect(cases.length).toBeGreaterThan(0);
  });
  for (const { file, entry } of cases) {
    it(`${file} (${entry.finding.kind}: ${entry.finding.oracle})`, () => {
      expect(describeFindings(checkInput(deserializeInput(entry)))).toEqual([]);
    });
  }
});

describe("frames recorded from a real node", () => {
  const seeds = recordedSeeds(root);

  it("cover every response kind and every request the client sends", () => {
    const types = new Set(seeds.map((seed) => `${seed.side}:${seed.bytes[4]}`));
    for (let code = 0; code <= 10; code++) expect(types, `response type ${code}`).toContain(`response:${code}`);
    for (let code = 0; code <= 19; code++) expect(types, `request type ${code}`).toContain(`request:${code}`);
  });

  it("from dqlite 1.18 too: a schema-1 STMT with its tail offset, RETURNING's rows, FAILURE 1005 for HEARTBEAT, the probe's answer", () => {
    const decoded = (name: string) => {
      const seed = seeds.find((candidate) => candidate.name === `seed-1.18:${name}`);
      expect(seed, name).toBeDefined();
      const first = seed!.bytes.subarray(0, 8 + new DataView(seed!.bytes.buffer, seed!.bytes.byteOffset).getUint32(0, true) * 8);
      return decodeFrame(seed!.side, first, { intMode: "bigint" });
    };
    expect(decoded("response-prepare-v1")).toMatchObject({ type: "STMT", schema: 1, tailOffset: 9 });
    expect(decoded("response-query-sql-returning")).toMatchObject({ type: "ROWS", columns: ["rowid", "i", "s"], marker: "DONE" });
    expect(decoded("response-query-returning")).toMatchObject({ type: "ROWS", columns: ["s"], rows: [{ values: ["updated"] }] });
    expect(decoded("response-heartbeat")).toMatchObject({ type: "FAILURE", errorCode: 1005n, message: "unrecognized request type" });
    expect(decoded("response-exec-sql-probe")).toMatchObject({
      type: "FAILURE",
      errorCode: 1n,
      message: "rows yielded when none expected for EXEC request",
    });
    expect(decoded("response-exec-v1-params")).toMatchObject({ type: "FAILURE", errorCode: 1n });
    expect(decoded("response-query-v1-params")).toMatchObject({ type: "ROWS" });
  });

  for (const seed of seeds) {
    it(`${seed.name} decodes frame by frame and passes every oracle`, () => {
      const view = new DataView(seed.bytes.buffer, seed.bytes.byteOffset, seed.bytes.byteLength);
      let at = 0;
      while (at < seed.bytes.length) {
        const size = 8 + view.getUint32(at, true) * 8;
        const message = decodeFrame(seed.side, seed.bytes.subarray(at, at + size), {
          legacy: seed.legacy,
          allowInternal: seed.allowInternal,
          intMode: "bigint",
        });
        expect(message.code).toBe(seed.bytes[at + 4]);
        at += size;
      }
      expect(at).toBe(seed.bytes.length);
      const input = {
        side: seed.side,
        bytes: seed.bytes,
        legacy: seed.legacy,
        allowInternal: seed.allowInternal,
        splits: [1, 8, 9, Math.floor(seed.bytes.length / 2)],
      };
      expect(describeFindings(checkInput(input))).toEqual([]);
    });
  }
});

describe("a short fixed-seed fuzz run", () => {
  it("finds nothing in 300 inputs of seed 7", () => {
    const pool = buildPool(7, 100);
    const found: string[] = [];
    for (let index = 0; index < 300; index++) {
      const { input, origin } = makeInput(pool, 7, index);
      for (const line of describeFindings(checkInput(input))) found.push(`${index} (${origin}): ${line}`);
    }
    expect(found).toEqual([]);
  });
});
