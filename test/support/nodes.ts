// The real dqlite nodes a test runs against, by version: Debian's dqlite-demo (dqlite 1.11) or a
// bare node of dqlite 1.18 built from source. The suite's "node" project runs every real-node
// test on 1.11; the "node-1.18" project runs the suites where the versions differ once more with
// DQLITE_NODE_VERSION=1.18 (vitest.config.ts lists them and says why).

import {
  BARE_NODE_DQLITE_VERSION,
  type NodeHandle,
  startBareCluster,
  startBareNode,
  startCluster as startDemoCluster,
  startNode as startDemoNode,
} from "../../src/testing/index.ts";

export type DqliteVersion = "1.11" | "1.18";

function versionFromEnvironment(): DqliteVersion {
  const asked = process.env["DQLITE_NODE_VERSION"] ?? "1.11";
  if (asked !== "1.11" && asked !== "1.18") throw new Error(`DQLITE_NODE_VERSION must be 1.11 or 1.18, got ${JSON.stringify(asked)}`);
  return asked;
}

/** The dqlite version this run's nodes have. */
export const NODE_VERSION: DqliteVersion = versionFromEnvironment();

/** The full release of this run's nodes, for messages ("1.11.1", "1.18.6"). */
export const NODE_RELEASE = NODE_VERSION === "1.18" ? BARE_NODE_DQLITE_VERSION : "1.11.1";

/** True when this run's nodes are a dqlite that reads RETURNING and schema-1 parameters (≥ 1.18.2). */
export const CURRENT_NODE = NODE_VERSION === "1.18";

export interface TestNodeOptions {
  /** Addresses of existing members to join. */
  join?: readonly string[];
  startupTimeoutMs?: number;
  stopGraceMs?: number;
}

export interface TestCluster<N extends NodeHandle = NodeHandle> {
  readonly nodes: readonly N[];
  readonly addresses: readonly string[];
  leader(timeoutMs?: number): Promise<N>;
  stop(): Promise<void>;
}

/** One node of this run's dqlite version on a free loopback port. */
export function startNode(options: TestNodeOptions = {}): Promise<NodeHandle> {
  return NODE_VERSION === "1.18" ? startBareNode(options) : startDemoNode(options);
}

/** A cluster of `size` nodes of this run's dqlite version, formed (every member listed, voters promoted). */
export function startCluster(size = 3, options: Omit<TestNodeOptions, "join"> & { formTimeoutMs?: number } = {}): Promise<TestCluster> {
  return NODE_VERSION === "1.18" ? startBareCluster(size, options) : startDemoCluster(size, options);
}

export type { NodeHandle };

/** A node of this run's version (the names the tests use). */
export type DqliteNode = NodeHandle;
export type DqliteCluster = TestCluster;
