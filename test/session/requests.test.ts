// Every request type a single dqlite node answers, sent through the session layer and checked
// field by field against what the real node (dqlite-demo 1.11) replies.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../../src/client/connection.ts";
import { EncodeError, ServerError } from "../../src/errors.ts";
import { CURRENT_NODE, NODE_RELEASE } from "../support/nodes.ts";
import { client, rawConnection, startNode, type DqliteNode } from "./helpers.ts";

let node: DqliteNode;
let conn: Connection;

beforeAll(async () => {
  node = await startNode();
  conn = await rawConnection(node.address);
});

afterAll(async () => {
  await conn?.close();
  await node?.stop();
});

describe("every request a single node answers", () => {
  it("LEADER → LEADER with the node's own id and address", async () => {
    const reply = await conn.request({ type: "LEADER" }, "LEADER");
    expect(reply.type).toBe("LEADER");
    expect(reply.schema).toBe(0);
    expect(reply.address).toBe(node.address);
    expect("id" in reply && typeof reply.id === "bigint" && reply.id > 0n).toBe(true);
  });

  it("CLIENT → WELCOME with the 15 s heartbeat timeout", async () => {
    const reply = await conn.request({ type: "CLIENT", id: 42 }, "WELCOME");
    expect(reply).toEqual({ type: "WELCOME", code: 2, schema: 0, heartbeatTimeout: 15000n });
  });

  it("OPEN → DB id 0; a second OPEN on the same connection is refused (one database per connection)", async () => {
    expect(await conn.request({ type: "OPEN", name: "demo", flags: 0, vfs: "" }, "DB")).toEqual({ type: "DB", code: 4, schema: 0, id: 0 });
    const error = await conn.request({ type: "OPEN", name: "other", flags: 0, vfs: "" }, "DB").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).sqliteCode).toBe(5);
    expect((error as ServerError).message).toContain("a database for this connection is already open");
  });

  it("EXEC_SQL → RESULT with lastInsertId and rowsAffected", async () => {
    expect(await conn.request({ type: "EXEC_SQL", db: 0, sql: "CREATE TABLE req (id INTEGER PRIMARY KEY, v TEXT)" }, "RESULT")).toEqual({
      type: "RESULT",
      code: 6,
      schema: 0,
      lastInsertId: 0n,
      rowsAffected: 0,
    });
    const insert = await conn.request(
      { type: "EXEC_SQL", db: 0, sql: "INSERT INTO req (id, v) VALUES (?, ?), (?, ?)", params: [7, "a", 9, "b"] },
      "RESULT",
    );
    expect(insert.lastInsertId).toBe(9n);
    expect(insert.rowsAffected).toBe(2);
  });

  it(`PREPARE → STMT (schema 1 asked: a tail offset from 1.18, schema 0 from 1.11, which sends none; dqlite ${NODE_RELEASE})`, async () => {
    const stmt = await conn.request({ type: "PREPARE", db: 0, sql: "INSERT INTO req (v) VALUES (?)" }, "STMT");
    expect(stmt).toEqual({ type: "STMT", code: 5, schema: 0, db: 0, id: 0, paramCount: 1 });
    const sql = "SELECT v FROM req WHERE id > ? AND id < ?";
    const v1 = await conn.request({ type: "PREPARE", db: 0, sql, schema: 1 }, "STMT");
    expect(v1).toEqual(
      CURRENT_NODE
        ? { type: "STMT", code: 5, schema: 1, db: 0, id: 1, paramCount: 2, tailOffset: sql.length }
        : { type: "STMT", code: 5, schema: 0, db: 0, id: 1, paramCount: 2 },
    );

    // EXEC → RESULT on the prepared statement.
    const exec = await conn.request({ type: "EXEC", db: 0, stmt: 0, params: ["c"] }, "RESULT");
    expect(exec).toEqual({ type: "RESULT", code: 6, schema: 0, lastInsertId: 10n, rowsAffected: 1 });

    // QUERY → ROWS on the prepared statement.
    const turn = await conn.turn("QUERY");
    try {
      await turn.send({ type: "QUERY", db: 0, stmt: 1, params: [7, 10] });
      const rows = await turn.reply("QUERY", "ROWS");
      expect(rows).toEqual({
        type: "ROWS",
        code: 7,
        schema: 0,
        columns: ["v"],
        rows: [{ types: [3], values: ["b"] }],
        marker: "DONE",
      });
    } finally {
      turn.end();
    }

    // FINALIZE → EMPTY. Using the id again would crash dqlite 1.11 (statement 1 still exists):
    // the connection refuses it before sending, and the node keeps answering.
    expect(await conn.request({ type: "FINALIZE", db: 0, stmt: 0 }, "EMPTY")).toEqual({ type: "EMPTY", code: 8, schema: 0 });
    const again = await conn.request({ type: "EXEC", db: 0, stmt: 0, params: ["d"] }, "RESULT").catch((e: unknown) => e);
    expect(again).toBeInstanceOf(EncodeError);
    expect((again as EncodeError).message).toMatch(/statement 0 was finalized/);
    expect(await conn.request({ type: "FINALIZE", db: 0, stmt: 1 }, "EMPTY")).toEqual({ type: "EMPTY", code: 8, schema: 0 });
    // With no statement left, an unknown id gets a FAILURE (code 12), not a crash.
    const unknown = await conn.request({ type: "EXEC", db: 0, stmt: 7, params: [] }, "RESULT").catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(ServerError);
    expect((unknown as ServerError).sqliteCode).toBe(12);
    expect((unknown as ServerError).message).toContain("no statement with the given id");
  });

  it("QUERY_SQL → ROWS with column names, per-row types and the DONE marker", async () => {
    const turn = await conn.turn("QUERY_SQL");
    try {
      await turn.send({ type: "QUERY_SQL", db: 0, sql: "SELECT 1, 2.5, 'x', NULL, x'ff'" });
      const rows = await turn.reply("QUERY_SQL", "ROWS");
      expect(rows.type).toBe("ROWS");
      if (rows.type !== "ROWS") return;
      expect(rows.columns).toEqual(["1", "2.5", "'x'", "NULL", "x'ff'"]);
      expect(rows.rows).toHaveLength(1);
      expect(rows.rows[0]!.types).toEqual([1, 2, 3, 5, 4]);
      expect(rows.rows[0]!.values).toEqual([1, 2.5, "x", null, Uint8Array.of(0xff)]);
      expect(rows.marker).toBe("DONE");
    } finally {
      turn.end();
    }
  });

  it("a syntax error → FAILURE code 1 with SQLite's message, and the connection stays usable", async () => {
    const error = await conn.request({ type: "EXEC_SQL", db: 0, sql: "SELEC 1" }, "RESULT").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).sqliteCode).toBe(1);
    expect((error as ServerError).message).toContain('near "SELEC": syntax error');
    expect((await conn.request({ type: "LEADER" }, "LEADER")).address).toBe(node.address);
  });

  it("INTERRUPT → EMPTY, also when no query runs", async () => {
    expect(await conn.request({ type: "INTERRUPT", db: 0 }, "EMPTY")).toEqual({ type: "EMPTY", code: 8, schema: 0 });
  });

  it("CLUSTER (format 1) → SERVERS listing this node as a voter", async () => {
    const reply = await conn.request({ type: "CLUSTER", format: 1 }, "SERVERS");
    expect(reply.nodes).toHaveLength(1);
    expect(reply.nodes[0]!.address).toBe(node.address);
    expect(reply.nodes[0]!.role).toBe(0);
    expect(reply.nodes[0]!.id > 0n).toBe(true);
  });

  it("DESCRIBE (format 0) → METADATA; WEIGHT → EMPTY and DESCRIBE shows the new weight", async () => {
    expect(await conn.request({ type: "DESCRIBE", format: 0 }, "METADATA")).toEqual({
      type: "METADATA",
      code: 10,
      schema: 0,
      failureDomain: 0n,
      weight: 0n,
    });
    expect(await conn.request({ type: "WEIGHT", weight: 5 }, "EMPTY")).toEqual({ type: "EMPTY", code: 8, schema: 0 });
    expect((await conn.request({ type: "DESCRIBE", format: 0 }, "METADATA")).weight).toBe(5n);
  });

  it(`DUMP → FILES: the database file (an SQLite header) and its WAL, sizes multiples of 8 (1.11: the WAL holds the recent pages; 1.18: every page is in the main file and the WAL is empty; dqlite ${NODE_RELEASE})`, async () => {
    const reply = await conn.request({ type: "DUMP", name: "demo" }, "FILES");
    expect(reply.files.map((file) => file.name)).toEqual(["demo", "demo-wal"]);
    const [main, wal] = reply.files;
    expect(new TextDecoder().decode(main!.content.subarray(0, 15))).toBe("SQLite format 3");
    expect(main!.content.length % 4096).toBe(0);
    expect(wal!.content.length % 8).toBe(0);
    if (CURRENT_NODE) expect(wal!.content.length).toBe(0);
    else expect(wal!.content.length).toBeGreaterThan(32);
  });

  it("the legacy handshake gets an address-only LEADER reply", async () => {
    const legacy = await rawConnection(node.address, { legacy: true });
    try {
      const reply = await legacy.request({ type: "LEADER" }, "LEADER");
      expect(reply).toEqual({ type: "LEADER", code: 1, schema: 0, address: node.address });
    } finally {
      await legacy.close();
    }
  });
});

