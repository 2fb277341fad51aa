/// <reference types="node" />
// Real dqlite nodes for tests, the demo and benchmarks: `dqlite-demo` processes (Debian package
// `go-dqlite`) on free loopback ports, each with a fresh data directory, started until they
// answer and stopped without leaving a process or a directory behind.
//
// What the real node does (dqlite-demo 1.11.5 here), which shapes this module:
// - It creates `<dir>/<db address>/` for its raft data, so a restart on the same ports and
//   directory finds its state again, and the ports must stay the same across a restart.
// - A bind failure on either port makes it exit at once with status 1 and a message naming the
//   address ("failed to set bind address", "address already in use"): then new ports are tried.
// - It opens the HTTP API port only after it has joined the cluster and created its "demo"
//   database, so "the API port accepts" is the strongest readiness signal it gives.
// - SIGTERM makes it hand leadership over and exit, which takes 1.5–2 s.

import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import {
  type ClusterFormOptions,
  type ClusterProbe,
  type NodeCluster,
  type NodeHandle,
  DEFAULT_STARTUP_TIMEOUT_MS,
  LOOPBACK,
  MAX_PORT_ATTEMPTS,
  NodeProcess,
  PROBE_TIMEOUT_MS,
  PortTakenError,
  firstExecutable,
  formCluster,
  freePorts,
} from "./node-process.ts";
import { probeCluster, probeLeader, splitAddress } from "./raw-probe.ts";
import { trackDir, untrackDir } from "./process-reaper.ts";

const INSTALL_HINT = "install with: apt-get install -y go-dqlite";
/** Plain LEADER and CLUSTER probes (dqlite-demo listens without TLS). */
const PLAIN_PROBE: ClusterProbe = { leader: probeLeader, cluster: probeCluster };

export interface StartNodeOptions {
  /** Database addresses of existing members to join ("HOST:PORT"). */
  join?: readonly string[];
  /** Path of dqlite-demo. Default: `$DQLITE_DEMO`, then /usr/bin/dqlite-demo, then `$PATH`. */
  binary?: string;
  /** Bound on a start or restart, until the node answers. Default 15 000 ms. */
  startupTimeoutMs?: number;
  /** How long `stop()` and `restart()` wait after SIGTERM before SIGKILL. Default 5 000 ms. */
  stopGraceMs?: number;
  /** Passes `--verbose`; the log is then in `output()`. */
  verbose?: boolean;
}

export interface DqliteNode extends NodeHandle {
  /** The node's HTTP key/value API (GET/PUT /KEY), "127.0.0.1:PORT". */
  readonly apiAddress: string;
  /** The data directory (dqlite-demo puts its raft state in `<dir>/<address>/`). */
  readonly dir: string;
}

export interface StartClusterOptions extends Omit<StartNodeOptions, "join">, ClusterFormOptions {}

export type DqliteCluster = NodeCluster<DqliteNode>;

/** Where dqlite-demo is, or an Error that says how to install it. */
export function findDqliteDemo(): string {
  const candidates: string[] = [];
  const fromEnv = process.env["DQLITE_DEMO"];
  if (fromEnv !== undefined && fromEnv !== "") candidates.push(fromEnv);
  candidates.push("/usr/bin/dqlite-demo");
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "") candidates.push(join(dir, "dqlite-demo"));
  }
  const found = firstExecutable(candidates);
  if (found !== undefined) return found;
  throw new Error(`dqlite-demo not found (looked in $DQLITE_DEMO, /usr/bin and $PATH); ${INSTALL_HINT}`);
}

/** Starts one dqlite-demo node on free loopback ports and waits until it answers. */
export async function startNode(options: StartNodeOptions = {}): Promise<DqliteNode> {
  const binary = options.binary ?? findDqliteDemo();
  const dir = mkdtempSync(join(tmpdir(), "dqlite-wire-node-"));
  trackDir(dir);
  const deadline = Date.now() + (options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
    const [dbPort, apiPort] = await freePorts(2);
    const node = new DemoProcess(binary, dir, `${LOOPBACK}:${dbPort}`, `${LOOPBACK}:${apiPort}`, options);
    try {
      await node.launch(deadline);
      return node;
    } catch (error) {
      lastError = error as Error;
      if (!(error instanceof PortTakenError) || Date.now() >= deadline) break;
      // Another process won the race for one of the ports: start over with new ones.
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  untrackDir(dir);
  throw lastError ?? new Error("dqlite-demo did not start");
}

/**
 * Starts `size` nodes: the first bootstraps a cluster, the others join it. Resolves once every
 * node is listed by the cluster and the cluster has its voters (go-dqlite promotes up to three).
 */
export async function startCluster(size = 3, options: StartClusterOptions = {}): Promise<DqliteCluster> {
  const start = (join: readonly string[] | undefined) => startNode(join === undefined ? options : { ...options, join });
  return formCluster(size, start, PLAIN_PROBE, options.formTimeoutMs);
}

class DemoProcess extends NodeProcess implements DqliteNode {
  protected readonly label = "dqlite-demo";
  protected readonly installHint = INSTALL_HINT;

  constructor(
    binary: string,
    dir: string,
    address: string,
    readonly apiAddress: string,
    private readonly options: StartNodeOptions,
  ) {
    super(binary, dir, address, options);
  }

  protected args(): string[] {
    const args = ["--api", this.apiAddress, "--db", this.address, "--dir", this.dir];
    for (const peer of this.options.join ?? []) args.push("--join", peer);
    if (this.options.verbose === true) args.push("--verbose");
    return args;
  }

  /** Handshake + LEADER on the dqlite port answers, and the API port accepts. */
  protected async probe(): Promise<void> {
    await probeLeader(this.address, PROBE_TIMEOUT_MS);
    await acceptsConnection(this.apiAddress, PROBE_TIMEOUT_MS);
  }
}

function acceptsConnection(address: string, timeoutMs: number): Promise<void> {
  const { host, port } = splitAddress(address);
  return new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${address} did not accept within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
