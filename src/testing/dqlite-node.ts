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

import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer, connect, type Server } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { probeCluster, probeLeader, splitAddress } from "./raw-probe.ts";
import { trackDir, trackPid, untrackDir, untrackPid } from "./process-reaper.ts";

export { probeCluster, probeLeader, rawRequest, type RawFrame, type RawServer } from "./raw-probe.ts";

const LOOPBACK = "127.0.0.1";
const DEFAULT_STARTUP_TIMEOUT_MS = 15_000;
const DEFAULT_STOP_GRACE_MS = 5_000;
const DEFAULT_FORM_TIMEOUT_MS = 30_000;
/** Fresh starts that lose a port race (another process took the port) pick new ports this often. */
const MAX_PORT_ATTEMPTS = 5;
const POLL_INTERVAL_MS = 50;
const PROBE_TIMEOUT_MS = 1_000;
/** Bound on waiting for a paused (or resumed) process's threads to change state. */
const STOP_STATE_TIMEOUT_MS = 2_000;
/** How much of the node's stdout+stderr is kept for error messages. */
const OUTPUT_TAIL_CHARS = 4_000;
/** go-dqlite's app keeps this many voters; further members become standbys, then spares. */
const APP_VOTERS = 3;
const ROLE_VOTER = 0;
const INSTALL_HINT = "install with: apt-get install -y go-dqlite";

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

export interface DqliteNode {
  /** The dqlite protocol address, "127.0.0.1:PORT". */
  readonly address: string;
  /** The node's HTTP key/value API (GET/PUT /KEY), "127.0.0.1:PORT". */
  readonly apiAddress: string;
  /** The data directory (dqlite-demo puts its raft state in `<dir>/<address>/`). */
  readonly dir: string;
  /** The process id; a restart gives a new one. */
  readonly pid: number;
  /** False once the process has exited (stopped, killed, crashed). */
  readonly running: boolean;
  /** The last few KB of the node's stdout and stderr. */
  output(): string;
  /** SIGTERM, then SIGKILL after the grace period; removes the data directory. Idempotent. */
  stop(): Promise<void>;
  /** Sends a signal (default SIGKILL) to the process; the data directory stays. */
  kill(signal?: NodeJS.Signals): void;
  /**
   * SIGSTOP: the node keeps its sockets open but answers nothing. Resolves once every thread of
   * the process is stopped (a request sent right after the signal could otherwise still be
   * answered by a thread that has not stopped yet).
   */
  pause(): Promise<void>;
  /** SIGCONT after `pause()`; resolves once the process runs again. */
  resume(): Promise<void>;
  /** Stops the process if it runs (keeping the directory) and starts it again on the same ports. */
  restart(): Promise<void>;
  /** Resolves when the current process exits. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartClusterOptions extends Omit<StartNodeOptions, "join"> {
  /** Bound on the wait until every node is a member. Default 30 000 ms. */
  formTimeoutMs?: number;
}

export interface DqliteCluster {
  readonly nodes: readonly DqliteNode[];
  /** The nodes' dqlite addresses, in start order. */
  readonly addresses: readonly string[];
  /** The node that the running members name as leader (polls until one does). */
  leader(timeoutMs?: number): Promise<DqliteNode>;
  /** Stops every node in parallel and removes their directories. */
  stop(): Promise<void>;
}

/** Where dqlite-demo is, or an Error that says how to install it. */
export function findDqliteDemo(): string {
  const candidates: string[] = [];
  const fromEnv = process.env["DQLITE_DEMO"];
  if (fromEnv !== undefined && fromEnv !== "") candidates.push(fromEnv);
  candidates.push("/usr/bin/dqlite-demo");
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "") candidates.push(join(dir, "dqlite-demo"));
  }
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
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
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`cluster size must be a positive integer, got ${size}`);
  const nodes: DqliteNode[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    const first = await startNode(options);
    nodes.push(first);
    const joiners = Array.from({ length: size - 1 }, () => startNode({ ...options, join: [first.address] }));
    const settled = await Promise.allSettled(joiners);
    for (const result of settled) if (result.status === "fulfilled") nodes.push(result.value);
    const failure = settled.find((result) => result.status === "rejected");
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
    await waitForMembers(nodes, options.formTimeoutMs ?? DEFAULT_FORM_TIMEOUT_MS);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    nodes,
    addresses: nodes.map((node) => node.address),
    leader: (timeoutMs = DEFAULT_FORM_TIMEOUT_MS) => findLeader(nodes, timeoutMs),
    stop: stopAll,
  };
}

