#!/usr/bin/env node
// Records real frames from a real dqlite node as the fuzzer's seed corpus: test/corpus/seeds/
// from dqlite 1.11 (Debian's dqlite-demo), test/corpus/seeds-1.18/ from dqlite 1.18 (the rig's
// bare node built from source).
//
//   npx tsc -p tsconfig.json && node scripts/record-seeds.mjs [--node 1.11|1.18] [--out DIR]
//
// It starts one node of that version on loopback, speaks to it over a raw socket (the codec's
// encodeRequest builds every request, the FrameDecoder cuts the reply stream into frames without
// judging their bodies), and writes one JSON file per seed: the exact bytes, which side they
// travel, and what produced them. Requests are recorded as the bytes sent, responses as the bytes
// received. Every response seed is checked to decode before it is written, so the corpus only
// holds frames a real node produced and the codec accepts.

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FrameDecoder, PROTOCOL_VERSION_LEGACY, decodeFrame, encodeHandshake, encodeRequest } from "../dist/src/index.js";
import { BARE_NODE_DQLITE_VERSION, startBareNode, startNode } from "../dist/src/testing/index.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const argument = (name) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : undefined;
};
const VERSION = argument("--node") ?? "1.11";
if (VERSION !== "1.11" && VERSION !== "1.18") throw new Error(`--node must be 1.11 or 1.18, got ${VERSION}`);
const CURRENT = VERSION === "1.18";
const OUT_DIR = resolve(argument("--out") ?? join(HERE, "..", "test", "corpus", CURRENT ? "seeds-1.18" : "seeds"));
const RECORDED_FROM = CURRENT
  ? `dqlite-bare-node (libdqlite ${BARE_NODE_DQLITE_VERSION})`
  : "dqlite-demo (go-dqlite 1.11.5, libdqlite 1.11.1)";
const REPLY_TIMEOUT_MS = 10_000;
const HANDSHAKE_V1 = encodeHandshake();
const HANDSHAKE_LEGACY = encodeHandshake(PROTOCOL_VERSION_LEGACY);
/** The statement id of a recorded STMT reply, read by the codec. */
const statementId = (stmtFrame) => decodeFrame("response", stmtFrame).id;

const hex = (bytes) => Buffer.from(bytes).toString("hex");
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** One raw connection: send a request, collect whole response frames until `until` says stop. */
class RawConnection {
  #socket;
  #decoder;
  #waiting = [];
  #frames = [];
  #closed;

