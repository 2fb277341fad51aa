// Defensive caps. None of them is part of the wire format: they bound what a hostile or broken
// peer can make the codec allocate or loop over. Each is checked before the allocation or loop
// it guards, on decode and on encode alike (the encoder never emits what the decoder refuses).

const MiB = 1024 * 1024;

export interface Limits {
  /** Largest frame, header included, in bytes. The wire allows up to 8 + (2^32-1)*8. */
  maxMessageBytes: number;
  /** Largest text or blob value, SQL string or file content, in bytes. */
  maxValueBytes: number;
  /** Most parameters in one params tuple (schema 0 carries at most 255 regardless). */
  maxParams: number;
  /** Most columns in one ROWS frame. */
  maxColumns: number;
  /** Rows per ROWS frame, exclusive: a frame holding this many rows is refused. */
  maxRowsPerFrame: number;
  /**
   * ROWS frames in one result that is kept whole (`.all()`, `request()`, a whole Arrow stream),
   * the first one included. A streamed result holds one batch at a time and is not bounded by it.
   */
  maxFramesPerResult: number;
  /**
   * Rows in one result that is kept whole (`.all()`, `request()`, a whole Arrow stream), across
   * all its frames. A streamed result holds one batch at a time and is not bounded by it.
   */
  maxRowsPerResult: number;
  /** Files in one FILES response. */
  maxFiles: number;
  /** Nodes in one SERVERS response. */
  maxNodes: number;
  /** Largest `rowsAffected` in a RESULT response. */
  maxRowsAffected: number;
  /** Largest `tailOffset` in a STMT (schema 1) response. */
  maxTailOffset: number;
  /** Longest FAILURE message, in bytes. */
  maxFailureMessageBytes: number;
  /**
   * Longest name, in bytes before its NUL terminator: OPEN's database and VFS names, the column
   * names of a ROWS frame (in the codec and in both row engines) and the file names of a FILES
   * response. DUMP's database name has its own cap, `maxDumpNameBytes`.
   */
  maxNameBytes: number;
  /** Longest node address, in bytes. */
  maxAddressBytes: number;
  /**
   * Longest database name in a DUMP request, in bytes before its NUL terminator. Only DUMP: the
   * database name of OPEN is bounded by `maxNameBytes`.
   */
  maxDumpNameBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 64 * MiB,
  maxValueBytes: 64 * MiB - 64,
  maxParams: 32766,
  maxColumns: 2000,
  maxRowsPerFrame: 1_000_000,
  // A real frame holds at least one row, so the rows cap is the one a kept result meets.
  maxFramesPerResult: 10_000_000,
  maxRowsPerResult: 10_000_000,
  maxFiles: 100,
  maxNodes: 10_000,
  maxRowsAffected: 2 ** 31 - 1,
  maxTailOffset: 64 * MiB,
  maxFailureMessageBytes: 64 * 1024,
  maxNameBytes: 4096,
  maxAddressBytes: 256,
  maxDumpNameBytes: 1019,
});

/** The largest frame the header can describe: 8 + (2^32 - 1) * 8 bytes. */
export const WIRE_MAX_MESSAGE_BYTES = 8 + 0xffffffff * 8;

/** Limits this module resolved: passed back in, they are returned as they are. */
const RESOLVED = new WeakSet<object>([DEFAULT_LIMITS]);

/**
 * Merges caller overrides onto the defaults and checks that every cap is a sane integer. Limits
 * it resolved before come back unchanged (a reader made per query resolves them again).
 */
export function resolveLimits(overrides: Partial<Limits> | undefined): Readonly<Limits> {
  if (overrides === undefined) return DEFAULT_LIMITS;
  if (RESOLVED.has(overrides)) return overrides as Readonly<Limits>;
  const merged: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(overrides) as (keyof Limits)[]) {
    const value = overrides[key];
    if (value === undefined) continue;
    if (!(key in DEFAULT_LIMITS)) throw new RangeError(`unknown limit "${String(key)}"`);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`limit ${key} must be a non-negative safe integer, got ${String(value)}`);
    }
    merged[key] = value;
  }
  if (merged.maxMessageBytes > WIRE_MAX_MESSAGE_BYTES) {
    throw new RangeError(`limit maxMessageBytes cannot exceed ${WIRE_MAX_MESSAGE_BYTES}`);
  }
  const resolved = Object.freeze(merged);
  RESOLVED.add(resolved);
  return resolved;
}
