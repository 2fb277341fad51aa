// Real captures for the capture tests: tcpdump on the loopback interface (or "any"), started
// and stopped by the test around real traffic. tcpdump is run with -Z root so that it can write
// into the test's private temporary directory, -U so that every packet reaches the file at
// once, and it is stopped with SIGINT and waited for, so the file is complete when read.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const TCPDUMP_CANDIDATES = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"];
const GO_SHELL_CANDIDATES = ["/usr/bin/dqlite"];
const LISTEN_TIMEOUT_MS = 10_000;

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

export interface RunningCapture {
  /**
   * Stops tcpdump (SIGINT), waits for it to flush, returns the file's bytes, tcpdump's report and
   * the packets the kernel says it dropped (the tests that need a complete capture check it).
   */
  stop(): Promise<{ bytes: Uint8Array; report: string; dropped: number }>;
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
  const args = ["-U", "--immediate-mode", "-Z", "root", "-B", "16384", "-w", file, "-i", options.iface ?? "lo", ...(options.extra ?? []), options.filter];
  const child = spawn(tcpdump, args, { stdio: ["ignore", "ignore", "pipe"] });
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.removeListener("exit", reap));
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
  return { stop: () => stopTcpdump(child, file, () => report) };
}

async function stopTcpdump(child: ChildProcess, file: string, report: () => string): Promise<{ bytes: Uint8Array; report: string; dropped: number }> {
  // Let the last packets of the traffic reach tcpdump before it stops.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  await exited;
  const text = report();
  const dropped = Number(/(\d+) packets dropped by kernel/.exec(text)?.[1] ?? 0);
  return { bytes: new Uint8Array(readFileSync(file)), report: text, dropped };
}

/** Runs the Go client's shell (`dqlite`, Debian's go-dqlite) and returns its stdout. */
export function goShell(address: string, database: string, sql: string, format: "tabular" | "json" = "tabular"): Promise<string> {
  const shell = findBinary(GO_SHELL_CANDIDATES, "install with: apt-get install -y go-dqlite");
  return new Promise((resolve, reject) => {
    execFile(shell, ["-s", address, "-f", format, database, sql], { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`dqlite shell failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}
