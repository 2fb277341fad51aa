// Real captures for the capture tests: tcpdump on the loopback interface (or "any"), started
// and stopped by the test around real traffic. tcpdump is run with -Z root so that it can write
// into the test's private temporary directory, -U so that every packet reaches the file at
// once, and it is stopped with SIGINT and waited for, so the file is complete when read.
//
// Stopping waits for an end marker rather than for a while: one UDP datagram with a token of
// its own, sent to a port the filter also matches, after the test's traffic. Loopback packets
// reach tcpdump in the order they were sent, so once the marker is in the file every packet
// before it is too (or counted as dropped). The marker is taken out of the bytes returned.
// A capture the kernel dropped packets from is incomplete: stop() throws CaptureIncompleteError
// (what it decodes to cannot be judged), unless the test allows drops.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { accessSync, closeSync, constants, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readPcap, writePcap } from "./pcap-edit.ts";

const TCPDUMP_CANDIDATES = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"];
const GO_SHELL_CANDIDATES = ["/usr/bin/dqlite"];
const LISTEN_TIMEOUT_MS = 10_000;
/** How long the end marker may take to reach the file: a deadline for a loaded machine, not a wait. */
const MARKER_TIMEOUT_MS = 30_000;

function findBinary(candidates: string[], install: string): string {
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // next
    }
  }
  throw new Error(`${candidates[0]} not found: ${install}`);
}

export interface TcpdumpOptions {
  /** Interface: "lo" (default) or "any". */
  iface?: string;
  /** A BPF filter, e.g. "tcp port 9001". */
  filter: string;
  /** More tcpdump flags (-y LINUX_SLL2, --time-stamp-precision nano, -s 200…). */
  extra?: string[];
}

export interface StoppedCapture {
  /** The pcap file, without the end marker. */
  bytes: Uint8Array;
  /** What tcpdump printed on stderr. */
  report: string;
  /** Packets tcpdump says the kernel dropped (missing from the file). */
  dropped: number;
}

export interface RunningCapture {
  /**
   * Sends the end marker, waits until it is in the file, stops tcpdump (SIGINT) and waits for it
   * to exit. Throws CaptureIncompleteError when tcpdump reports dropped packets, unless
   * `allowDrops` (then `dropped` says how many).
   */
  stop(options?: { allowDrops?: boolean }): Promise<StoppedCapture>;
  /**
   * The file as it is now, while tcpdump runs (its last record may be cut short), to wait for
   * something to be on the wire.
   */
  snapshot(): Uint8Array;
}

/** tcpdump lost packets: the capture is incomplete, so what it decodes to says nothing of the decoder. */
export class CaptureIncompleteError extends Error {
  constructor(
    readonly dropped: number,
    readonly report: string,
  ) {
    super(
      `capture incomplete: tcpdump reports ${dropped} packets dropped, so its decode cannot be judged ` +
        `(a loaded machine; run the test again). tcpdump said: ${report.trim().replace(/\s*\n\s*/g, "; ")}`,
    );
    this.name = "CaptureIncompleteError";
  }
}

const dirs: string[] = [];

/** A fresh private directory for capture files, removed by `cleanCaptureDirs`. */
export function captureDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "dqlite-wire-capture-"));
  dirs.push(dir);
  return dir;
}

export function cleanCaptureDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export async function startTcpdump(options: TcpdumpOptions): Promise<RunningCapture> {
  if (process.getuid?.() !== 0) throw new Error("the capture tests run tcpdump and need root");
  const tcpdump = findBinary(TCPDUMP_CANDIDATES, "install with: apt-get install -y tcpdump");
  const file = join(captureDir(), "capture.pcap");
  const marker = await markerEndpoint();
  const filter = `(${options.filter}) or (udp and dst host 127.0.0.1 and dst port ${marker.port})`;
  const args = [
    "-U",
    "--immediate-mode",
    "-Z",
    "root",
    "-B",
    "16384",
    "-w",
    file,
    "-i",
    options.iface ?? "lo",
    ...(options.extra ?? []),
    filter,
  ];
  const child = spawn(tcpdump, args, { stdio: ["ignore", "ignore", "pipe"] });
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => {
    process.removeListener("exit", reap);
    marker.socket.close();
  });
  let report = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => (report += text));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tcpdump did not start listening within ${LISTEN_TIMEOUT_MS} ms: ${report}`));
    }, LISTEN_TIMEOUT_MS);
    child.stderr!.on("data", () => {
      if (report.includes("listening on")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited with ${code}: ${report}`));
    });
  });
  return {
    stop: (stopOptions) => stopTcpdump(child, file, marker, () => report, stopOptions?.allowDrops ?? false),
    snapshot: () => new Uint8Array(readFileSync(file)),
  };
}

