// Prepared statements a connection keeps for SQL that its calls repeat, so that a repeated query or
// exec is sent as QUERY/EXEC of a statement id instead of its SQL text again (the node then skips
// parsing it: a point read answered 16 % faster that way, measured). SQL is prepared the second
// time it is seen on a connection, so one-off SQL costs no extra round trip. The cache is bounded
// (least recently used out); a statement leaves it only while no call uses it, and is finalized
// by the caller that evicted it, on its connection. A closed connection's statements go with it
// on the node.
//
// Only SQL that is one statement is cached: dqlite before 1.15.1 prepares the first statement of
// SQL holding several and silently drops the rest, which EXEC_SQL would have run. Nor is SQL that
// selects `*`: a prepared `SELECT *` keeps answering the columns its tables had when it was
// prepared, after they change (seen on dqlite 1.11 and 1.18: DROP and CREATE with another column,
// and the statement still answers the old one), where the same SQL sent as text sees them all.

/** A statement of the cache, and how many calls use it now. */
export interface CachedStatement {
  readonly id: number;
  /** Calls running it (a streamed result keeps it in use until it ends). */
  inUse: number;
}

export const DEFAULT_STATEMENT_CACHE_SIZE = 64;
/** SQL seen once, remembered so its second call prepares it; forgotten in bulk when this many. */
const MAX_SIGHTINGS = 1024;

export class StatementCache {
  readonly capacity: number;
  /** By SQL, least recently used first (a Map keeps insertion order). */
  readonly #entries = new Map<string, CachedStatement>();
  readonly #seen = new Set<string>();
  /** Evicted statement ids waiting for their FINALIZE. */
  readonly #evicted: number[] = [];

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Statements held. */
  get size(): number {
    return this.#entries.size;
  }

  /** The statement prepared for `sql`, taken into use (give it back with `done`); undefined if none. */
  take(sql: string): CachedStatement | undefined {
    const entry = this.#entries.get(sql);
    if (entry === undefined) return undefined;
    // Most recently used last.
    this.#entries.delete(sql);
    this.#entries.set(sql, entry);
    entry.inUse++;
    return entry;
  }

  /** True when statements evicted are waiting for their FINALIZE. */
  get hasEvicted(): boolean {
    return this.#evicted.length > 0;
  }

  /** True when `sql` was seen on this connection once, uncached: its next call prepares it. */
  seenOnce(sql: string): boolean {
    return this.capacity > 0 && this.#seen.has(sql);
  }

  /** True when `sql` was seen on this connection before (now it is seen either way): prepare it. */
  seenBefore(sql: string): boolean {
    if (this.capacity === 0) return false;
    if (this.#seen.has(sql)) return true;
    if (this.#seen.size >= MAX_SIGHTINGS) this.#seen.clear();
    this.#seen.add(sql);
    return false;
  }

  /** Keeps statement `id` prepared for `sql`, taken into use; evicts the least recently used idle ones beyond capacity. */
  add(sql: string, id: number): CachedStatement {
    const entry: CachedStatement = { id, inUse: 1 };
    this.#entries.set(sql, entry);
    this.#seen.delete(sql);
    for (const [oldSql, old] of this.#entries) {
      if (this.#entries.size <= this.capacity) break;
      if (old.inUse > 0) continue;
      this.#entries.delete(oldSql);
      this.#evicted.push(old.id);
    }
    return entry;
  }

  /** A call is done with `entry`. */
  done(entry: CachedStatement): void {
    entry.inUse = Math.max(0, entry.inUse - 1);
  }

  /** Forgets the statement of `sql` (the node no longer has it); it is not finalized. */
  forget(sql: string): void {
    this.#entries.delete(sql);
  }

  /** The ids to FINALIZE now (evicted since the last call), once. */
  takeEvicted(): number[] {
    return this.#evicted.splice(0);
  }
}
