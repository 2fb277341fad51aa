// What dqlite mishandles, version by version (src/messages/hazards.ts has the table), and how the
// session layer keeps it from hanging or crashing a node. The first group proves each hazard on a
// throwaway node with raw bytes (bypassing every guard), on the version this run's nodes have
// (1.11 or 1.18: see test/support/nodes.ts); the second shows the session refusing, bounding or
// surviving the same thing, and using what a current node reads.

import { type Socket, connect as netConnect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import { hasReturningClause } from "../../src/messages/hazards.ts";
import { ConnectionError, EncodeError, ServerError, TimeoutError } from "../../src/errors.ts";
import { encodeRequest } from "../../src/messages/codec.ts";
import { FrameDecoder } from "../../src/stream/frame-decoder.ts";
import { CURRENT_NODE, NODE_RELEASE } from "../support/nodes.ts";
import type { RequestInput } from "../../src/messages/types.ts";
import { client, rawConnection, startNode, untilStopped, type DqliteNode } from "./helpers.ts";

const HANDSHAKE = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0);

/**
 * What a raw exchange waits for: a number of replies (then, with `quietMs`, a window in which the
 * node must not close the connection: that absence can only be seen over time), or the node
 * closing the connection. Either way within a deadline generous for a loaded machine; what has
 * come by then is returned for the test to judge.
 */
type Until = { replies: number; quietMs?: number } | { closed: true };
const RAW_DEADLINE_MS = 20_000;

/**
 * Sends the handshake and raw frames on one TCP connection and collects what comes back until
 * `until` is met. No library code is involved beyond the encoder, so no guard can interfere.
 */
