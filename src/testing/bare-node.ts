/// <reference types="node" />
// Real nodes of a current dqlite: `dqlite-bare-node` (src/testing/bare-node/main.c) on libdqlite
// 1.18.6, built from its source archive by scripts/setup.sh. Beside the dqlite-demo nodes of
// Debian's 1.11 (dqlite-node.ts), they let every real-node test run against the dqlite that
// clusters run today.
//
// What the node does, which shapes this module:
// - It is dqlite and nothing more: no HTTP API, no automatic role management. Node id 1
//   bootstraps a one-node cluster; a node with another id starts empty and becomes a member when
//   the leader is asked to ADD it and ASSIGN it a role, which `join` does here with raw requests
//   (the rig does not lean on the client it is there to test).
// - It prints "ready ADDRESS version N" once dqlite runs, and keeps its raft state in its data
//   directory, so a restart on the same address and directory finds it again.
// - A bind failure exits at once, "failed to set bind address …": then new ports are tried.
// - SIGTERM stops the node at once (no handover): the others elect a leader as after a crash.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ClusterFormOptions,
  type ClusterProbe,
  type NodeCluster,
  type NodeHandle,
  DEFAULT_STARTUP_TIMEOUT_MS,
  LOOPBACK,
  MAX_PORT_ATTEMPTS,
  NodeProcess,
  POLL_INTERVAL_MS,
  PROBE_TIMEOUT_MS,
  type ProcessOptions,
  PortTakenError,
  findBuiltBinary,
  formCluster,
  freePorts,
  sleep,
} from "./node-process.ts";
import { probeAdd, probeAssign, probeCluster, probeLeader } from "./raw-probe.ts";
import { trackDir, untrackDir } from "./process-reaper.ts";

/** The dqlite release the rig builds (scripts/setup.sh) and this module starts. */
export const BARE_NODE_DQLITE_VERSION = "1.18.6";
const BINARY_NAME = "dqlite-bare-node";
const BUILD_HINT = `build it with: bash scripts/setup.sh (dqlite ${BARE_NODE_DQLITE_VERSION} from ../shared/vendor/dqlite-${BARE_NODE_DQLITE_VERSION}.tar.gz, then src/testing/bare-node/main.c)`;
const PLAIN_PROBE: ClusterProbe = { leader: probeLeader, cluster: probeCluster };
/** The id that bootstraps a cluster (dqlite's own rule). */
const BOOTSTRAP_ID = 1n;
const ROLE_VOTER = 0;

export interface StartBareNodeOptions extends ProcessOptions {
  /**
   * Addresses of existing members: the node starts empty and asks the leader to add it and make
   * it a voter. Without it the node bootstraps a cluster of its own.
   */
  join?: readonly string[];
  /** Path of dqlite-bare-node. Default: `$DQLITE_BARE_NODE`, then build/ of this checkout. */
  binary?: string;
}

export interface BareNode extends NodeHandle {
  /** The node's raft id (1 for the node that bootstrapped the cluster). */
  readonly id: bigint;
}

export interface StartBareClusterOptions extends Omit<StartBareNodeOptions, "join">, ClusterFormOptions {}

export type BareCluster = NodeCluster<BareNode>;

/** Where dqlite-bare-node is, or an Error that says how to build it. */
export function findBareNodeBinary(): string {
  return findBuiltBinary({
    name: BINARY_NAME,
    envVar: "DQLITE_BARE_NODE",
    buildPath: `dqlite-${BARE_NODE_DQLITE_VERSION}/bin/${BINARY_NAME}`,
    buildHint: BUILD_HINT,
  });
}

/**
 * Starts one node of dqlite 1.18 on a free loopback port and waits until it answers; with
 * `join`, until the cluster has made it a voter.
 */