/** Thrown when dqlite-demo exits because one of its ports is taken. */
class PortTakenError extends Error {
  override name = "PortTakenError";
}

class DemoProcess implements DqliteNode {
  private child: ChildProcess | undefined;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null });
  private outputTail = "";
  private stopping: Promise<void> | undefined;
  private spawnFailed = false;

  constructor(
    private readonly binary: string,
    readonly dir: string,
    readonly address: string,
    readonly apiAddress: string,
    private readonly options: StartNodeOptions,
  ) {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    const child = this.child;
    return child !== undefined && !this.spawnFailed && child.exitCode === null && child.signalCode === null;
  }

  output(): string {
    return this.outputTail;
  }

  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exit;
  }

  /** Spawns the process and waits until it answers; on failure nothing is left running. */
  async launch(deadline: number): Promise<void> {
    const args = ["--api", this.apiAddress, "--db", this.address, "--dir", this.dir];
    for (const peer of this.options.join ?? []) args.push("--join", peer);
    if (this.options.verbose === true) args.push("--verbose");
    const child = spawn(this.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let spawnFailed = (_error: Error): void => {};
    const spawnError = new Promise<Error>((resolve) => (spawnFailed = resolve));
    this.exit = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        if (child.pid !== undefined) untrackPid(child.pid);
        resolve({ code, signal });
      });
      // A binary that cannot be run emits "error" and never "exit".
      child.once("error", (error) => {
        this.spawnFailed = true;
        spawnFailed(error);
        resolve({ code: null, signal: null });
      });
    });
    if (child.pid !== undefined) trackPid(child.pid);
    const keep = (chunk: Buffer): void => {
      this.outputTail = (this.outputTail + chunk.toString("utf8")).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);

    try {
      await Promise.race([
        spawnError.then((error) => {
          throw new Error(`cannot run ${this.binary}: ${error.message}; ${INSTALL_HINT}`, { cause: error });
        }),
        this.exit.then((status) => {
          throw this.spawnFailed ? new Error(`cannot run ${this.binary}; ${INSTALL_HINT}`) : this.earlyExitError(status);
        }),
        this.waitUntilAnswering(deadline),
      ]);
    } catch (error) {
      await this.terminate();
      throw error;
    }
  }

  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.terminate();
      rmSync(this.dir, { recursive: true, force: true });
      untrackDir(this.dir);
    })();
    return this.stopping;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (this.running) this.child?.kill(signal);
  }

  async pause(): Promise<void> {
    this.kill("SIGSTOP");
    await this.untilThreads((state) => state === "T");
  }

  async resume(): Promise<void> {
    this.kill("SIGCONT");
    await this.untilThreads((state) => state !== "T");
  }

  /** Polls the state letter of every thread in /proc (Linux) until all satisfy `wanted`. */
  private async untilThreads(wanted: (state: string) => boolean): Promise<void> {
    const deadline = Date.now() + STOP_STATE_TIMEOUT_MS;
    while (this.running && Date.now() < deadline) {
      const states = threadStates(this.pid);
      if (states === undefined) {
        await sleep(POLL_INTERVAL_MS); // no /proc: a short grace instead
        return;
      }
      if (states.every(wanted)) return;
      await sleep(5);
    }
  }

  async restart(): Promise<void> {
    if (this.stopping !== undefined) throw new Error(`node ${this.address} was stopped; start a new one`);
    await this.terminate();
    const deadline = Date.now() + (this.options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
    // The old process's listening sockets are closed by now, but the kernel may lag a moment;
    // on the same ports there is nothing else to do than try again.
    for (;;) {
      try {
        await this.launch(deadline);
        return;
      } catch (error) {
        if (!(error instanceof PortTakenError) || Date.now() >= deadline) throw error;
        await sleep(200);
      }
    }
  }

  /** SIGTERM (and SIGCONT, in case it is paused), then SIGKILL after the grace period. */
  private async terminate(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) {
      await this.exit;
      return;
    }
    child.kill("SIGTERM");
    child.kill("SIGCONT"); // a paused process only acts on SIGTERM once continued
    const grace = this.options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    const exitedInTime = await Promise.race([this.exit.then(() => true), sleep(grace).then(() => false)]);
    if (!exitedInTime) {
      child.kill("SIGKILL");
      await this.exit;
    }
  }

  /** Handshake + LEADER on the dqlite port answers, and the API port accepts. */
  private async waitUntilAnswering(deadline: number): Promise<void> {
    let lastProblem = "no probe yet";
    while (Date.now() < deadline) {
      if (!this.running) return new Promise<void>(() => {}); // the exit branch of the race reports it
      try {
        await probeLeader(this.address, PROBE_TIMEOUT_MS);
        await acceptsConnection(this.apiAddress, PROBE_TIMEOUT_MS);
        if (this.running) return;
      } catch (error) {
        lastProblem = (error as Error).message;
      }
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(
      `dqlite-demo at ${this.address} did not answer within the startup timeout (last probe: ${lastProblem})` +
        this.outputSuffix(),
    );
  }

  private earlyExitError(status: { code: number | null; signal: NodeJS.Signals | null }): Error {
    const how = status.signal !== null ? `was killed by ${status.signal}` : `exited with status ${status.code}`;
    const message = `dqlite-demo at ${this.address} (api ${this.apiAddress}) ${how} before it answered` + this.outputSuffix();
    return /bind address|address already in use/.test(this.outputTail) ? new PortTakenError(message) : new Error(message);
  }

  private outputSuffix(): string {
    const tail = this.outputTail.trim();
    return tail === "" ? "; it printed nothing" : `; its output ended with:\n${tail}`;
  }
}

