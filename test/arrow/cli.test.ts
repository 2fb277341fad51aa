// `dqlite-wire shell … -f arrow DB "SQL"` against a real node: stdout is one Arrow IPC stream
// that apache-arrow reads back as the rows `.all()` gives (intMode "bigint", as the shell reads
// integers); a long result goes through a pipe batch by batch; what is not one query is a usage
// error (status 2).

import { spawn, spawnSync } from "node:child_process";
import { tableFromIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type Client } from "../../src/client/index.ts";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";
import { readWithApacheArrow, readWithFlechette } from "./read-back.ts";

const BIN = "bin/dqlite-wire.mjs";

let node: DqliteNode;
let client: Client;

beforeAll(async () => {
  node = await startNode();
  client = await connect({ addresses: node.address, timeoutMs: 10_000 });
  const db = await client.open("demo");
  await db.exec("CREATE TABLE cli_arrow (i INTEGER, f REAL, t TEXT, b BLOB, n)");
  await db.exec("INSERT INTO cli_arrow VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?)", [
    2n ** 63n - 1n,
    -0.5,
    "héllo",
    Uint8Array.of(1, 2, 3),
    null,
    -1,
    null,
    "",
    null,
    null,
  ]);
});

afterAll(async () => {
  await client?.close();
  await node?.stop();
});

/** Runs the CLI; stdout as bytes. */
function shell(...args: string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const result = spawnSync(process.execPath, [BIN, "shell", "-s", node.address, ...args], { timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
}

describe("dqlite-wire shell -f arrow", () => {
  it("writes the query's rows as an Arrow IPC stream on stdout", async () => {
    const sql = "SELECT * FROM cli_arrow ORDER BY rowid";
    const { status, stdout, stderr } = shell("-f", "arrow", "demo", sql);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const expected = (await (await client.open("demo")).query(sql, [], { intMode: "bigint" }).all()).rows;
    const ipc = new Uint8Array(stdout);
    expect(readWithApacheArrow(ipc, "bigint").rows).toStrictEqual(expected);
    expect(readWithFlechette(ipc, "bigint").rows).toStrictEqual(expected);
    expect(readWithApacheArrow(ipc, "bigint").types).toEqual(["Int64", "Float64", "Utf8", "Binary", "Null"]);
  });

  it("streams a long result through a pipe", async () => {
    const sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000) SELECT x, 'row ' || x FROM n";
    const child = spawn(process.execPath, [BIN, "shell", "-s", node.address, "-f", "arrow", "demo", sql], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).toBe("");
    expect(status).toBe(0);
    const table = tableFromIPC(Buffer.concat(chunks));
    expect(table.numRows).toBe(300000);
    expect(table.batches.length).toBeGreaterThan(10);
    expect(table.getChild("x")!.get(299999)).toBe(300000n);
  });

  it("refuses what is not one query (usage error, status 2)", () => {
    const noSql = shell("-f", "arrow", "demo");
    expect(noSql.status).toBe(2);
    expect(noSql.stderr).toContain("-f arrow writes the rows of one query: give it as the SQL argument");
    const exec = shell("-f", "arrow", "demo", "CREATE TABLE nope (x)");
    expect(exec.status).toBe(2);
    expect(exec.stderr).toContain("-f arrow writes the rows of a query");
    const failing = shell("-f", "arrow", "demo", "SELECT * FROM missing_table");
    expect(failing.status).toBe(1);
    expect(failing.stderr).toContain("no such table: missing_table");
  });
});
