// The real dqlite node a live benchmark runs against (`--node 1.11|1.18`): Debian's dqlite-demo
// (dqlite 1.11) by default, or the rig's bare node of dqlite 1.18 built from source.

import { BARE_NODE_DQLITE_VERSION, type NodeHandle, startBareNode, startNode } from "../src/testing/index.ts";

export type BenchNodeVersion = "1.11" | "1.18";

/** The version `--node` names in `args` (default 1.11); throws on anything else. */
export function benchNodeVersion(args: readonly string[]): BenchNodeVersion {
  const at = args.indexOf("--node");
  const asked = at >= 0 ? args[at + 1] : "1.11";
  if (asked !== "1.11" && asked !== "1.18") throw new Error(`--node takes 1.11 or 1.18, got ${String(asked)}`);
  return asked;
}

/** What a benchmark line says of its node. */
export function describeBenchNode(version: BenchNodeVersion): string {
  return version === "1.18" ? `a dqlite ${BARE_NODE_DQLITE_VERSION} node (dqlite-bare-node)` : "a dqlite-demo node (dqlite 1.11.1)";
}

/** One node of `version` on a free loopback port. */
export function startBenchNode(version: BenchNodeVersion): Promise<NodeHandle> {
  return version === "1.18" ? startBareNode() : startNode();
}