/** A UDP socket on a free loopback port: where the end marker goes (it receives it, so no ICMP error follows). */
async function markerEndpoint(): Promise<{ socket: UdpSocket; port: number }> {
  const socket = createSocket("udp4");
  socket.on("message", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  return { socket, port: socket.address().port };
}

async function stopTcpdump(
  child: ChildProcess,
  file: string,
  marker: { socket: UdpSocket; port: number },
  report: () => string,
  allowDrops: boolean,
): Promise<StoppedCapture> {
  const token = Buffer.from(`dqlite-wire capture end ${randomBytes(12).toString("hex")}`);
  // Sent again every second while it is not in the file: the kernel may drop the marker too.
  const send = () => marker.socket.send(token, marker.port, "127.0.0.1");
  const markerSeen = await untilFileHolds(file, token, send);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  await exited;
  const text = report();
  // "N packets dropped by kernel": packets that reached the capture and found its buffer full,
  // so they are missing from the file. (Drops "by interface" happen before any capture, and TCP
  // sends those bytes again, so the file still holds them.)
  const dropped = Number(/(\d+) packets? dropped by kernel/.exec(text)?.[1] ?? 0);
  if (dropped > 0 && !allowDrops) throw new CaptureIncompleteError(dropped, text);
  if (!markerSeen)
    throw new Error(
      `the capture's end marker did not reach ${file} within ${MARKER_TIMEOUT_MS} ms, with no drops reported (tcpdump: ${text.trim()})`,
    );
  return { bytes: withoutMarker(new Uint8Array(readFileSync(file)), token), report: text, dropped };
}

/**
 * Polls the end of `file` (what was added since the last look) until it holds `token`, calling
 * `send` at once and then every second; false when `MARKER_TIMEOUT_MS` passed without it.
 */
async function untilFileHolds(file: string, token: Buffer, send: () => void): Promise<boolean> {
  const deadline = Date.now() + MARKER_TIMEOUT_MS;
  const fd = openSync(file, "r");
  try {
    let from = 0;
    let sentAt = 0;
    for (;;) {
      if (Date.now() - sentAt >= 1_000) {
        send();
        sentAt = Date.now();
      }
      const size = fstatSync(fd).size;
      const start = Math.max(0, from - token.length);
      if (size > start) {
        const chunk = Buffer.alloc(size - start);
        const read = readSync(fd, chunk, 0, chunk.length, start);
        if (chunk.subarray(0, read).includes(token)) return true;
        from = start + read;
      }
      if (Date.now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    closeSync(fd);
  }
}

/** The pcap file without the records that hold `token` (the end marker); unchanged when none does. */
function withoutMarker(bytes: Uint8Array, token: Buffer): Uint8Array {
  const pcap = readPcap(bytes);
  const records = pcap.records.filter(
    (record) => !Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).includes(token),
  );
  return records.length === pcap.records.length ? bytes : writePcap({ ...pcap, records });
}

/** Runs the Go client's shell (`dqlite`, Debian's go-dqlite) and returns its stdout. */
export function goShell(address: string, database: string, sql: string, format: "tabular" | "json" = "tabular"): Promise<string> {
  const shell = findBinary(GO_SHELL_CANDIDATES, "install with: apt-get install -y go-dqlite");
  return new Promise((resolve, reject) => {
    execFile(
      shell,
      ["-s", address, "-f", format, database, sql],
      { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`dqlite shell failed: ${stderr || error.message}`));
        else resolve(stdout);
      },
    );
  });
}