export async function startBareNode(options: StartBareNodeOptions = {}): Promise<BareNode> {
  const binary = options.binary ?? findBareNodeBinary();
  const dir = mkdtempSync(join(tmpdir(), "dqlite-wire-bare-node-"));
  trackDir(dir);
  const joining = options.join !== undefined && options.join.length > 0;
  const id = joining ? randomNodeId() : BOOTSTRAP_ID;
  const deadline = Date.now() + (options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
    const [port] = await freePorts(1);
    const node = new BareNodeProcess(binary, dir, `${LOOPBACK}:${port}`, id, options);
    try {
      await node.launch(deadline);
      if (joining) await joinCluster(node, options.join!, deadline);
      return node;
    } catch (error) {
      lastError = error as Error;
      await node.stop().catch(() => {});
      if (!(error instanceof PortTakenError) || Date.now() >= deadline) break;
      // Another process won the race for the port: start over with a new one.
      mkdirSync(dir, { recursive: true });
      trackDir(dir);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  untrackDir(dir);
  throw lastError ?? new Error(`${BINARY_NAME} did not start`);
}

/**
 * Starts `size` nodes of dqlite 1.18: the first bootstraps a cluster, the others join it. Resolves
 * once every node is listed by the cluster and the first three are voters.
 */
export async function startBareCluster(size = 3, options: StartBareClusterOptions = {}): Promise<BareCluster> {
  const start = (join: readonly string[] | undefined) => startBareNode(join === undefined ? options : { ...options, join });
  return formCluster(size, start, PLAIN_PROBE, options.formTimeoutMs);
}

/**
 * Asks the leader (found from `peers`) to ADD `node` and ASSIGN it the voter role, retrying while
 * the cluster is busy with another configuration change (nodes joining at once) until `deadline`.
 * A cluster holding three voters already keeps the node a spare, as dqlite's own role rules would.
 */
async function joinCluster(node: BareNodeProcess, peers: readonly string[], deadline: number): Promise<void> {
  let added = false;
  let lastProblem = "no attempt yet";
  while (Date.now() < deadline) {
    try {
      const leader = await leaderOf(peers);
      if (!added) {
        await probeAdd(leader, node.id, node.address, PROBE_TIMEOUT_MS * 5);
        added = true;
      }
      const members = await probeCluster(leader, PROBE_TIMEOUT_MS);
      if (members.filter((member) => member.role === ROLE_VOTER).length >= 3) return;
      await probeAssign(leader, node.id, ROLE_VOTER, PROBE_TIMEOUT_MS * 5);
      return;
    } catch (error) {
      lastProblem = (error as Error).message;
      // An ADD whose reply was lost may have gone through: a second one is refused, so look.
      if (!added) added = await isListed(peers, node.address);
      await sleep(POLL_INTERVAL_MS * 2);
    }
  }
  throw new Error(`${node.address} (id ${node.id}) could not join ${peers.join(",")}: ${lastProblem}`);
}

async function leaderOf(peers: readonly string[]): Promise<string> {
  for (const peer of peers) {
    try {
      const leader = await probeLeader(peer, PROBE_TIMEOUT_MS);
      if (leader.address !== "") return leader.address;
    } catch {
      // Ask the next one.
    }
  }
  throw new Error(`no leader known to ${peers.join(",")}`);
}

async function isListed(peers: readonly string[], address: string): Promise<boolean> {
  try {
    return (await probeCluster(await leaderOf(peers), PROBE_TIMEOUT_MS)).some((member) => member.address === address);
  } catch {
    return false;
  }
}

/** A raft id for a joining node: anything but 0 and the bootstrap id, unique in practice. */
function randomNodeId(): bigint {
  return 2n + BigInt(Math.floor(Math.random() * Number.MAX_SAFE_INTEGER));
}

class BareNodeProcess extends NodeProcess implements BareNode {
  protected readonly label = BINARY_NAME;
  protected readonly installHint = BUILD_HINT;
  /** Set by the node's "ready" line, reset at every launch. */
  private ready = false;

  constructor(
    binary: string,
    dir: string,
    address: string,
    readonly id: bigint,
    options: ProcessOptions,
  ) {
    super(binary, dir, address, options);
  }

  protected override onOutput(text: string): void {
    if (/^ready /m.test(text)) this.ready = true;
  }

  protected args(): string[] {
    this.ready = false;
    return ["--id", String(this.id), "--address", this.address, "--dir", this.dir];
  }

  /** The node said it runs, and handshake + LEADER answers. */
  protected async probe(): Promise<void> {
    if (!this.ready) throw new Error("it has not printed its ready line yet");
    await probeLeader(this.address, PROBE_TIMEOUT_MS);
  }
}
