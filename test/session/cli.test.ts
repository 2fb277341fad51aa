// `dqlite-wire shell` and `dqlite-wire cluster` against a real node, cross-checked with the Go
// client's shell (/usr/bin/dqlite from go-dqlite): the same statements print the same lines.

import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runClusterCommand } from "../../src/cli/cluster-command.ts";
import { type CommandIo, goFloat, isQuery, runShellCommand } from "../../src/cli/shell-command.ts";
import type { Client } from "../../src/client/client.ts";
import { CURRENT_NODE, NODE_RELEASE } from "../support/nodes.ts";
import { client, startNode, type DqliteNode } from "./helpers.ts";

const GO_SHELL = "/usr/bin/dqlite";
const run = promisify(execFile);

let node: DqliteNode;
let session: Client;

beforeAll(async () => {
  try {
    accessSync(GO_SHELL, constants.X_OK);
  } catch {
    throw new Error(`${GO_SHELL} (the Go dqlite shell) is missing; install it with: apt-get install -y go-dqlite`);
  }
  node = await startNode();
  session = await client(node.address);
  const db = await session.open("demo");
  await db.exec("CREATE TABLE vals (i INTEGER, f REAL, t TEXT, b BLOB, n, flag BOOLEAN)");
  const rows: unknown[][] = [
    [-(2n ** 63n), -0.0001, "héllo wörld", Uint8Array.of(255, 0, 7), null, true],
    [2n ** 63n - 1n, 1234567.5, "日本語 😀", new Uint8Array(0), 42, false],
    [0, { type: "FLOAT", value: 123456 }, "", Uint8Array.of(1), 1.5, null],
    [-1, 1e-7, "a|b", null, "x", 1],
    [9007199254740993n, { type: "FLOAT", value: 1e21 }, "tab\there", Uint8Array.of(0x80), -0.5, 0],
    [7, 0.1 + 0.2, "x", null, 2.5e-5, 2],
  ];
  for (const row of rows) await db.exec("INSERT INTO vals VALUES (?, ?, ?, ?, ?, ?)", row as never);
}, 60_000);

afterAll(async () => {
  await session?.close();
  await node?.stop();
});

/** Captures what a command writes. */
function captureIo(lines: string[] = []): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    input: Readable.from(lines.map((line) => `${line}\n`)),
    interactive: false,
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    stdout: () => out,
    stderr: () => err,
  };
}

async function goShell(sql: string): Promise<string> {
  const { stdout } = await run(GO_SHELL, ["-s", node.address, "demo", sql], { timeout: 20_000 });
  return stdout;
}

async function ourShell(args: string[], lines?: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo(lines);
  const status = await runShellCommand(args, io);
  return { status, stdout: io.stdout(), stderr: io.stderr() };
}

