// Transactions on a real node: `db.transaction(fn)` commits, rolls back, returns, nests with
// savepoints, and holds the client's connection so that no other call of the client runs
// inside it — the writes of other tasks are never rolled back with it. Also what a plain
// `db.exec("BEGIN")` does (the hazard the API exists for), and why other calls wait rather
// than use a second connection.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "../../src/client/client.ts";
import type { Database } from "../../src/client/database.ts";
import { isOutcomeUnknown } from "../../src/client/server-errors.ts";
import type { Transaction } from "../../src/client/transaction.ts";
import { suppressedErrors } from "../../src/client/transaction-run.ts";
import { CancelledError, ConnectionError, ServerError, TimeoutError, WireError } from "../../src/errors.ts";
import { client, rawConnection, startNode, uniqueTable, until, type DqliteNode } from "./helpers.ts";

let node: DqliteNode;
let session: Client;
let db: Database;

beforeAll(async () => {
  node = await startNode();
  session = await client(node.address);
  db = await session.open("demo");
});

afterAll(async () => {
  await session?.close();
  await node?.stop();
});

/** A fresh table `(tag TEXT)`. */
async function table(prefix: string): Promise<string> {
  const name = uniqueTable(prefix);
  await db.exec(`CREATE TABLE ${name} (tag TEXT)`);
  return name;
}

async function tags(name: string): Promise<string[]> {
  const { rows } = await db.query(`SELECT tag FROM ${name} ORDER BY rowid`).all();
  return rows.map((row) => (row as unknown[])[0] as string);
}

