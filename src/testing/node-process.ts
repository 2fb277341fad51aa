/// <reference types="node" />
// What every kind of test node shares (dqlite-demo, the TLS node on go-dqlite's app package): a
// child process on loopback ports with a data directory, started until it answers, paused,
// restarted on the same ports, and stopped without leaving a process or a directory behind; and
// the waits of a cluster (every member listed, the voters promoted, a leader named).

import { spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants as fsConstants, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { fileURLToPath } from "node:url";
import type { RawServer } from "./raw-probe.ts";
import { trackPid, untrackDir, untrackPid } from "./process-reaper.ts";

export const LOOPBACK = "127.0.0.1";

/** A program the setup script builds into the checkout's build/ folder. */
export interface BuiltBinary {
  /** Its file name, for messages. */
  name: string;
  /** An environment variable that may give its path first. */
  envVar: string;
  /** Its path under the checkout's build/ folder. */
  buildPath: string;
  /** How to build it, for the error when it is nowhere. */
  buildHint: string;
}

/**
 * Where a built program is: `$envVar`, else the checkout's build/ folder, a few folders above
 * this module (it runs from src/testing/ in tests, dist/src/testing/ or dist/bundle/chunks/ in the
 * package build, deeper in the benchmark's build). An Error that says how to build it otherwise.
 */
export function findBuiltBinary(binary: BuiltBinary): string {
  const candidates: string[] = [];
  const fromEnv = process.env[binary.envVar];
  if (fromEnv !== undefined && fromEnv !== "") candidates.push(fromEnv);
  for (let up = "../../"; up.length <= "../".repeat(5).length; up += "../") {
    candidates.push(fileURLToPath(new URL(`${up}build/${binary.buildPath}`, import.meta.url)));
  }
  const found = firstExecutable(candidates);
  if (found !== undefined) return found;
  throw new Error(
    `${binary.name} not found (looked in $${binary.envVar} and build/ of the checkout, ${candidates.slice(-4).join(", ")}); ${binary.buildHint}`,
  );
}

/** The first of `candidates` that is an executable file. */
export function firstExecutable(candidates: readonly string[]): string | undefined {
  return candidates.find((candidate) => {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export const DEFAULT_STARTUP_TIMEOUT_MS = 15_000;
export const DEFAULT_STOP_GRACE_MS = 5_000;
export const DEFAULT_FORM_TIMEOUT_MS = 30_000;
/** Fresh starts that lose a port race (another process took the port) pick new ports this often. */
export const MAX_PORT_ATTEMPTS = 5;
export const POLL_INTERVAL_MS = 50;
export const PROBE_TIMEOUT_MS = 1_000;
/** Bound on waiting for a paused (or resumed) process's threads to change state. */
const STOP_STATE_TIMEOUT_MS = 2_000;
/** How much of the node's stdout+stderr is kept for error messages. */
const OUTPUT_TAIL_CHARS = 4_000;
/** go-dqlite's app keeps this many voters; further members become standbys, then spares. */
const APP_VOTERS = 3;
const ROLE_VOTER = 0;

export type ExitStatus = { code: number | null; signal: NodeJS.Signals | null };

/** A node process the rig started: what every kind of test node offers. */
export interface NodeHandle {
  /** The dqlite protocol address, "127.0.0.1:PORT". */
  readonly address: string;
  /** The data directory. */
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
  exited(): Promise<ExitStatus>;
}

export interface ProcessOptions {
  /** Bound on a start or restart, until the node answers. Default 15 000 ms. */
  startupTimeoutMs?: number;
  /** How long `stop()` and `restart()` wait after SIGTERM before SIGKILL. Default 5 000 ms. */
  stopGraceMs?: number;
}

/** Thrown when a node exits because one of its ports is taken: the caller tries new ports. */
export class PortTakenError extends Error {
  override name = "PortTakenError";
}

/** The questions a cluster wait asks a node (plain or over TLS). */
export interface ClusterProbe {
  leader(address: string, timeoutMs: number): Promise<{ id: bigint; address: string }>;
  cluster(address: string, timeoutMs: number): Promise<RawServer[]>;
}

/** A node's process: its life cycle, without knowing its command line or how it answers. */
export abstract class NodeProcess {
  private child: ChildProcess | undefined;
  private exit: Promise<ExitStatus> = Promise.resolve({ code: null, signal: null });
  private outputTail = "";
  private stopping: Promise<void> | undefined;
  private spawnFailed = false;
  /**
   * The child sent SIGKILL: it counts as stopped at once, not only once its exit event arrives
   * (until then a cluster could still name it leader to a caller that just killed it).
   */
  private killedChild: ChildProcess | undefined;
  /** More directories that `stop()` removes (a certificate made for this node, say). */
  protected readonly ownedDirs: string[] = [];

  constructor(
    protected readonly binary: string,
    readonly dir: string,
    readonly address: string,
    private readonly processOptions: ProcessOptions,
  ) {}

  /** The program's name in messages ("dqlite-demo"). */
  protected abstract readonly label: string;
  /** What to say when the binary cannot run (how to install or build it). */
  protected abstract readonly installHint: string;
  /** The command-line arguments of a start. */
  protected abstract args(): string[];
  /** Resolves once the node answers (it is called while the process runs). */
  protected abstract probe(): Promise<void>;

  /** Sees the process's output as it comes (a readiness line, say). */
  protected onOutput(_text: string): void {}

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get running(): boolean {
    const child = this.child;
    return child !== undefined && child !== this.killedChild && !this.spawnFailed && child.exitCode === null && child.signalCode === null;
  }

  output(): string {
    return this.outputTail;
  }

  exited(): Promise<ExitStatus> {
    return this.exit;
  }

  /** Spawns the process and waits until it answers; on failure nothing is left running. */
  async launch(deadline: number): Promise<void> {
    const child = spawn(this.binary, this.args(), { stdio: ["ignore", "pipe", "pipe"] });
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
      const text = chunk.toString("utf8");
      this.outputTail = (this.outputTail + text).slice(-OUTPUT_TAIL_CHARS);
      this.onOutput(text);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);

    try {
      await Promise.race([
        spawnError.then((error) => {
          throw new Error(`cannot run ${this.binary}: ${error.message}; ${this.installHint}`, { cause: error });
        }),
        this.exit.then((status) => {
          throw this.spawnFailed ? new Error(`cannot run ${this.binary}; ${this.installHint}`) : this.earlyExitError(status);
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
      for (const dir of [this.dir, ...this.ownedDirs]) {
        rmSync(dir, { recursive: true, force: true });
        untrackDir(dir);
      }
    })();
    return this.stopping;
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): void {
    if (!this.running) return;
    this.child?.kill(signal);
    if (signal === "SIGKILL") this.killedChild = this.child;
  }

  async pause(): Promise<void> {
    this.kill("SIGSTOP");
    await this.untilThreads((state) => state === "T");
  }

  async resume(): Promise<void> {
    this.kill("SIGCONT");
    await this.untilThreads((state) => state !== "T");
  }

  async restart(): Promise<void> {
    if (this.stopping !== undefined) throw new Error(`node ${this.address} was stopped; start a new one`);
    await this.terminate();
    const deadline = Date.now() + (this.processOptions.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
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

  /** SIGTERM (and SIGCONT, in case it is paused), then SIGKILL after the grace period. */
  private async terminate(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) {
      await this.exit;
      return;
    }
    child.kill("SIGTERM");
    child.kill("SIGCONT"); // a paused process only acts on SIGTERM once continued
    const grace = this.processOptions.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    const exitedInTime = await Promise.race([this.exit.then(() => true), sleep(grace).then(() => false)]);
    if (!exitedInTime) {
      child.kill("SIGKILL");
      await this.exit;
    }
  }

  private async waitUntilAnswering(deadline: number): Promise<void> {
    let lastProblem = "no probe yet";
    while (Date.now() < deadline) {
      if (!this.running) return new Promise<void>(() => {}); // the exit branch of the race reports it
      try {
        await this.probe();
        if (this.running) return;
      } catch (error) {
        lastProblem = (error as Error).message;
      }
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(
      `${this.label} at ${this.address} did not answer within the startup timeout (last probe: ${lastProblem})` + this.outputSuffix(),
    );
  }

  private earlyExitError(status: ExitStatus): Error {
    const how = status.signal !== null ? `was killed by ${status.signal}` : `exited with status ${status.code}`;
    const message = `${this.label} at ${this.address} ${how} before it answered` + this.outputSuffix();
    return /bind address|address already in use/.test(this.outputTail) ? new PortTakenError(message) : new Error(message);
  }

  private outputSuffix(): string {
    const tail = this.outputTail.trim();
    return tail === "" ? "; it printed nothing" : `; its output ended with:\n${tail}`;
  }
}

/** A running cluster of one kind of node: what `startCluster` and its siblings give. */
export interface NodeCluster<N> {
  readonly nodes: readonly N[];
  /** The nodes' dqlite addresses, in start order. */
  readonly addresses: readonly string[];
  /** The node that the running members name as leader (polls until one does). */
  leader(timeoutMs?: number): Promise<N>;
  /** Stops every node in parallel and removes their directories. */
  stop(): Promise<void>;
}

/** What every way of starting a cluster takes beside its nodes' options. */
export interface ClusterFormOptions {
  /** Bound on the wait until every node is a member. Default 30 000 ms. */
  formTimeoutMs?: number;
}

/**
 * Starts `size` nodes with `start`: the first bootstraps a cluster, the others join it (all at
 * once). Resolves once every node is listed by the cluster and the cluster has its voters; on
 * any failure, stops what it started (and runs `cleanup`) before rejecting. `stop()` runs
 * `cleanup` too.
 */
export async function formCluster<N extends { readonly address: string; readonly running: boolean; stop(): Promise<void> }>(
  size: number,
  start: (join: readonly string[] | undefined) => Promise<N>,
  probe: ClusterProbe,
  formTimeoutMs = DEFAULT_FORM_TIMEOUT_MS,
  cleanup?: () => void,
): Promise<NodeCluster<N>> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`cluster size must be a positive integer, got ${size}`);
  const nodes: N[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((node) => node.stop()));
    cleanup?.();
  };
  try {
    const first = await start(undefined);
    nodes.push(first);
    const settled = await Promise.allSettled(Array.from({ length: size - 1 }, () => start([first.address])));
    for (const result of settled) if (result.status === "fulfilled") nodes.push(result.value);
    const failure = settled.find((result) => result.status === "rejected");
    if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
    await waitForMembers(
      nodes.map((node) => node.address),
      probe,
      formTimeoutMs,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    nodes,
    addresses: nodes.map((node) => node.address),
    leader: (timeoutMs = DEFAULT_FORM_TIMEOUT_MS) => findLeader(nodes, probe, timeoutMs),
    stop,
  };
}

/**
 * Waits until the leader lists every node of `addresses` and the cluster has its voters (go-dqlite
 * promotes up to three).
 */
export async function waitForMembers(addresses: readonly string[], probe: ClusterProbe, timeoutMs: number): Promise<void> {
  const want = new Set(addresses);
  const wantVoters = Math.min(addresses.length, APP_VOTERS);
  const deadline = Date.now() + timeoutMs;
  let lastSeen = "nothing yet";
  while (Date.now() < deadline) {
    try {
      const leader = await probe.leader(addresses[0]!, PROBE_TIMEOUT_MS);
      if (leader.address !== "") {
        const servers = await probe.cluster(leader.address, PROBE_TIMEOUT_MS);
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
  throw new Error(`the ${addresses.length}-node cluster did not form within ${timeoutMs} ms; last seen: ${lastSeen}`);
}

/** The node that the running members name as leader (polls until one does). */
export async function findLeader<N extends { readonly address: string; readonly running: boolean }>(
  nodes: readonly N[],
  probe: ClusterProbe,
  timeoutMs: number,
): Promise<N> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const node of nodes) {
      if (!node.running) continue;
      try {
        const leader = await probe.leader(node.address, PROBE_TIMEOUT_MS);
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
 * read the ports, close. Another process may still grab one before the node binds it; the
 * caller retries on that.
 */
export async function freePorts(count: number): Promise<number[]> {
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
