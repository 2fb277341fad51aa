// The Arrow round trip as one scenario over a connected client, shared by the runtime smoke
// script (Node, Deno, Bun over TCP) and the Chromium page (through the bridge): every value type
// read back through `toArrowIPC` by apache-arrow and flechette in each intMode and compared with
// `.all()`, then a multi-frame result streamed with `arrowStream`.

import { arrowStream, toArrowIPC } from "../../../src/arrow/index.ts";
import type { Client } from "../../../src/client/client.ts";
import { INT_MODES } from "../../../src/values/int-mode.ts";
import { readWithApacheArrow, readWithFlechette } from "../read-back.ts";

const show = (value: unknown) =>
  JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Uint8Array ? [...v] : Object.is(v, -0) ? "-0" : v));

function same(actual: unknown, expected: unknown, what: string): void {
  if (show(actual) !== show(expected)) throw new Error(`check failed: ${what}: got ${show(actual)}, expected ${show(expected)}`);
}

/** Runs the scenario on `client`; returns a one-line summary. */
export async function arrowScenario(client: Client): Promise<string> {
  const db = await client.open("demo");
  const table = `arrow_smoke_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  await db.exec(`CREATE TABLE ${table} (i INTEGER, f REAL, t TEXT, b BLOB, n, flag BOOLEAN, at DATETIME)`);
  await db.exec(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?, ?)`, [
    ...[2 ** 53 - 1, -0, "héllo 😀", Uint8Array.of(0, 255), null, true, 1_700_000_000],
    ...[null, 2.5, null, null, null, false, -1],
  ]);
  for (const intMode of INT_MODES) {
    const sql = `SELECT * FROM ${table} ORDER BY rowid`;
    const all = await db.query(sql, [], { intMode }).all();
    const ipc = await toArrowIPC(db.query(sql, [], { intMode, rowMode: "batch" }));
    same(readWithApacheArrow(ipc, intMode).rows, all.rows, `apache-arrow, intMode ${intMode}`);
    same(readWithFlechette(ipc, intMode).rows, all.rows, `flechette, intMode ${intMode}`);
  }
  const series = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 30000) SELECT x, 'row ' || x FROM n";
  const chunks: Uint8Array[] = [];
  for await (const chunk of arrowStream(db.query(series, [], { rowMode: "batch" }))) chunks.push(chunk);
  const stream = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    stream.set(chunk, at);
    at += chunk.length;
  }
  const rows = readWithFlechette(stream, "number").rows;
  const sum = rows.reduce((total, row) => total + (row[0] as number), 0);
  same([rows.length, sum, rows[29999]], [30000, 450015000, [30000, "row 30000"]], "streamed series");
  if (chunks.length < 2) throw new Error("check failed: the series came in one chunk");
  return `every type read back by apache-arrow and flechette in 3 intModes; 30000 rows in ${chunks.length} chunks, sum ${sum}`;
}