  static open(address, handshake, legacy) {
    const [host, port] = address.split(":");
    return new Promise((resolveOpen, reject) => {
      const socket = connect({ host, port: Number(port) });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.off("error", reject);
        socket.setNoDelay(true);
        socket.write(handshake);
        resolveOpen(new RawConnection(socket, legacy));
      });
    });
  }

  constructor(socket, legacy) {
    this.#socket = socket;
    this.#decoder = new FrameDecoder({ side: "response", handshake: false, legacy });
    socket.on("data", (chunk) => {
      this.#decoder.push(chunk);
      for (let frame = this.#decoder.nextFrame(); frame !== undefined; frame = this.#decoder.nextFrame()) {
        this.#frames.push(frame.bytes.slice());
      }
      this.#wake();
    });
    socket.on("close", () => {
      this.#closed = new Error("the node closed the connection");
      this.#wake();
    });
    socket.on("error", (error) => {
      this.#closed = error;
      this.#wake();
    });
  }

  #wake() {
    for (const wake of this.#waiting.splice(0)) wake();
  }

  async #nextFrame() {
    const deadline = Date.now() + REPLY_TIMEOUT_MS;
    while (this.#frames.length === 0) {
      if (this.#closed) throw this.#closed;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no reply within ${REPLY_TIMEOUT_MS} ms`);
      await new Promise((wake) => {
        const timer = setTimeout(wake, left);
        this.#waiting.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
    return this.#frames.shift();
  }

  /** Sends `request` (a message) and returns [request bytes, response frames]. */
  async call(request, { multi = false } = {}) {
    const bytes = encodeRequest(request);
    this.#socket.write(bytes);
    const frames = [await this.#nextFrame()];
    // A ROWS frame ending with the PART marker is followed by more frames of the same result.
    while (multi && isPartRows(frames[frames.length - 1])) frames.push(await this.#nextFrame());
    return [bytes, frames];
  }

  close() {
    this.#socket.destroy();
  }
}

function isPartRows(frame) {
  if (frame[4] !== 7) return false;
  const tail = frame.subarray(frame.length - 8);
  return tail.every((b) => b === 0xee);
}

const seeds = [];
function seed(name, side, frames, description, extra = {}) {
  seeds.push({ name, side, ...extra, description, frames: frames.length, hex: hex(concat(frames)) });
}

async function record(address) {
  const conn = await RawConnection.open(address, HANDSHAKE_V1, false);
  const call = async (name, request, description, options = {}) => {
    const [sent, frames] = await conn.call(request, options);
    seed(`request-${name}`, "request", [sent], `the client's ${request.type} request: ${description}`);
    const types = frames.map((f) => f[4]);
    seed(`response-${name}`, "response", frames, `the node's reply to ${request.type} (${description}); response types ${types.join(",")}`);
    return frames;
  };

  await call("leader", { type: "LEADER" }, "who leads");
  await call("client", { type: "CLIENT", id: 0x1234_5678n }, "register client id");
  await call("open", { type: "OPEN", name: "demo", flags: 6, vfs: "" }, "open database demo");
  await call(
    "exec-sql-create",
    {
      type: "EXEC_SQL",
      db: 0,
      sql: "CREATE TABLE IF NOT EXISTS seeds (i INTEGER, f REAL, s TEXT, b BLOB, n TEXT, u DATETIME, iso DATETIME, bo BOOLEAN)",
    },
    "create a table with a column per value type",
  );
  await call(
    "exec-sql-insert-params",
    {
      type: "EXEC_SQL",
      db: 0,
      sql: "INSERT INTO seeds VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      params: [
        -(2n ** 63n),
        -0.0,
        "héllo wörld, 7 bytes+",
        Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4),
        null,
        1_700_000_000,
        { type: "ISO8601", value: "2026-11-25T10:20:30Z" },
        true,
      ],
    },
    "insert one row with a parameter of every request type",
  );
  await call(
    "exec-sql-insert-literals",
    {
      type: "EXEC_SQL",
      db: 0,
      sql:
        "INSERT INTO seeds VALUES (9223372036854775807, 1e308, '', x'', NULL, 0, NULL, 0), " +
        "(42, 3.5, 'abcdefgh', x'00', 'x', -1, '2026-01-01', 1), (0, -2.5e-308, '日本語テキスト🎉', x'0102030405060708', NULL, 86400, '', NULL)",
    },
    "insert rows of boundary values",
  );
  await call("query-sql-every-type", { type: "QUERY_SQL", db: 0, sql: "SELECT * FROM seeds ORDER BY rowid" }, "rows of every value type", {
    multi: true,
  });
  // dqlite types every text of a DATETIME column ISO8601, whatever the text says.
  await call(
    "exec-sql-iso-text",
    {
      type: "EXEC_SQL",
      db: 0,
      sql: "CREATE TABLE iso_text (t DATETIME); INSERT INTO iso_text VALUES ('hello'), ('2026-13-45 nonsense'), ('')",
    },
    "DATETIME cells holding any text",
  );
  await call(
    "query-sql-iso-text",
    { type: "QUERY_SQL", db: 0, sql: "SELECT t FROM iso_text" },
    "ISO8601 cells that are not ISO 8601 times",
    { multi: true },
  );
  await call("query-sql-literals", { type: "QUERY_SQL", db: 0, sql: "SELECT 1, 2.5, 'x', NULL, x'ff'" }, "one row of literals");
  await call(
    "query-sql-zero-columns-like",
    { type: "QUERY_SQL", db: 0, sql: "SELECT * FROM seeds WHERE 0" },
    "a result with columns and no rows",
  );
  await call(
    "query-sql-params",
    {
      type: "QUERY_SQL",
      db: 0,
      sql: "SELECT ?, ?, ?, ?, ?",
      params: [7, 1.25, "p", Uint8Array.of(9), null],
    },
    "query with params echoed back",
    { multi: true },
  );
  await call(
    "exec-sql-fill",
    {
      type: "EXEC_SQL",
      db: 0,
      sql: "CREATE TABLE IF NOT EXISTS many AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300) SELECT x AS id, 'row ' || x AS label, x * 0.5 AS half, x'abcd' AS b, NULL AS nul FROM c",
    },
    "fill a table of 300 rows",
  );
  await call(
    "query-sql-multi-frame",
    { type: "QUERY_SQL", db: 0, sql: "SELECT * FROM many" },
    "a result spread over several ROWS frames (PART ... DONE)",
    { multi: true },
  );
  // A query that fails part way: the node answers FAILURE holding the columns, the rows it had
  // already written into the frame, then the code and message; when the error comes before the
  // first row (a sort evaluates every row first), the columns alone precede the record.
  await call(
    "query-sql-failure-after-rows",
    {
      type: "QUERY_SQL",
      db: 0,
      sql: "SELECT id, CASE WHEN id > 20 THEN abs(-9223372036854775807 - 1) ELSE label END FROM many",
    },
    "a query failing after 20 rows: FAILURE with columns, rows and the record",
    { multi: true },
  );
  await call(
    "query-sql-failure-after-columns",
    {
      type: "QUERY_SQL",
      db: 0,
      sql: "SELECT id, CASE WHEN id > 20 THEN abs(-9223372036854775807 - 1) ELSE id END AS v FROM many ORDER BY v",
    },
    "a sorted query failing before its first row: FAILURE with the columns and the record",
    { multi: true },
  );
  await call("query-sql-syntax-error", { type: "QUERY_SQL", db: 0, sql: "SELEC 1" }, "a syntax error", { multi: true });
  await call("exec-sql-constraint", { type: "EXEC_SQL", db: 0, sql: "INSERT INTO nowhere VALUES (1)" }, "a missing table");

  const [stmtV0] = await call(
    "prepare-v0",
    { type: "PREPARE", db: 0, sql: "SELECT * FROM seeds WHERE i > ? OR s = ?" },
    "prepare, STMT schema 0",
  );
  await call(
    "prepare-v1",
    { type: "PREPARE", schema: 1, db: 0, sql: "SELECT ?; SELECT 2" },
    "prepare with schema 1 (STMT with tail offset)",
  );
  const stmtId = statementId(stmtV0);
  await call("query-v0", { type: "QUERY", db: 0, stmt: stmtId, params: [0, "x"] }, "query a prepared statement, params schema 0", {
    multi: true,
  });
  const manyParams = Array.from({ length: 300 }, (_, i) => i);
  const [insertStmt] = await call(
    "prepare-insert",
    { type: "PREPARE", db: 0, sql: "INSERT INTO seeds (i) VALUES (?)" },
    "prepare an insert",
  );
  const insertId = statementId(insertStmt);
  await call("exec-v0", { type: "EXEC", db: 0, stmt: insertId, params: [123] }, "exec a prepared statement");
  await call(
    "exec-v1-params",
    { type: "EXEC_SQL", db: 0, sql: `SELECT ${manyParams.map(() => "?").join(",")}`, params: manyParams },
    "300 params: params schema 1",
  );
  const wide = manyParams.slice(0, 255);
  await call(
    "query-wide",
    { type: "QUERY_SQL", db: 0, sql: `SELECT ${wide.map(() => "?").join(",")}`, params: wide },
    "255 params and 255 columns",
    { multi: true },
  );
  await call(
    "query-v1-params",
    { type: "QUERY_SQL", db: 0, sql: `SELECT ${manyParams.map(() => "?").join(",")}`, params: manyParams },
    "300 params and 300 columns",
    { multi: true },
  );
  if (CURRENT) {
    // What only a current node answers: RETURNING in a query (its rows), the client's probe (an
    // exec that yields a row), and raft-internal requests (FAILURE 1005 instead of silence).
    await call(
      "query-sql-returning",
      { type: "QUERY_SQL", db: 0, sql: "INSERT INTO seeds (i, s) VALUES (7, 'r'), (8, 's') RETURNING rowid, i, s" },
      "RETURNING in a query: the rows written",
      { multi: true },
    );
    const [returningStmt] = await call(
      "prepare-returning",
      { type: "PREPARE", db: 0, sql: "UPDATE seeds SET s = ? WHERE i = 7 RETURNING s" },
      "prepare a statement with RETURNING",
    );
    const returningId = statementId(returningStmt);
    await call(
      "query-returning",
      { type: "QUERY", db: 0, stmt: returningId, params: ["updated"] },
      "query a prepared RETURNING statement",
      { multi: true },
    );
    await call("exec-sql-probe", { type: "EXEC_SQL", db: 0, sql: "SELECT 1" }, "an exec that yields a row (the client's probe)");
    const [, heartbeatReply] = await conn.call({ type: "HEARTBEAT", timestamp: 1_700_000_000_000n });
    seed(
      "response-heartbeat",
      "response",
      heartbeatReply,
      "the node's reply to HEARTBEAT (raft-internal): FAILURE 1005, unrecognized request type",
    );
  }
  await call("finalize", { type: "FINALIZE", db: 0, stmt: insertId }, "finalize a statement");
  await call("finalize-unknown", { type: "FINALIZE", db: 0, stmt: 999 }, "finalize a statement that does not exist");
  await call("interrupt", { type: "INTERRUPT", db: 0 }, "interrupt with nothing running");
  await call("cluster", { type: "CLUSTER", format: 1 }, "list the cluster with roles");
  await call("describe", { type: "DESCRIBE", format: 0 }, "node metadata");
  await call("weight", { type: "WEIGHT", weight: 3 }, "set the node weight");

  // DUMP of a small database of its own (one database per connection, so a second connection),
  // so the FILES seed stays a few pages long.
  const dumpConn = await RawConnection.open(address, HANDSHAKE_V1, false);
  const dumpCall = async (name, request, description) => {
    const [sent, frames] = await dumpConn.call(request);
    seed(`request-${name}`, "request", [sent], `the client's ${request.type} request: ${description}`);
    seed(
      `response-${name}`,
      "response",
      frames,
      `the node's reply to ${request.type} (${description}); response types ${frames.map((f) => f[4]).join(",")}`,
    );
  };
  await dumpCall("open-dump", { type: "OPEN", name: "dumped", flags: 6, vfs: "" }, "open a second database");
  await dumpCall(
    "exec-sql-dump-fill",
    { type: "EXEC_SQL", db: 0, sql: "CREATE TABLE d (x); INSERT INTO d VALUES (1)" },
    "a tiny table to dump",
  );
  await dumpCall("dump", { type: "DUMP", name: "dumped" }, "dump a database: FILES");
  dumpConn.close();

  // Membership requests for a node that does not exist; a spare changes no quorum.
  await call("add", { type: "ADD", id: 99n, address: "127.0.0.1:1" }, "add a node");
  await call("assign", { type: "ASSIGN", id: 99n, role: 2 }, "assign a role");
  await call("remove", { type: "REMOVE", id: 99n }, "remove a node");
  await call("transfer", { type: "TRANSFER", id: 99n }, "transfer leadership to an unknown node");
  conn.close();

  // The legacy handshake changes the LEADER reply to an address-only body.
  const legacy = await RawConnection.open(address, HANDSHAKE_LEGACY, true);
  const [, legacyFrames] = await legacy.call({ type: "LEADER" });
  seed("response-leader-legacy", "response", legacyFrames, "the node's LEADER reply after the legacy handshake (address only)", {
    legacy: true,
  });
  legacy.close();

  // Requests the client never gets answers for here but whose bytes are seeds too.
  seed("request-heartbeat", "request", [encodeRequest({ type: "HEARTBEAT", timestamp: 1_700_000_000_000n })], "raft-internal HEARTBEAT", {
    allowInternal: true,
  });
  seed("request-connect", "request", [encodeRequest({ type: "CONNECT", id: 2n, address: "127.0.0.1:9002" })], "raft-internal CONNECT", {
    allowInternal: true,
  });
  seed(
    "request-assign-promote-legacy",
    "request",
    [Uint8Array.of(1, 0, 0, 0, 13, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0)],
    "legacy PROMOTE: ASSIGN with the node id alone",
  );
  seed(
    "request-exec-empty-word",
    "request",
    [Uint8Array.of(2, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)],
    "EXEC with empty params written as one zero word (the C client's form)",
  );
}

function check(entry) {
  const bytes = Buffer.from(entry.hex, "hex");
  const options = { legacy: entry.legacy === true, allowInternal: entry.allowInternal === true, intMode: "bigint" };
  let at = 0;
  while (at < bytes.length) {
    const size = 8 + bytes.readUInt32LE(at) * 8;
    decodeFrame(entry.side, new Uint8Array(bytes.subarray(at, at + size)), options);
    at += size;
  }
}

const node = CURRENT ? await startBareNode() : await startNode();
try {
  await record(node.address);
} finally {
  await node.stop();
}
mkdirSync(OUT_DIR, { recursive: true });
for (const file of readdirSync(OUT_DIR)) if (file.endsWith(".json")) rmSync(join(OUT_DIR, file));
for (const entry of seeds) {
  try {
    check(entry);
  } catch (error) {
    throw new Error(`seed ${entry.name} does not decode: ${error.message}`, { cause: error });
  }
  writeFileSync(join(OUT_DIR, `${entry.name}.json`), `${JSON.stringify({ ...entry, recordedFrom: RECORDED_FROM }, null, 2)}\n`);
}
console.log(`recorded ${seeds.length} seeds into ${OUT_DIR}`);
