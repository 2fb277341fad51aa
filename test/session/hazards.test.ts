// What dqlite 1.11 mishandles, and how the session layer keeps it from hanging or crashing a
// node. The first group proves each hazard on a throwaway node with raw bytes (bypassing every
// guard); the second shows the session refusing, bounding or surviving the same thing.

import { connect as netConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import { hasReturningClause } from "../../src/messages/hazards.ts";
import { ConnectionError, EncodeError, ServerError, TimeoutError } from "../../src/errors.ts";
import { encodeRequest } from "../../src/messages/codec.ts";
import type { RequestInput } from "../../src/messages/types.ts";
import { client, rawConnection, startNode, untilStopped, type DqliteNode } from "./helpers.ts";

const HANDSHAKE = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0);

/**
 * Sends the handshake and raw frames on one TCP connection and collects what comes back until
 * the node closes the connection or `waitMs` passes. No library code is involved beyond the
 * encoder, so no guard can interfere.
 */
function sendRaw(address: string, frames: Uint8Array[], waitMs: number): Promise<{ bytes: number; closedByPeer: boolean }> {
  const colon = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    let bytes = 0;
    const finish = (closedByPeer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes, closedByPeer });
    };
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("connect", () => {
      socket.write(HANDSHAKE);
      for (const frame of frames) socket.write(frame);
    });
    socket.on("data", (chunk) => {
      bytes += chunk.length;
    });
    socket.on("close", () => finish(true));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const raw = (input: RequestInput): Uint8Array => encodeRequest(input);
const OPEN_DEMO = raw({ type: "OPEN", name: "demo", flags: 0, vfs: "" });

/** A frame the encoder refuses to build (HEARTBEAT is raft-internal; type 42 is unknown). */
function handMadeFrame(type: number): Uint8Array {
  const frame = new Uint8Array(16);
  frame[0] = 1;
  frame[4] = type;
  return frame;
}

describe("dqlite 1.11 hazards, shown with raw bytes on throwaway nodes", () => {
  it("HEARTBEAT and an unknown request type get no reply at all", async () => {
    const node = await startNode();
    try {
      const heartbeat = await sendRaw(node.address, [handMadeFrame(2)], 700);
      expect(heartbeat).toEqual({ bytes: 0, closedByPeer: false });
      const unknown = await sendRaw(node.address, [handMadeFrame(42)], 700);
      expect(unknown).toEqual({ bytes: 0, closedByPeer: false });
      expect(node.running).toBe(true);
    } finally {
      await node.stop();
    }
  });

  it("INSERT … RETURNING (as QUERY_SQL or EXEC_SQL) leaves a write open; the next write kills the node", async () => {
    for (const type of ["QUERY_SQL", "EXEC_SQL"] as const) {
      const node = await startNode();
      try {
        const returning = raw({ type, db: 0, sql: "INSERT INTO r VALUES (1) RETURNING a" });
        const first = await sendRaw(node.address, [OPEN_DEMO, raw({ type: "EXEC_SQL", db: 0, sql: "CREATE TABLE r (a INTEGER)" }), returning], 500);
        // It answers (ROWS or FAILURE 100) and the node lives on…
        expect(first.bytes).toBeGreaterThan(0);
        expect(node.running).toBe(true);
        // …until a plain write arrives on another connection.
        const second = await sendRaw(node.address, [OPEN_DEMO, raw({ type: "EXEC_SQL", db: 0, sql: "INSERT INTO r VALUES (2)" })], 3000);
        expect(second.closedByPeer).toBe(true);
        await node.exited();
        expect(node.running).toBe(false);
        expect(node.output()).toContain("Assertion `wal->n_tx == 0' failed");
      } finally {
        await node.stop();
      }
    }
  });

  it("DESCRIBE with format 1 answers FAILURE and then kills the node", async () => {
    const node = await startNode();
    try {
      const describeOne = new Uint8Array(16);
      describeOne[0] = 1;
      describeOne[4] = 18;
      describeOne[8] = 1;
      await sendRaw(node.address, [describeOne], 2000);
      await node.exited();
      expect(node.running).toBe(false);
      expect(node.output()).toMatch(/Assertion .* failed/);
    } finally {
      await node.stop();
    }
  });

  it("EXEC of a finalized statement id, with a later statement alive, kills the node", async () => {
    const node = await startNode();
    try {
      await sendRaw(
        node.address,
        [
          OPEN_DEMO,
          raw({ type: "PREPARE", db: 0, sql: "SELECT 1" }),
          raw({ type: "PREPARE", db: 0, sql: "SELECT 2" }),
          raw({ type: "FINALIZE", db: 0, stmt: 0 }),
          raw({ type: "EXEC", db: 0, stmt: 0 }),
        ],
        3000,
      );
      await node.exited();
      expect(node.running).toBe(false);
    } finally {
      await node.stop();
    }
  });
});

