// A pooled client in a browser page: connects through the bridge named in the URL's hash
// (#bridge=ws://…&token=…&node=HOST:PORT) with the browser's WebSocket, one per connection, and
// leaves what it saw (or the error) in body[data-result] as JSON.

import { connectClient, webSocketConnector } from "../../../src/client/index.ts";

const params = new URLSearchParams(location.hash.slice(1));
const COUNT = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n";

async function run(): Promise<unknown> {
  const client = await connectClient({
    addresses: [params.get("node")!],
    connector: webSocketConnector(params.get("bridge")!, { token: params.get("token")! }),
    pool: { max: 4 },
    timeoutMs: 10_000,
  });
  try {
    const db = await client.open("demo");
    const table = `page_pool_${Date.now()}`;
    await db.exec(`CREATE TABLE ${table} (tag TEXT)`);

    // A result held mid-stream keeps its connection; reads beside it go on another.
    const held = db.query(COUNT)[Symbol.asyncIterator]();
    const first = await held.next();
    const beside = await Promise.all(Array.from({ length: 8 }, (_, i) => db.query("SELECT ?", [i]).all()));
    const duringHold = client.stats();
    await held.return?.();

    // Four long reads at once: the pool asks the bridge for more connections than it allows.
    const long = await Promise.all(Array.from({ length: 4 }, () => db.query(COUNT).all()));

    // A read while a transaction is open answers before its COMMIT and sees committed rows only.
    const outside = await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${table} VALUES ('pending')`);
      return (await db.query(`SELECT count(*) FROM ${table}`).all()).rows[0];
    });
    const after = (await db.query(`SELECT count(*) FROM ${table}`).all()).rows[0];
    await db.exec(`DROP TABLE ${table}`);
    return {
      heldFirstBatch: first.done === false,
      beside: beside.map((result) => result.rows[0]),
      openDuringHold: duringHold.open,
      longRows: long.map((result) => result.rows.length),
      outside,
      after,
      stats: client.stats(),
    };
  } finally {
    await client.close();
  }
}

run().then(
  (summary) => (document.body.dataset["result"] = JSON.stringify(summary)),
  (error: unknown) => (document.body.dataset["result"] = JSON.stringify({ failed: (error as Error).stack ?? String(error) })),
);
