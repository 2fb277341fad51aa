// The WASM engine under Deno (no permission flags), Bun and Node 22 and 24: runs the smoke script of
// test/rows/runtimes/ in each and requires its "ok" line. Deno and Bun come from npm.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { NODE_RELEASES, NODE_TYPESCRIPT_ARGS, nodeReleaseBinary } from "../support/runtime-script.ts";

const run = promisify(execFile);
const SCRIPT = "test/rows/runtimes/rows-smoke.ts";

describe("row engines in other runtimes", () => {
  it("Deno loads the WASM engine without permissions", async () => {
    const { stdout } = await run("npx", ["deno", "run", SCRIPT], { timeout: 60_000 });
    expect(stdout).toMatch(/^ok rows engines on deno \(wasm(-simd)?\)$/m);
  });

  it("Bun loads the WASM engine", async () => {
    const { stdout } = await run("npx", ["bun", SCRIPT], { timeout: 60_000 });
    expect(stdout).toMatch(/^ok rows engines on bun \(wasm(-simd)?\)$/m);
  });

  it.each(NODE_RELEASES)("Node %s loads the WASM engine", async (release) => {
    const { stdout } = await run(nodeReleaseBinary(release), [...NODE_TYPESCRIPT_ARGS, SCRIPT], { timeout: 60_000 });
    expect(stdout).toMatch(/^ok rows engines on node \(wasm(-simd)?\)$/m);
  });
});