describe("dqlite 1.11 hazards the session cannot guard (they depend on stored data)", () => {
  it("reading text from a BOOLEAN column, or a real from a DATETIME column, kills the node; the session fails fast", async () => {
    const cases = [
      { declared: "BOOLEAN", value: "yes", assertion: "type == SQLITE_INTEGER || type == SQLITE_NULL" },
      { declared: "DATETIME", value: 1.5, assertion: "type == SQLITE_TEXT || type == SQLITE_NULL" },
    ];
    await Promise.all(
      cases.map(async ({ declared, value, assertion }) => {
        const node = await startNode();
        const session = await client(node.address, { discovery: { rounds: 1 } });
        try {
          const db = await session.open("demo");
          await db.exec(`CREATE TABLE t (c ${declared})`);
          await db.exec("INSERT INTO t VALUES (?)", [value]);
          const error = await db.query("SELECT c FROM t", [], { timeoutMs: 5000 }).all().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(ConnectionError);
          await node.exited();
          expect(node.output()).toContain(assertion);
        } finally {
          await session.close();
          await node.stop();
        }
      }),
    );
  });
});

describe("the session against the same hazards", () => {
  let node: DqliteNode;
  let session: Client;
  let db: Database;

  beforeAll(async () => {
    node = await startNode();
    session = await client(node.address);
    db = await session.open("demo");
    await db.exec("CREATE TABLE h (a INTEGER)");
  });

  afterAll(async () => {
    await session?.close();
    await node?.stop();
  });

  it("refuses RETURNING before sending it: in query, exec, prepare, and raw requests", async () => {
    expect(() => db.query("INSERT INTO h VALUES (1) RETURNING a")).toThrow(EncodeError);
    expect(() => db.query("insert into h values (1)\n  returning *")).toThrow(/RETURNING leaves dqlite 1\.11 with an open write/);
    await expect(db.exec("INSERT INTO h VALUES (1) RETURNING a")).rejects.toThrow(EncodeError);
    await expect(db.prepare("DELETE FROM h RETURNING a")).rejects.toThrow(EncodeError);
    const conn = session.connection!;
    await expect(conn.request({ type: "EXEC_SQL", db: 0, sql: "UPDATE h SET a = 1 RETURNING a" }, "RESULT")).rejects.toThrow(EncodeError);
    // A raw PREPARE is harmless; running the statement is what is refused.
    const stmt = await conn.request({ type: "PREPARE", db: 0, sql: "INSERT INTO h VALUES (3) RETURNING a" }, "STMT");
    await expect(conn.request({ type: "EXEC", db: 0, stmt: stmt.id }, "RESULT")).rejects.toThrow(/RETURNING/);
    await conn.request({ type: "FINALIZE", db: 0, stmt: stmt.id }, "EMPTY");
    // Nothing ran: the node is fine and writes still work.
    expect((await db.exec("INSERT INTO h VALUES (4)")).rowsAffected).toBe(1);
    await db.exec("DELETE FROM h");
    expect(node.running).toBe(true);
  });

  it("finds RETURNING only outside strings, quoted names and comments", () => {
    expect(hasReturningClause("SELECT 'returning', \"returning\", [returning], `returning` -- returning\n /* returning */")).toBe(false);
    expect(hasReturningClause("SELECT returning_total FROM t")).toBe(false);
    expect(hasReturningClause("DELETE FROM t RETURNING *")).toBe(true);
    expect(hasReturningClause("UPDATE t SET a = 'it''s' RETURNING a")).toBe(true);
  });

  it("refuses more than 255 parameters: dqlite 1.11 reads schema-1 params as schema 0 and silently binds the wrong values", async () => {
    const sum = (n: number) => Array.from({ length: n }, () => "?").join(" + ");
    const ones = (n: number) => Array.from({ length: n }, () => 1);
    expect((await db.query(`SELECT ${sum(255)}`, ones(255)).all()).rows).toEqual([[255]]);
    const refused = await db.query(`SELECT ${sum(256)}`, ones(256)).all().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EncodeError);
    expect((refused as Error).message).toMatch(/256 parameters need params schema 1/);
    await expect(db.exec(`INSERT INTO h VALUES (${sum(300)})`, ones(300))).rejects.toThrow(EncodeError);
    // What the guard prevents, with it switched off: the node takes the low byte of the 32-bit
    // count (256 → 0), binds nothing, and inserts NULL instead of 256.
    const wide = await rawConnection(node.address, { wideParams: true });
    try {
      await wide.request({ type: "OPEN", name: "demo", flags: 0, vfs: "" }, "DB");
      const wrong = await wide.request({ type: "EXEC_SQL", db: 0, sql: `INSERT INTO h VALUES (${sum(256)})`, params: ones(256) }, "RESULT");
      expect(wrong.rowsAffected).toBe(1);
      expect((await db.query("SELECT a FROM h").all()).rows).toEqual([[null]]);
      // Other counts fail to parse instead: FAILURE 1005 (DQLITE_PARSE, "not an error").
      const error = await wide.request({ type: "EXEC_SQL", db: 0, sql: `INSERT INTO h VALUES (${sum(300)})`, params: ones(300) }, "RESULT").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect((error as ServerError).sqliteCode).toBe(1005);
    } finally {
      await wide.close();
      await db.exec("DELETE FROM h");
    }
  });

  it("never sends HEARTBEAT, CONNECT or DESCRIBE format 1, and cannot send an unknown type", async () => {
    const conn = session.connection!;
    await expect(conn.request({ type: "HEARTBEAT", timestamp: 1n }, "EMPTY")).rejects.toThrow(/never answers/);
    await expect(conn.request({ type: "CONNECT", id: 1n, address: "127.0.0.1:1" }, "EMPTY")).rejects.toThrow(EncodeError);
    await expect(conn.request({ type: "DESCRIBE", format: 1 }, "METADATA")).rejects.toThrow(/format 0/);
    await expect(conn.request({ type: "NOPE" } as unknown as RequestInput, "EMPTY")).rejects.toMatchObject({ code: "UNKNOWN_TYPE" });
    // Nothing was sent: the same connection still answers.
    expect((await session.leader()).address).toBe(node.address);
    expect(session.connection).toBe(conn);
  });

  it("a node that stops answering (SIGSTOP) makes calls fail by their timeout; after SIGCONT the client reconnects", async () => {
    node.pause();
    try {
      await untilStopped(node.pid);
      const started = Date.now();
      const error = await db.query("SELECT 1", [], { timeoutMs: 300 }).all().catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "TimeoutError", code: "TIMEOUT" });
      expect(error).toBeInstanceOf(TimeoutError);
      expect(Date.now() - started).toBeLessThan(3000);
      // The timed-out connection is closed (its state is unknown); a new one cannot find a
      // leader while the node is stopped, within the bounded discovery.
      const again = await db.exec("INSERT INTO h VALUES (2)", [], { timeoutMs: 1500 }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(Error);
      expect(["TIMEOUT", "NO_LEADER", "CONNECTION_FAILED"]).toContain((again as TimeoutError | ConnectionError).code);
    } finally {
      node.resume();
    }
    expect((await db.query("SELECT count(*) FROM h", [], { timeoutMs: 5000 }).all()).rows).toEqual([[0]]);
  });

  it("an AbortSignal cancels a call waiting in the queue without touching the connection", async () => {
    const conn = session.connection!;
    const turn = await conn.startTurn("hold the connection");
    const controller = new AbortController();
    const waiting = session.leader({ signal: controller.signal });
    controller.abort(new Error("changed my mind"));
    await expect(waiting).rejects.toMatchObject({ name: "CancelledError", code: "ABORTED" });
    turn.end();
    expect(conn.closed).toBe(false);
    expect((await session.leader()).address).toBe(node.address);
  });
});