describe("the shell, cross-checked with the Go shell", () => {
  const queries = [
    "SELECT i, f, t, b, n, flag FROM vals ORDER BY rowid",
    "SELECT i * 2, f / 3, length(t), hex(b), typeof(n) FROM vals ORDER BY rowid",
    "SELECT 1e6, 123456.0, 1234567.0, 1e20, 1e21, 0.0001, 0.00001, 1.5e-300, 100.0, 2.5e15, -3.25, 1.0 / 3, -0.0",
    "SELECT count(*), sum(i = 0), max(t) FROM vals",
    "SELECT * FROM vals WHERE 0",
    "SELECT NULL, x'', '', 'line', 9223372036854775807",
  ];

  for (const sql of queries) {
    it(`prints what the Go shell prints: ${sql}`, async () => {
      const expected = await goShell(sql);
      const ours = await ourShell(["-s", node.address, "demo", sql]);
      expect(ours.stderr).toBe("");
      expect(ours.status).toBe(0);
      expect(ours.stdout).toBe(expected);
    });
  }

  it("prints the same .cluster and .leader lines as the Go shell", async () => {
    for (const command of [".cluster", ".leader"]) {
      const expected = await goShell(command);
      const ours = await ourShell(["-s", node.address, "demo", command]);
      // The Go shell prints .leader without a newline.
      expect(ours.stdout.trimEnd()).toBe(expected.trimEnd());
    }
  });

  it("ndjson: one object per statement, exact integers, base64 blobs", async () => {
    const ours = await ourShell(["-s", node.address, "--format", "ndjson", "demo", "SELECT i, b, t FROM vals ORDER BY rowid LIMIT 2"]);
    expect(ours.status).toBe(0);
    expect(JSON.parse(ours.stdout)).toEqual({
      columns: ["i", "b", "t"],
      rows: [
        ["-9223372036854775808", "/wAH", "héllo wörld"],
        ["9223372036854775807", "", "日本語 😀"],
      ],
    });
    const small = await ourShell(["-s", node.address, "-f", "ndjson", "demo", "SELECT 42, 2.5, NULL"]);
    expect(JSON.parse(small.stdout)).toEqual({ columns: ["42", "2.5", "NULL"], rows: [[42, 2.5, null]] });
    const exec = await ourShell(["-s", node.address, "-f", "ndjson", "demo", "CREATE TABLE IF NOT EXISTS j (a)"]);
    expect(JSON.parse(exec.stdout)).toEqual({ lastInsertId: expect.any(String), rowsAffected: 0 });
  });

  it("reads statements from stdin one a line, reports failures and goes on (status 1)", async () => {
    const ours = await ourShell(
      ["-s", node.address, "demo"],
      ["CREATE TABLE IF NOT EXISTS p (a)", "INSERT INTO p VALUES (5)", "SELEC 1", "", "SELECT a FROM p", ".leader"],
    );
    expect(ours.status).toBe(1);
    expect(ours.stdout).toBe(`5\n${node.address}\n`);
    expect(ours.stderr).toMatch(/^Error: .*near "SELEC": syntax error.*\(ServerError SERVER_FAILURE\)\n$/);
    const clean = await ourShell(["-s", node.address, "demo"], ["SELECT 1", "SELECT 'two'"]);
    expect(clean).toEqual({ status: 0, stdout: "1\ntwo\n", stderr: "" });
  });

  it(`a RETURNING statement: refused with the reason on dqlite before 1.18.2, run as a query on later ones (dqlite ${NODE_RELEASE} here)`, async () => {
    const ours = await ourShell(["-s", node.address, "demo", "INSERT INTO p VALUES (6), (7) RETURNING a * 10"]);
    if (CURRENT_NODE) {
      expect(ours).toEqual({ status: 0, stdout: "60\n70\n", stderr: "" });
    } else {
      expect(ours.status).toBe(1);
      expect(ours.stderr).toContain("RETURNING");
    }
    const stored = await ourShell(["-s", node.address, "demo", "SELECT count(*) FROM p WHERE a IN (6, 7)"]);
    expect(stored.stdout).toBe(CURRENT_NODE ? "2\n" : "0\n");
  });

  it("usage errors throw (status 2 in main); an unreachable server is status 1 with the reason", async () => {
    await expect(runShellCommand(["demo", "SELECT 1"], captureIo())).rejects.toThrow(/-s HOST:PORT/);
    await expect(runShellCommand(["-s", node.address, "--format", "xml", "demo"], captureIo())).rejects.toThrow(/--format/);
    await expect(runShellCommand(["-s", node.address, "--timeout", "soon", "demo"], captureIo())).rejects.toThrow(/--timeout/);
    await expect(runShellCommand(["-s", node.address, "--bogus", "demo"], captureIo())).rejects.toMatchObject({
      code: "ERR_PARSE_ARGS_UNKNOWN_OPTION",
    });
    const down = await ourShell(["-s", "127.0.0.1:1", "--timeout", "2000", "demo", "SELECT 1"]);
    expect(down.status).toBe(1);
    expect(down.stderr).toMatch(/^Error: no leader found .*127\.0\.0\.1:1.*CONNECTION_FAILED/);
  });

  it("decides query versus exec by the first keyword", () => {
    expect(
      [
        "SELECT 1",
        " with x as (select 1) select * from x",
        "(SELECT 1)",
        "-- c\nSELECT 1",
        "PRAGMA table_info(t)",
        "VALUES (1)",
        "EXPLAIN SELECT 1",
      ].map(isQuery),
    ).toEqual(Array(7).fill(true));
    expect(["INSERT INTO t VALUES (1)", "CREATE TABLE t (a)", "DELETE FROM t", "", "BEGIN"].map(isQuery)).toEqual(Array(5).fill(false));
  });

  it("formats floats like Go's %v", () => {
    expect([1e6, 123456, 1234567.5, 1e-5, 0.0001, -0, NaN, Infinity, -Infinity, 1.5e-300, 2.5e15].map(goFloat)).toEqual([
      "1e+06",
      "123456",
      "1.2345675e+06",
      "1e-05",
      "0.0001",
      "-0",
      "NaN",
      "+Inf",
      "-Inf",
      "1.5e-300",
      "2.5e+15",
    ]);
  });
});

describe("dqlite-wire cluster", () => {
  it("lists members with roles and marks the leader, as a table and as JSON", async () => {
    const io = captureIo();
    expect(await runClusterCommand(["-s", node.address], io)).toBe(0);
    const leader = await session.leader();
    const lines = io.stdout().trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ID\s+ADDRESS\s+ROLE\s+LEADER$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^${leader.id}\\s+${node.address.replace(/\./g, "\\.")}\\s+voter\\s+\\*$`)),
    ]);
    const json = captureIo();
    expect(await runClusterCommand(["-s", node.address, "--format", "json"], json)).toBe(0);
    expect(JSON.parse(json.stdout())).toEqual({
      leader: { id: leader.id.toString(), address: node.address },
      members: [{ id: leader.id.toString(), address: node.address, role: "voter", leader: true }],
    });
    const down = captureIo();
    expect(await runClusterCommand(["-s", "127.0.0.1:1", "--timeout", "1500"], down)).toBe(1);
    expect(down.stderr()).toMatch(/^Error: /);
  });
});