/** A promise with its resolve function, to hold a transaction open at a chosen point. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

class Planned extends Error {}

describe("why other calls wait for a transaction", () => {
  it("dqlite answers a write from a second connection during an open transaction with SQLITE_BUSY at once", async () => {
    const name = await table("busy");
    const [a, b] = [await rawConnection(node.address), await rawConnection(node.address)];
    try {
      for (const c of [a, b]) await c.request({ type: "OPEN", name: "demo", flags: 0, vfs: "" }, "DB");
      await a.request({ type: "EXEC_SQL", db: 0, sql: "BEGIN", params: [] }, "RESULT");
      await a.request({ type: "EXEC_SQL", db: 0, sql: `INSERT INTO ${name} VALUES ('a')`, params: [] }, "RESULT");
      const busy = await b
        .request({ type: "EXEC_SQL", db: 0, sql: `INSERT INTO ${name} VALUES ('b')`, params: [] }, "RESULT")
        .catch((e: unknown) => e);
      expect(busy).toBeInstanceOf(ServerError);
      expect((busy as ServerError).sqliteCode).toBe(5);
      expect((busy as ServerError).message).toContain("database is locked");
      await a.request({ type: "EXEC_SQL", db: 0, sql: "COMMIT", params: [] }, "RESULT");
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("plain BEGIN", () => {
  it("is refused on a pooled client (the next call may run on another connection), before anything is sent", async () => {
    const name = await table("pooled");
    for (const sql of ["BEGIN", "  begin immediate", "COMMIT", "END", "ROLLBACK", "SAVEPOINT s", "RELEASE s"]) {
      await expect(db.exec(sql)).rejects.toThrow(/is not sent on a pooled client.*db\.transaction\(fn\)/);
    }
    expect(() => db.query("BEGIN")).toThrow(/pooled client/);
    // Nothing was left open: a write from another connection goes through at once.
    const other = await rawConnection(node.address);
    try {
      await other.request({ type: "OPEN", name: "demo", flags: 0, vfs: "" }, "DB");
      await other.request({ type: "EXEC_SQL", db: 0, sql: `INSERT INTO ${name} VALUES ('other')`, params: [] }, "RESULT");
    } finally {
      await other.close();
    }
    expect(await tags(name)).toEqual(["other"]);
  });

  it("on a client of one connection (pool max 1), another task's write that resolved runs inside the open BEGIN and is lost with its ROLLBACK (the hazard)", async () => {
    const name = await table("hazard");
    const single = await client(node.address, { pool: { max: 1 } });
    try {
      const one = await single.open("demo");
      await one.exec("BEGIN");
      await one.exec(`INSERT INTO ${name} VALUES ('a')`);
      const b = await one.exec(`INSERT INTO ${name} VALUES ('b')`); // task B, told its write succeeded
      expect(b.rowsAffected).toBe(1);
      await one.exec("ROLLBACK");
    } finally {
      await single.close();
    }
    expect(await tags(name)).toEqual([]); // B's row is gone too
  });
});

describe("db.transaction", () => {
  it("commits when the function resolves and returns its value", async () => {
    const name = await table("commit");
    const value = await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${name} VALUES (?)`, ["one"]);
      const { rows } = await tx.query(`SELECT count(*) FROM ${name}`).all();
      return { inside: rows[0], marker: 42 };
    });
    expect(value).toEqual({ inside: [1], marker: 42 });
    expect(await tags(name)).toEqual(["one"]);
  });

  it("rolls back when the function throws, and throws that same error", async () => {
    const name = await table("rollback");
    const planned = new Planned("stop here");
    const error = await db
      .transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${name} VALUES ('gone')`);
        throw planned;
      })
      .catch((e: unknown) => e);
    expect(error).toBe(planned);
    expect(suppressedErrors(error)).toEqual([]);
    expect(await tags(name)).toEqual([]);
    // The connection is free and outside any transaction: a plain write persists.
    await db.exec(`INSERT INTO ${name} VALUES ('after')`);
    expect(await tags(name)).toEqual(["after"]);
  });

  it("a SQL error inside does not end the transaction; the function decides", async () => {
    const name = await table("sqlerr");
    await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${name} VALUES ('kept')`);
      await expect(tx.exec("INSERT INTO no_such_table VALUES (1)")).rejects.toBeInstanceOf(ServerError);
      await tx.exec(`INSERT INTO ${name} VALUES ('also kept')`);
    });
    expect(await tags(name)).toEqual(["kept", "also kept"]);
  });

  it("B's write survives A's rollback when B starts while A is open (B waits for A)", async () => {
    const name = await table("order1");
    const inside = gate();
    const release = gate();
    const a = db
      .transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${name} VALUES ('a')`);
        inside.open();
        await release.promise;
        throw new Planned("A rolls back");
      })
      .catch((e: unknown) => e);
    await inside.promise;
    let bResolved = false;
    const b = db.exec(`INSERT INTO ${name} VALUES ('b')`).then((result) => {
      bResolved = true;
      return result;
    });
    // B queues for the write lane A holds (the client's own count says so) and does not resolve
    // while A is open. That it stays queued can only be seen over a window of time; a loaded
    // machine can only make B slower, so the window cannot fail a correct client.
    const queued = () => session.stats().writeLane.held && session.stats().writeLane.waiting === 1;
    await until(queued, "B to queue for the write lane");
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(queued()).toBe(true);
    expect(bResolved).toBe(false); // B waits while A is open
    release.open();
    expect(await a).toBeInstanceOf(Planned);
    expect((await b).rowsAffected).toBe(1);
    expect(await tags(name)).toEqual(["b"]);
  });

  it("B's write survives A's rollback when B started before A (A's BEGIN waits for B)", async () => {
    const name = await table("order2");
    const b = db.exec(`INSERT INTO ${name} VALUES ('b')`);
    const a = db
      .transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${name} VALUES ('a')`);
        throw new Planned("A rolls back");
      })
      .catch((e: unknown) => e);
    expect((await b).rowsAffected).toBe(1);
    expect(await a).toBeInstanceOf(Planned);
    expect(await tags(name)).toEqual(["b"]);
  });

  it("many concurrent transactions and plain writes: the final rows are exactly those that resolved", async () => {
    const name = await table("many");
    const work: Promise<string[]>[] = [];
    for (let i = 0; i < 30; i++) {
      work.push(
        db
          .transaction(async (tx) => {
            await tx.exec(`INSERT INTO ${name} VALUES (?)`, [`t${i}.1`]);
            await new Promise((resolve) => setTimeout(resolve, i % 3));
            await tx.exec(`INSERT INTO ${name} VALUES (?)`, [`t${i}.2`]);
            if (i % 4 === 0) throw new Planned(`t${i} rolls back`);
            return [`t${i}.1`, `t${i}.2`];
          })
          .catch((e: unknown) => {
            if (!(e instanceof Planned)) throw e;
            return [];
          }),
      );
      work.push(db.exec(`INSERT INTO ${name} VALUES (?)`, [`p${i}`]).then(() => [`p${i}`]));
    }
    const resolved = (await Promise.all(work)).flat();
    expect(resolved.length).toBe(30 + 2 * (30 - 8));
    expect((await tags(name)).sort()).toEqual(resolved.sort());
  });

  it("modes: immediate and exclusive begin as asked; an unknown mode is refused before anything is sent", async () => {
    const name = await table("modes");
    for (const mode of ["immediate", "exclusive", "deferred"] as const) {
      await db.transaction((tx) => tx.exec(`INSERT INTO ${name} VALUES (?)`, [mode]), { mode });
    }
    expect(await tags(name)).toEqual(["immediate", "exclusive", "deferred"]);
    const bad = await db.transaction(async () => 1, { mode: "eager" as never }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(WireError);
    expect((bad as WireError).code).toBe("BAD_STATE");
    expect((bad as WireError).message).toContain('"eager"');
  });

  it("a tx, its statements and its queries throw BAD_STATE once the transaction has ended", async () => {
    const name = await table("ended");
    let kept!: Transaction;
    const statement = await db.transaction(async (tx) => {
      kept = tx;
      const stmt = await tx.prepare(`INSERT INTO ${name} VALUES (?)`);
      await stmt.exec(["inside"]);
      return stmt;
    });
    const calls: (() => Promise<unknown>)[] = [
      () => kept.exec(`INSERT INTO ${name} VALUES ('late')`),
      () => kept.query(`SELECT * FROM ${name}`).all(),
      () => kept.prepare(`SELECT 1`),
      () => statement.exec(["late"]),
      () => kept.transaction(async () => 1),
    ];
    for (const call of calls) {
      const error = await Promise.resolve()
        .then(call)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WireError);
      expect((error as WireError).code).toBe("BAD_STATE");
    }
    await statement.finalize(); // releasing it on the node is still allowed
    expect(await tags(name)).toEqual(["inside"]);
  });

  it("a query inside streams many frames while a plain write waits for the commit", async () => {
    const name = await table("stream");
    let plain: Promise<unknown> | undefined;
    const count = await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${name} VALUES ('tx')`);
      plain = db.exec(`INSERT INTO ${name} VALUES ('plain')`);
      let rows = 0;
      const sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000) SELECT x, 'row ' || x FROM n";
      for await (const batch of tx.query(sql)) rows += batch.rowCount;
      return rows;
    });
    expect(count).toBe(20_000);
    await plain;
    expect(await tags(name)).toEqual(["tx", "plain"]);
  });

  it("nested transactions are savepoints: a failed inner one undoes only its own writes", async () => {
    const name = await table("nested");
    await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${name} VALUES ('outer')`);
      const error = await tx
        .transaction(async (inner) => {
          await inner.exec(`INSERT INTO ${name} VALUES ('inner, undone')`);
          // The outer handle waits while the savepoint is open.
          const misuse = await tx.exec(`INSERT INTO ${name} VALUES ('wrong handle')`).catch((e: unknown) => e);
          expect((misuse as WireError).code).toBe("BAD_STATE");
          expect((misuse as WireError).message).toContain("savepoint nested in it is open");
          throw new Planned("inner fails");
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Planned);
      const kept = await tx.transaction(async (inner) => {
        await inner.exec(`INSERT INTO ${name} VALUES ('inner, kept')`);
        return "released";
      });
      expect(kept).toBe("released");
    });
    expect(await tags(name)).toEqual(["outer", "inner, kept"]);
  });

  it("BEGIN, COMMIT, END and ROLLBACK through tx are refused (nothing sent); SAVEPOINT is fine", async () => {
    const name = await table("control");
    await db.transaction(async (tx) => {
      for (const sql of ["COMMIT", "  -- note\n rollback", "END TRANSACTION", "BEGIN IMMEDIATE"]) {
        const error = await tx.exec(sql).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WireError);
        expect((error as WireError).code).toBe("BAD_STATE");
      }
      await tx.exec("SAVEPOINT mine");
      await tx.exec(`INSERT INTO ${name} VALUES ('undone')`);
      await tx.exec("ROLLBACK TO mine");
      await tx.exec("RELEASE mine");
      await tx.exec(`INSERT INTO ${name} VALUES ('kept')`);
    });
    expect(await tags(name)).toEqual(["kept"]);
  });

  it("a failed rollback is attached to the original error, which is thrown unchanged", async () => {
    const name = await table("badrollback");
    const planned = new Planned("fn fails");
    const generation = session.generation;
    const error = await db
      .transaction(async (tx) => {
        await tx.exec(`INSERT INTO ${name} VALUES ('x')`);
        // Only the first statement is checked: this ends the transaction behind its back.
        await tx.exec(`INSERT INTO ${name} VALUES ('y'); ROLLBACK`);
        throw planned;
      })
      .catch((e: unknown) => e);
    expect(error).toBe(planned);
    const [rollbackError] = suppressedErrors(error);
    expect(rollbackError).toBeInstanceOf(ServerError);
    expect((rollbackError as ServerError).message).toContain("no transaction is active");
    // The connection was closed rather than trusted; the next call reconnects.
    expect(await tags(name)).toEqual([]);
    expect(session.generation).toBe(generation + 1);
  });

  it("plain BEGIN left open (pool max 1): transaction() fails with the node's error and leaves that BEGIN alone", async () => {
    const name = await table("plainopen");
    const single = await client(node.address, { pool: { max: 1 } });
    try {
      const one = await single.open("demo");
      await one.exec("BEGIN");
      await one.exec(`INSERT INTO ${name} VALUES ('plain')`);
      const error = await one.transaction(async () => "never").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServerError);
      expect((error as ServerError).message).toContain("cannot start a transaction within a transaction");
      await one.exec("COMMIT");
    } finally {
      await single.close();
    }
    expect(await tags(name)).toEqual(["plain"]);
  });

  it("a call of the database inside fn waits for the transaction and times out saying why", async () => {
    const name = await table("wronghandle");
    await db.transaction(async (tx) => {
      await tx.exec(`INSERT INTO ${name} VALUES ('tx')`);
      const error = await db.exec(`INSERT INTO ${name} VALUES ('db')`, [], { timeoutMs: 300 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toContain("held by a transaction");
    });
    expect(await tags(name)).toEqual(["tx"]);
  });

  it("an abort ends the transaction at once: rolled back, the connection free for others, CancelledError", async () => {
    const name = await table("abort");
    const controller = new AbortController();
    const inside = gate();
    const release = gate();
    let lateCall: unknown;
    const tx = db
      .transaction(
        async (t) => {
          await t.exec(`INSERT INTO ${name} VALUES ('undone')`);
          inside.open();
          await release.promise;
          lateCall = await t.exec(`INSERT INTO ${name} VALUES ('late')`).catch((e: unknown) => e);
          return "resolved anyway";
        },
        { signal: controller.signal },
      )
      .catch((e: unknown) => e);
    await inside.promise;
    const waiting = db.exec(`INSERT INTO ${name} VALUES ('plain')`);
    controller.abort();
    // The plain write runs although the function has not returned yet.
    expect((await waiting).rowsAffected).toBe(1);
    release.open();
    const error = await tx;
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).code).toBe("ABORTED");
    expect((lateCall as WireError).code).toBe("BAD_STATE");
    expect(await tags(name)).toEqual(["plain"]);
  });
});

describe("a node that stops answering inside a transaction (throwaway node)", () => {
  let lone: DqliteNode;
  let loneClient: Client;
  let loneDb: Database;
  beforeAll(async () => {
    lone = await startNode();
    loneClient = await client(lone.address);
    loneDb = await loneClient.open("demo");
    await loneDb.exec("CREATE TABLE s (tag TEXT)");
  });
  afterAll(async () => {
    await loneClient?.close();
    await lone?.stop();
  });

  async function loneTags(): Promise<string[]> {
    const { rows } = await loneDb.query("SELECT tag FROM s ORDER BY rowid").all();
    return rows.map((row) => (row as unknown[])[0] as string);
  }

  it("a timeout inside ends the transaction with TimeoutError; nothing of it is applied or resent", async () => {
    let kept!: Transaction;
    const error = await loneDb
      .transaction(async (tx) => {
        kept = tx;
        await tx.exec("INSERT INTO s VALUES ('before the stop')");
        await lone.pause();
        await tx.exec("INSERT INTO s VALUES ('unanswered')", [], { timeoutMs: 300 });
      })
      .catch((e: unknown) => e);
    await lone.resume();
    expect(error).toBeInstanceOf(TimeoutError);
    const late = await kept.exec("INSERT INTO s VALUES ('late')").catch((e: unknown) => e);
    expect((late as WireError).code).toBe("BAD_STATE");
    expect(await loneTags()).toEqual([]);
  });

  it("a COMMIT sent without a reply is OUTCOME_UNKNOWN; the node then has all of the transaction or none", async () => {
    // The transaction's timeout bounds each of its requests (the connection wait, BEGIN, the
    // inserts and the COMMIT): long enough that no request before the COMMIT can run out of it
    // on a loaded machine, so the one that times out is the unanswered COMMIT.
    const error = await loneDb
      .transaction(
        async (tx) => {
          await tx.exec("INSERT INTO s VALUES ('one')");
          await tx.exec("INSERT INTO s VALUES ('two')");
          await lone.pause(); // the COMMIT goes out and no reply comes
        },
        { timeoutMs: 3_000 },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect(isOutcomeUnknown(error)).toBe(true);
    expect((error as Error).message).toContain("may or may not have been committed");
    expect((error as ConnectionError).cause).toBeInstanceOf(TimeoutError);
    await lone.resume();
    expect([[], ["one", "two"]]).toContainEqual(await loneTags());
  });
});
