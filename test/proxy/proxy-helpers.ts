// The proxy as users run it: `dqlite-wire proxy` from the build (bin/dqlite-wire.mjs), stopped
// with SIGINT like Ctrl-C, its JSON log read back.

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const BIN = "bin/dqlite-wire.mjs";

export interface ProxyProcess {
  /** Listen addresses, in the order of the routes. */
  listens: string[];
  /** Stops it (SIGINT), waits for the exit; returns its exit status and stderr. */
  stop(): Promise<{ status: number | null; stderr: string }>;
}

export async function startProxyCli(args: string[]): Promise<ProxyProcess> {
  if (!existsSync("dist/src/proxy/decode-worker.js")) throw new Error("dist/ is missing: run `npm run build` before the proxy tests");
  const child: ChildProcess = spawn(process.execPath, [BIN, "proxy", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  // Never left running past the test process, whatever the test did.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.removeListener("exit", reap));
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (text: string) => (stderr += text));
  const routes = args.filter((arg) => arg === "--target").length;
  const listens = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start within 10 s: ${stderr}`)), 10_000);
    const check = () => {
      const found = [...stderr.matchAll(/listening (\S+) →/g)].map((m) => m[1]!);
      if (found.length === routes) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stderr!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code}: ${stderr}`));
    });
  });
  return {
    listens,
    stop: async () => {
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGINT");
      return { status: await exited, stderr };
    },
  };
}

export function readLog(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Log lines grouped by connection id, in order. */
export function byConnection(lines: Record<string, unknown>[]): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const line of lines) {
    const id = String(line["conn"]);
    if (!out.has(id)) out.set(id, []);
    out.get(id)!.push(line);
  }
  return out;
}