describe("raw requests of multi-frame results", () => {
  it("request() of a query returns what the codec decodes of the same ROWS frame (the result reader's path)", async () => {
    const sql = "SELECT 1, -2.5, 'x', NULL, x'ff00', 9007199254740991, 'é'";
    const turn = await conn.turn("QUERY_SQL");
    let decoded: unknown;
    try {
      turn.send({ type: "QUERY_SQL", db: 0, sql });
      decoded = await turn.reply("QUERY_SQL", "ROWS");
    } finally {
      turn.end();
    }
    expect(await conn.request({ type: "QUERY_SQL", db: 0, sql }, "ROWS")).toEqual(decoded);
  });

  it("request() of QUERY_SQL reads every continuation frame and returns one ROWS with all rows", async () => {
    const reply = await conn.request(
      {
        type: "QUERY_SQL",
        db: 0,
        sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) SELECT i, 'row ' || i FROM n",
      },
      "ROWS",
    );
    expect(reply.marker).toBe("DONE");
    expect(reply.columns).toEqual(["i", "'row ' || i"]);
    expect(reply.rows).toHaveLength(5000);
    expect(reply.rows[4999]).toEqual({ types: [1, 3], values: [5000, "row 5000"] });
    // The connection is in step: the next request gets its own reply.
    expect((await conn.request({ type: "LEADER" }, "LEADER")).address).toBe(node.address);
  });

  it("a FAILURE written after part of a ROWS frame becomes a ServerError and the connection goes on", async () => {
    const error = await conn
      .request(
        {
          type: "QUERY_SQL",
          db: 0,
          sql: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) SELECT i, CASE WHEN i = 4000 THEN abs(-9223372036854775807 - 1) ELSE i END FROM n",
        },
        "ROWS",
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).sqliteCode).toBe(1);
    expect((error as ServerError).message).toContain("integer overflow");
    expect(conn.closed).toBe(false);
    expect((await conn.request({ type: "LEADER" }, "LEADER")).address).toBe(node.address);
  });
});

describe("client options against the real node", () => {
  it("legacy: true discovers the leader from the address-only LEADER reply (id 0); clientId registers with CLIENT", async () => {
    const legacy = await client(node.address, { legacy: true, clientId: 7 });
    try {
      expect(legacy.leaderId).toBe(0n);
      expect(legacy.address).toBe(node.address);
      expect(await legacy.leader()).toEqual({ id: 0n, address: node.address });
      expect(await legacy.register(8)).toEqual({ heartbeatTimeout: 15000n });
      const db = await legacy.open("demo");
      expect((await db.query("SELECT count(*) FROM req").all()).rows).toEqual([[3]]);
    } finally {
      await legacy.close();
    }
    await expect(legacy.leader()).rejects.toMatchObject({ code: "BAD_STATE" });
  });
});