function sendRaw(address: string, frames: Uint8Array[], until: Until): Promise<RawExchange> {
  const colon = address.lastIndexOf(":");
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    let bytes = 0;
    let done = false;
    const received: Uint8Array[] = [];
    let timer = setTimeout(() => finish(false), RAW_DEADLINE_MS);
    const finish = (closedByPeer: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes, closedByPeer, replies: decodeReplies(Buffer.concat(received)) });
    };
    let counted = false;
    const check = (): void => {
      if (counted || !("replies" in until) || decodeReplies(Buffer.concat(received)).length < until.replies) return;
      counted = true;
      if (until.quietMs === undefined) {
        finish(false);
      } else {
        clearTimeout(timer);
        timer = setTimeout(() => finish(false), until.quietMs);
      }
    };
    socket.on("connect", () => {
      socket.write(HANDSHAKE);
      for (const frame of frames) socket.write(frame);
      check(); // zero replies awaited: straight to the quiet window
    });
    socket.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      received.push(chunk);
      check();
    });
    socket.on("close", () => finish(true));
    socket.on("error", (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** One raw connection kept open across exchanges: send frames, wait for a number of replies. */
class RawSession {
  readonly #socket: Socket;
  #received = Buffer.alloc(0);
  #wake: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#wake?.();
    });
  }

  static open(address: string): Promise<RawSession> {
    const colon = address.lastIndexOf(":");
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.write(HANDSHAKE);
        resolve(new RawSession(socket));
      });
    });
  }

  /** Sends `frames` and resolves with every reply so far once there are `replies` of them. */
  async exchange(frames: Uint8Array[], replies: number): Promise<RawExchange["replies"]> {
    for (const frame of frames) this.#socket.write(frame);
    for (;;) {
      const decoded = decodeReplies(this.#received);
      if (decoded.length >= replies) return decoded;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

interface RawExchange {
  bytes: number;
  closedByPeer: boolean;
  /** The whole frames received, decoded: type, and a FAILURE's code and message. */
  replies: { type: string; errorCode?: number; message?: string; schema?: number }[];
}

function decodeReplies(bytes: Uint8Array): RawExchange["replies"] {
  const decoder = new FrameDecoder({ side: "response", handshake: false });
  decoder.push(bytes);
  const replies: RawExchange["replies"] = [];
  for (let message = decoder.next(); message !== undefined; message = decoder.next()) {
    replies.push(
      message.type === "FAILURE"
        ? { type: message.type, errorCode: Number(message.errorCode), message: message.message }
        : { type: message.type, schema: message.schema },
    );
  }
  return replies;
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

describe(`dqlite ${NODE_RELEASE} hazards, shown with raw bytes on throwaway nodes`, () => {
  it("HEARTBEAT and an unknown request type: no reply at all on 1.11, FAILURE 1005 on 1.18", async () => {
    const node = await startNode();
    try {
      for (const frame of [handMadeFrame(2), handMadeFrame(42)]) {
        // 1.11 says nothing, so its silence and the open connection are watched over a window.
        const exchange = await sendRaw(node.address, [frame], { replies: CURRENT_NODE ? 1 : 0, quietMs: 1_000 });
        expect(exchange.closedByPeer).toBe(false);
        if (CURRENT_NODE) expect(exchange.replies).toEqual([{ type: "FAILURE", errorCode: 1005, message: "unrecognized request type" }]);
        else expect(exchange.bytes).toBe(0);
      }
      expect(node.running).toBe(true);
    } finally {
      await node.stop();
    }
  });

  it("what the client's probe asks is answered differently by 1.11 and 1.18, and harms neither", async () => {
    const node = await startNode();
    try {
      const setup = await sendRaw(node.address, [OPEN_DEMO, raw({ type: "EXEC_SQL", db: 0, sql: "CREATE TABLE p (a INTEGER)" })], {
        replies: 2,
      });
      expect(setup.replies.map((reply) => reply.type)).toEqual(["DB", "RESULT"]);
      const probe = await sendRaw(
        node.address,
        [
          OPEN_DEMO,
          raw({ type: "EXEC_SQL", db: 0, sql: "SELECT 1" }),
          raw({ type: "PREPARE", schema: 1, db: 0, sql: "SELECT 1" }),
          raw({ type: "FINALIZE", db: 0, stmt: 0 }),
          // After it, the same connection writes and prepares as usual (id 0 is handed out again).
          raw({ type: "EXEC_SQL", db: 0, sql: "INSERT INTO p VALUES (1)" }),
          raw({ type: "PREPARE", db: 0, sql: "SELECT a FROM p" }),
        ],
        { replies: 6 },
      );
      const [open, exec, prepared, finalized, write, again] = probe.replies;
      expect(open?.type).toBe("DB");
      expect(exec).toEqual(
        CURRENT_NODE
          ? { type: "FAILURE", errorCode: 1, message: "rows yielded when none expected for EXEC request" }
          : { type: "FAILURE", errorCode: 100, message: "another row available" },
      );
      expect(prepared).toEqual({ type: "STMT", schema: CURRENT_NODE ? 1 : 0 });
      expect([finalized?.type, write?.type, again?.type]).toEqual(["EMPTY", "RESULT", "STMT"]);
      // Nothing stays open: another connection writes at once.
      const other = await sendRaw(node.address, [OPEN_DEMO, raw({ type: "EXEC_SQL", db: 0, sql: "INSERT INTO p VALUES (2)" })], {
        replies: 2,
      });
      expect(other.replies.map((reply) => reply.type)).toEqual(["DB", "RESULT"]);
      expect(node.running).toBe(true);
    } finally {
      await node.stop();
    }
  });

  it("INSERT … RETURNING as QUERY_SQL: on 1.11 a write left open that the next write dies of; on 1.18 its rows, committed", async () => {
    const node = await startNode();
    try {
      const returning = raw({ type: "QUERY_SQL", db: 0, sql: "INSERT INTO r VALUES (1), (2) RETURNING a" });
      const first = await sendRaw(
        node.address,
        [OPEN_DEMO, raw({ type: "EXEC_SQL", db: 0, sql: "CREATE TABLE r (a INTEGER)" }), returning],
        { replies: 3 },
      );
      expect(first.replies.map((reply) => reply.type)).toEqual(["DB", "RESULT", "ROWS"]);
      expect(node.running).toBe(true);
      const nextWrite = [OPEN_DEMO, raw({ type: "EXEC_SQL", db: 0, sql: "INSERT INTO r VALUES (3)" })];
      if (CURRENT_NODE) {
        const other = await RawSession.open(node.address);
        const replies = await other.exchange([...nextWrite, raw({ type: "QUERY_SQL", db: 0, sql: "SELECT count(*) FROM r" })], 3);
        other.close();
        expect(replies.map((reply) => reply.type)).toEqual(["DB", "RESULT", "ROWS"]);
        expect(node.running).toBe(true);
      } else {
        const second = await sendRaw(node.address, nextWrite, { closed: true });
        expect(second.closedByPeer).toBe(true);
        await node.exited();
        expect(node.output()).toContain("Assertion `wal->n_tx == 0' failed");
      }
    } finally {
      await node.stop();
    }
  });

  it("INSERT … RETURNING as EXEC_SQL leaves its write open: on 1.11 the next write kills the node; on 1.18 every other writer is locked out until the connection closes, and the close kills it", async () => {
    const node = await startNode();
    try {
      const returning = raw({ type: "EXEC_SQL", db: 0, sql: "INSERT INTO r VALUES (1) RETURNING a" });
      const create = raw({ type: "EXEC_SQL", db: 0, sql: "CREATE TABLE r (a INTEGER)" });
      const write = [OPEN_DEMO, raw({ type: "EXEC_SQL", db: 0, sql: "INSERT INTO r VALUES (2)" })];
      if (CURRENT_NODE) {
        // The RETURNING connection stays open while another one tries to write.
        const holder = await RawSession.open(node.address);
        const held = await holder.exchange([OPEN_DEMO, create, returning], 3);
        expect(held.slice(2)).toEqual([{ type: "FAILURE", errorCode: 1, message: "rows yielded when none expected for EXEC request" }]);
        const locked = await sendRaw(node.address, write, { replies: 2 });
        expect(locked.replies).toEqual([
          { type: "DB", schema: 0 },
          { type: "FAILURE", errorCode: 5, message: "database is locked" },
        ]);
        expect(node.running).toBe(true);
        holder.close();
        await node.exited();
        expect(node.output()).toContain("Assertion `(f->database->shm.lock[0] == 0)' failed");
      } else {
        const first = await sendRaw(node.address, [OPEN_DEMO, create, returning], { replies: 3 });
        expect(first.replies.slice(2)).toEqual([{ type: "FAILURE", errorCode: 100, message: "another row available" }]);
        const second = await sendRaw(node.address, write, { closed: true });
        expect(second.closedByPeer).toBe(true);
        await node.exited();
        expect(node.output()).toContain("Assertion `wal->n_tx == 0' failed");
      }
      expect(node.running).toBe(false);
    } finally {
      await node.stop();
    }
  });

  it("DESCRIBE with format 1 answers FAILURE and then kills the node", async () => {
    const node = await startNode();
    try {
      const describeOne = new Uint8Array(16);
      describeOne[0] = 1;
      describeOne[4] = 18;
      describeOne[8] = 1;
      await sendRaw(node.address, [describeOne], { closed: true });
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
        { closed: true },
      );
      await node.exited();
      expect(node.running).toBe(false);
    } finally {
      await node.stop();
    }
  });
});

describe(`dqlite ${NODE_RELEASE} hazards the session cannot guard (they depend on stored data)`, () => {
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
          const error = await db
            .query("SELECT c FROM t", [], { timeoutMs: 5000 })
            .all()
            .catch((e: unknown) => e);
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

  it(`finds out once per connection what the node reads (dqlite ${NODE_RELEASE}: ${CURRENT_NODE ? "everything" : "none of it"})`, () => {
    const expected = CURRENT_NODE
      ? { wideParams: true, statementTail: true, returning: true }
      : { wideParams: false, statementTail: false, returning: false };
    expect(session.connection!.features).toEqual(expected);
  });

  it("RETURNING: never as an exec; as a query where the node reads it (1.18), refused before sending where not (1.11)", async () => {
    await expect(db.exec("INSERT INTO h VALUES (1) RETURNING a")).rejects.toThrow(
      /RETURNING run as an exec leaves its write transaction open/,
    );
    const conn = session.connection!;
    await expect(conn.request({ type: "EXEC_SQL", db: 0, sql: "UPDATE h SET a = 1 RETURNING a" }, "RESULT")).rejects.toThrow(EncodeError);
    // A PREPARE is harmless; what runs the statement is guarded like its SQL.
    const statement = await db.prepare("INSERT INTO h VALUES (?) RETURNING a * 10");
    await expect(statement.exec([3])).rejects.toThrow(/RETURNING run as an exec/);
    if (CURRENT_NODE) {
      expect((await db.query("INSERT INTO h VALUES (1), (2) RETURNING a").all()).rows).toEqual([[1], [2]]);
      expect((await statement.query([3]).all()).rows).toEqual([[30]]);
      expect((await db.query("SELECT a FROM h ORDER BY a").all()).rows).toEqual([[1], [2], [3]]);
    } else {
      const refused = await db
        .query("insert into h values (1)\n  returning *")
        .all()
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(EncodeError);
      expect((refused as Error).message).toMatch(/RETURNING leaves this node \(dqlite before 1\.18\.2\) with an open write/);
      await expect(statement.query([3]).all()).rejects.toThrow(EncodeError);
      expect((await db.query("SELECT count(*) FROM h").all()).rows).toEqual([[0]]);
    }
    await statement.finalize();
    // The node is fine and writes still work.
    expect((await db.exec("INSERT INTO h VALUES (4)")).rowsAffected).toBe(1);
    await db.exec("DELETE FROM h");
    expect(node.running).toBe(true);
  });

  it("a RETURNING query left early is read to its end, not interrupted (1.18; refused on 1.11)", async () => {
    const sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5000) INSERT INTO h SELECT x FROM n RETURNING a";
    const result = db.query(sql);
    if (!CURRENT_NODE) {
      await expect(result.all()).rejects.toThrow(EncodeError);
      return;
    }
    for await (const batch of result) {
      expect(batch.rowCount).toBeGreaterThan(0);
      break;
    }
    // The whole write happened (at its first row), and the connection is free for the next call.
    expect((await db.query("SELECT count(*) FROM h").all()).rows).toEqual([[5000]]);
    expect((await db.exec("DELETE FROM h")).rowsAffected).toBe(5000);
  });

  it("PREPARE of several statements: 1.18 says where the first ends (statement.tail); 1.11 ignores the rest", async () => {
    const statement = await db.prepare("SELECT 1; SELECT 'é', 2");
    try {
      if (CURRENT_NODE) {
        expect(statement.tailOffset).toBe(9);
        expect(statement.tail).toBe(" SELECT 'é', 2");
      } else {
        expect(statement.tailOffset).toBeUndefined();
        expect(statement.tail).toBeUndefined();
      }
      expect((await statement.query().all()).rows).toEqual([[1]]);
    } finally {
      await statement.finalize();
    }
  });

  it("finds RETURNING only outside strings, quoted names and comments", () => {
    expect(hasReturningClause("SELECT 'returning', \"returning\", [returning], `returning` -- returning\n /* returning */")).toBe(false);
    expect(hasReturningClause("SELECT returning_total FROM t")).toBe(false);
    expect(hasReturningClause("DELETE FROM t RETURNING *")).toBe(true);
    expect(hasReturningClause("UPDATE t SET a = 'it''s' RETURNING a")).toBe(true);
  });

  it("more than 255 parameters: sent as params schema 1 to a node that reads it (1.18); refused on 1.11, which misreads them", async () => {
    const sum = (n: number) => Array.from({ length: n }, () => "?").join(" + ");
    const ones = (n: number) => Array.from({ length: n }, () => 1);
    expect((await db.query(`SELECT ${sum(255)}`, ones(255)).all()).rows).toEqual([[255]]);
    if (CURRENT_NODE) {
      expect((await db.query(`SELECT ${sum(256)}`, ones(256)).all()).rows).toEqual([[256]]);
      await db.exec(`INSERT INTO h VALUES (${sum(300)})`, ones(300));
      expect((await db.query("SELECT a FROM h").all()).rows).toEqual([[300]]);
      await db.exec("DELETE FROM h");
      return;
    }
    const refused = await db
      .query(`SELECT ${sum(256)}`, ones(256))
      .all()
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EncodeError);
    expect((refused as Error).message).toMatch(/256 parameters need params schema 1/);
    await expect(db.exec(`INSERT INTO h VALUES (${sum(300)})`, ones(300))).rejects.toThrow(EncodeError);
    // What the guard prevents, with it switched off: the node takes the low byte of the 32-bit
    // count (256 → 0), binds nothing, and inserts NULL instead of 256.
    const wide = await rawConnection(node.address, { features: { wideParams: true } });
    try {
      await wide.request({ type: "OPEN", name: "demo", flags: 0, vfs: "" }, "DB");
      const wrong = await wide.request({ type: "EXEC_SQL", db: 0, sql: `INSERT INTO h VALUES (${sum(256)})`, params: ones(256) }, "RESULT");
      expect(wrong.rowsAffected).toBe(1);
      expect((await db.query("SELECT a FROM h").all()).rows).toEqual([[null]]);
      // Other counts fail to parse instead: FAILURE 1005 (DQLITE_PARSE, "not an error").
      const error = await wide
        .request({ type: "EXEC_SQL", db: 0, sql: `INSERT INTO h VALUES (${sum(300)})`, params: ones(300) }, "RESULT")
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect((error as ServerError).sqliteCode).toBe(1005);
    } finally {
      await wide.close();
      await db.exec("DELETE FROM h");
    }
  });

  it("never sends HEARTBEAT, CONNECT or DESCRIBE format 1, and cannot send an unknown type", async () => {
    const conn = session.connection!;
    await expect(conn.request({ type: "HEARTBEAT", timestamp: 1n }, "EMPTY")).rejects.toThrow(/raft-internal/);
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
      const error = await db
        .query("SELECT 1", [], { timeoutMs: 300 })
        .all()
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: "TimeoutError", code: "TIMEOUT" });
      expect(error).toBeInstanceOf(TimeoutError);
      // By its 300 ms timeout rather than hanging: a bound loose enough for a loaded machine.
      expect(Date.now() - started).toBeLessThan(10_000);
      // The timed-out connection is closed (its state is unknown); a new one cannot find a
      // leader while the node is stopped, within the bounded discovery.
      const again = await db.exec("INSERT INTO h VALUES (2)", [], { timeoutMs: 1500 }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(Error);
      expect(["TIMEOUT", "NO_LEADER", "CONNECTION_FAILED"]).toContain((again as TimeoutError | ConnectionError).code);
    } finally {
      node.resume();
    }
    expect((await db.query("SELECT count(*) FROM h", [], { timeoutMs: 20_000 }).all()).rows).toEqual([[0]]);
  });

  it("an AbortSignal cancels a call waiting for a connection without touching the connection", async () => {
    const single = await client(node.address, { pool: { max: 1 } });
    try {
      const one = await single.open("demo");
      const holder = one.query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i FROM n");
      await holder[Symbol.asyncIterator]().next();
      const conn = single.connection!;
      const controller = new AbortController();
      const waiting = single.leader({ signal: controller.signal });
      controller.abort(new Error("changed my mind"));
      await expect(waiting).rejects.toMatchObject({ name: "CancelledError", code: "ABORTED" });
      await holder.close();
      expect(conn.closed).toBe(false);
      expect((await single.leader()).address).toBe(node.address);
      expect(single.connection).toBe(conn);
    } finally {
      await single.close();
    }
  });
});
