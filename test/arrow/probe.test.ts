import { tableFromIPC } from "apache-arrow";
import * as flechette from "@uwdata/flechette";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startNode, type DqliteNode } from "../../src/testing/dqlite-node.ts";
import { connect, type Client } from "../../src/client/index.ts";
import { toArrowIPC } from "../../src/arrow/index.ts";

let node: DqliteNode; let client: Client;
beforeAll(async () => { node = await startNode(); client = await connect({ addresses: node.address }); });
afterAll(async () => { await client?.close(); await node?.stop(); });

it("probe", async () => {
  const db = await client.open("demo");
  await db.exec("CREATE TABLE v (i INTEGER, f REAL, t TEXT, b BLOB, n, flag BOOLEAN, ts DATETIME, iso DATETIME)");
  await db.exec("INSERT INTO v VALUES (1, 1.5, 'héllo', x'0102', NULL, 1, 1700000000, '2024-01-02T03:04:05Z'), (NULL, NULL, NULL, NULL, NULL, 0, -5, 'hello')");
  for (const intMode of ["number", "bigint", "string"] as const) {
    const sql = "SELECT * FROM v";
    const all = await db.query(sql, [], { intMode }).all();
    const ipc = await toArrowIPC(db.query(sql, [], { intMode, rowMode: "batch" }));
    const a = tableFromIPC(ipc);
    console.log(intMode, JSON.stringify(all.rows, (_k, v) => typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? [...v] : v));
    console.log(a.schema.fields.map((f) => `${f.name}:${f.type}`).join(" "));
    for (let r = 0; r < a.numRows; r++) console.log("apache", a.schema.fields.map((_f, c) => { const v = a.getChildAt(c)!.get(r); return typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `[${v}]` : String(v); }).join(", "));
    const f = flechette.tableFromIPC(ipc, { useBigInt: true });
    for (let r = 0; r < f.numRows; r++) console.log("flech", f.children.map((col) => { const v = col.at(r); return typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? `[${v}]` : String(v); }).join(", "));
  }
});
