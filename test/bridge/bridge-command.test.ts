// `dqlite-wire bridge` (runBridgeCommand): option errors exit 2 with one line, a running bridge
// prints its URL and token, serves a real node, and stops cleanly on SIGTERM/SIGINT (checked in a
// real child process running the compiled command) or on an AbortSignal (in-process).

import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBridgeCommand } from "../../src/cli/bridge-command.ts";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import type { BridgeLogEntry } from "../../src/bridge/index.ts";
import { requestTypesOf } from "../../src/messages/hazards.ts";
import { TestClient, decodeResponses, openingScript } from "./bridge-helpers.ts";

let node: DqliteNode;

beforeAll(async () => {
  node = await startNode();
});

afterAll(async () => {
  await node?.stop();
});

async function usageError(argv: string[]): Promise<{ status: number; lines: string[] }> {
  const lines: string[] = [];
  const status = await runBridgeCommand(argv, { out: (line) => lines.push(line), err: (line) => lines.push(line) });
  return { status, lines };
}

describe("dqlite-wire bridge: options", () => {
  it.each([
    [["--target", "127.0.0.1:9001", "--frobnicate"], /Unknown option '--frobnicate'/],
    [[], /at least one --target HOST:PORT is required/],
    [["--target", "localhost"], /bridge target must be HOST:PORT/],
    [["--target", "127.0.0.1:9001", "--max-connections", "0"], /--max-connections must be a positive integer/],
    [["--target", "127.0.0.1:9001", "--idle-timeout", "soon"], /--idle-timeout must be a positive integer/],
    [["--target", "127.0.0.1:9001", "--token", "short"], /token must be 16-256 characters/],
    [["--target", "127.0.0.1:9001", "--listen", "127.0.0.1"], /--listen must be HOST:PORT/],
    [["--target", "127.0.0.1:9001", "--origin", "*"], /exact origin/],
    [["--target", "127.0.0.1:9001", "stray"], /Unexpected argument 'stray'/],
  ])("%j exits 2 with one line", async (argv, message) => {
    const { status, lines } = await usageError(argv);
    expect(status).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^dqlite-wire bridge: /);
    expect(lines[0]).toMatch(message);
  });

  it("--help prints the usage and exits 0", async () => {
    const { status, lines } = await usageError(["--help"]);
    expect(status).toBe(0);
    expect(lines[0]).toMatch(/^usage: dqlite-wire bridge --target HOST:PORT/);
  });

  it("--help names exactly the requests declared admin as what --allow-admin forwards", async () => {
    const { lines } = await usageError(["--help"]);
    const line = lines
      .join("\n")
      .split("\n")
      .find((text) => text.trimStart().startsWith("--allow-admin"))!;
    const named = new Set(line.match(/\b[A-Z_]{3,}\b/g));
    expect(named).toEqual(requestTypesOf("admin"));
  });

  it("exits 1 with one line when it cannot listen", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const { status, lines } = await usageError(["--target", node.address, "--listen", `127.0.0.1:${port}`, "--quiet"]);
      expect(status).toBe(1);
      expect(lines).toEqual([
        expect.stringMatching(new RegExp(`^dqlite-wire bridge: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`)),
      ]);
    } finally {
      taken.close();
    }
  });
});

describe("dqlite-wire bridge: running", () => {
  it("prints its URL and token, serves the node, logs, and stops on abort with status 0", async () => {
    const printed: string[] = [];
    const logs: BridgeLogEntry[] = [];
    const abort = new AbortController();
    const running = runBridgeCommand(["--target", node.address, "--json", "--max-connections", "3"], {
      out: (line) => printed.push(line),
      logger: (entry) => logs.push(entry),
      signal: abort.signal,
    });
    while (printed.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const started = JSON.parse(printed[0]!) as { url: string; token: string; targets: string[] };
    expect(started.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    expect(started.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(started.targets).toEqual([node.address]);

    const bridgeLike = { url: started.url } as never;
    const client = new TestClient(bridgeLike, { token: started.token });
    await client.opened;
    client.send(openingScript());
    expect(decodeResponses(await client.frames(3)).map((m) => m.type)).toEqual(["WELCOME", "LEADER", "DB"]);

    abort.abort();
    expect(await running).toBe(0);
    expect((await client.closed).code).toBe(1001);
    expect(logs.map((entry) => entry.event)).toEqual(["listening", "connection"]);
  });

  it("prints one text line without --json, with a generated token each run", async () => {
    const printed: string[] = [];
    for (let run = 0; run < 2; run++) {
      const abort = new AbortController();
      const running = runBridgeCommand(["--target", node.address, "--quiet"], { out: (line) => printed.push(line), signal: abort.signal });
      while (printed.length === run) await new Promise((resolve) => setTimeout(resolve, 10));
      abort.abort();
      expect(await running).toBe(0);
    }
    const pattern = /^dqlite-wire bridge listening on (ws:\/\/127\.0\.0\.1:\d+\/) token (\S+) targets (\S+)$/;
    const [first, second] = printed.map((line) => pattern.exec(line));
    expect(first?.[3]).toBe(node.address);
    expect(first?.[2]).not.toBe(second?.[2]);
  });
});

describe("dqlite-wire bridge: signals (compiled, in a child process)", () => {
  const root = join(import.meta.dirname, "..", "..");
  // Inside the checkout so that the compiled code finds node_modules/ws.
  const outDir = join(root, "node_modules", ".cache", "dqlite-wire-bridge-command-test");

  beforeAll(() => {
    try {
      execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", join(root, "tsconfig.json"), "--outDir", outDir, "--noCheck"], {
        stdio: "pipe",
      });
    } catch (error) {
      throw new Error(`compiling the CLI failed: ${String((error as { stdout?: Buffer }).stdout ?? error)}`);
    }
  });

  it.each(["SIGTERM", "SIGINT"] as const)("closes its connections and exits 0 on %s", async (signal) => {
    const entry = join(outDir, "src", "cli", "bridge-command.js");
    const child = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { runBridgeCommand } = await import(${JSON.stringify(entry)}); process.exitCode = await runBridgeCommand(process.argv.slice(1));`,
        "--",
        "--target",
        node.address,
        "--json",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const firstLine = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("\n")) resolve(stdout.split("\n")[0]!);
      });
      child.on("exit", () => reject(new Error(`bridge exited early: ${stderr}`)));
    });
    const started = JSON.parse(firstLine) as { url: string; token: string };
    const client = new TestClient({ url: started.url } as never, { token: started.token });
    await client.opened;
    client.send(openingScript());
    await client.frames(3);

    child.kill(signal);
    expect(await exited).toBe(0);
    expect((await client.closed).code).toBe(1001);
    const logged = stderr
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string; code?: number; reason?: string });
    expect(logged.map((e) => e.event)).toEqual(["listening", "connection"]);
    expect(logged[1]).toMatchObject({ code: 1001, reason: "bridge shutting down" });
  });
});