async function waitForMembers(nodes: readonly DqliteNode[], timeoutMs: number): Promise<void> {
  const want = new Set(nodes.map((node) => node.address));
  const wantVoters = Math.min(nodes.length, APP_VOTERS);
  const deadline = Date.now() + timeoutMs;
  let lastSeen = "nothing yet";
  while (Date.now() < deadline) {
    try {
      const leader = await probeLeader(nodes[0]!.address, PROBE_TIMEOUT_MS);
      if (leader.address !== "") {
        const servers = await probeCluster(leader.address, PROBE_TIMEOUT_MS);
        const listed = servers.filter((server) => want.has(server.address)).length;
        const voters = servers.filter((server) => server.role === ROLE_VOTER).length;
        lastSeen = servers.map((server) => `${server.address} role ${server.role}`).join(", ");
        if (listed === want.size && voters >= wantVoters) return;
      }
    } catch (error) {
      lastSeen = (error as Error).message;
    }
    await sleep(POLL_INTERVAL_MS * 4);
  }
  throw new Error(`the ${nodes.length}-node cluster did not form within ${timeoutMs} ms; last seen: ${lastSeen}`);
}

async function findLeader(nodes: readonly DqliteNode[], timeoutMs: number): Promise<DqliteNode> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const node of nodes) {
      if (!node.running) continue;
      try {
        const leader = await probeLeader(node.address, PROBE_TIMEOUT_MS);
        const match = nodes.find((candidate) => candidate.address === leader.address && candidate.running);
        if (match !== undefined) return match;
      } catch {
        // A paused or dying node: ask the next one.
      }
    }
    await sleep(POLL_INTERVAL_MS * 4);
  }
  throw new Error(`no running node named a leader within ${timeoutMs} ms`);
}

/** Ports this process handed out already: the kernel may offer a just-closed port again. */
const issuedPorts = new Set<number>();

/**
 * `count` distinct free ports on 127.0.0.1: bind port 0 for each (all at once, so they differ),
 * read the ports, close. Another process may still grab one before dqlite-demo binds it; the
 * caller retries on that.
 */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    while (ports.length < count) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, LOOPBACK, () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === "string") throw new Error("cannot read a bound port");
      // Keep a re-offered port bound (so the kernel moves on) but do not use it.
      if (issuedPorts.has(address.port)) continue;
      issuedPorts.add(address.port);
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
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

/** The state letter (R, S, T…) of each thread of `pid`, from /proc; undefined without /proc. */
function threadStates(pid: number): string[] | undefined {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      // "tid (comm) S …": the state follows the last ")" (comm may contain spaces and parens).
      return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    });
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
