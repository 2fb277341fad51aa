// The error hierarchy of dqlite-wire. Every failure the library raises is a `WireError` with a
// stable machine-readable `code`; messages name the field and the byte offset at fault.
//
// Errors are recognised by shape (`isWireError`) as well as by `instanceof`, so two copies of
// the package loaded side by side (the dual-package hazard) still understand each other.

/** Stable machine-readable error codes. */
export type WireErrorCode =
  /** The input ended before the field did (stateless decode of a cut frame). */
  | "TRUNCATED"
  /** A frame header that cannot be right (size not a multiple of words, bad reserved use…). */
  | "BAD_HEADER"
  /** A message type code that the protocol does not define for this direction. */
  | "UNKNOWN_TYPE"
  /** A schema byte above the ceiling of the message type. */
  | "BAD_SCHEMA"
  /** A raft-internal request (HEARTBEAT, CONNECT) refused by policy. */
  | "INTERNAL_MESSAGE"
  /** The body is longer or shorter than its fields, or bytes trail the frame. */
  | "BAD_LENGTH"
  /** Text that is not strict UTF-8, has an embedded NUL, or lacks its terminator/padding. */
  | "BAD_TEXT"
  /** A value-type code that is invalid here (0, 6–8, 12–15, UNIXTIME in params…). */
  | "BAD_VALUE_TYPE"
  /** A field value outside what the protocol allows (node id 0, unknown role, non-zero word…). */
  | "BAD_VALUE"
  /** A ROWS end marker that is missing, torn, or in the wrong place. */
  | "BAD_MARKER"
  /** Duplicate node ids, file names or column drift across frames. */
  | "INCONSISTENT"
  /** A configured cap was exceeded (see `Limits`). */
  | "LIMIT"
  /** An integer that the chosen `intMode` cannot hold exactly. */
  | "UNSAFE_INTEGER"
  /** A JS value the protocol cannot carry, given to the encoder. */
  | "UNSUPPORTED_VALUE"
  /** The 8-byte protocol handshake was not a known version. */
  | "BAD_HANDSHAKE"
  /** The stream decoder failed earlier and refuses to go on. */
  | "POISONED"
  /** A result stream ended out of order (EMPTY after PART, a message that is not ROWS…). */
  | "BAD_SEQUENCE"
  /** The server answered FAILURE. */
  | "SERVER_FAILURE"
  /** A connection could not be opened (refused, unreachable, bad address). */
  | "CONNECTION_FAILED"
  /** The connection closed or broke while a request was in flight or before it was sent. */
  | "CONNECTION_CLOSED"
  /** The connection broke after a write was sent and before its reply: it may or may not have run. */
  | "OUTCOME_UNKNOWN"
  /** No node of the given list knows a leader (after the bounded retries). */
  | "NO_LEADER"
  /** A call did not finish within its timeout. */
  | "TIMEOUT"
  /** A call was cancelled through its AbortSignal. */
  | "ABORTED"
  /** A call was made on a closed client, or in a state that does not allow it. */
  | "BAD_STATE"
  /** The bridge refused or closed a connection (bad token, Origin, target, cap…). */
  | "REFUSED";

const WIRE_ERROR_NAMES = new Set([
  "WireError",
  "DecodeError",
  "EncodeError",
  "HandshakeError",
  "PoisonedError",
  "ServerError",
  "ConnectionError",
  "TimeoutError",
  "CancelledError",
]);

export interface WireErrorOptions {
  /** Byte offset at fault, counted from the start of the frame (or stream), -1 if none. */
  offset?: number;
  /** Name of the field at fault (`"ROWS.columns[3]"`), if any. */
  field?: string;
  cause?: unknown;
}

export class WireError extends Error {
  override name = "WireError";
  readonly code: WireErrorCode;
  readonly offset: number;
  readonly field: string | undefined;

  constructor(code: WireErrorCode, message: string, options: WireErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.offset = options.offset ?? -1;
    this.field = options.field;
  }

  /** A plain object for logs and JSON output. */
  toJSON(): { name: string; code: WireErrorCode; message: string; offset: number; field?: string } {
    const out: { name: string; code: WireErrorCode; message: string; offset: number; field?: string } = {
      name: this.name,
      code: this.code,
      message: this.message,
      offset: this.offset,
    };
    if (this.field !== undefined) out.field = this.field;
    return out;
  }
}

/** Bytes from the wire that do not form a valid message. */
export class DecodeError extends WireError {
  override name = "DecodeError";
}

/** A message the encoder refuses to put on the wire (it would not decode, or cannot be carried). */
export class EncodeError extends WireError {
  override name = "EncodeError";
}

/** The 8-byte protocol version at the start of a client stream is not one we speak. */
export class HandshakeError extends WireError {
  override name = "HandshakeError";
}

/**
 * A stream decoder that failed after consuming bytes no longer knows where the next frame
 * starts; it raises this on every later call. `cause` is the original error.
 */
export class PoisonedError extends WireError {
  override name = "PoisonedError";
}

/** A FAILURE response from the server, as an error carrying the SQLite (extended) code. */
export class ServerError extends WireError {
  override name = "ServerError";
  /** The SQLite extended result code (or dqlite's own code) the server sent. */
  readonly sqliteCode: number;

  constructor(sqliteCode: number, message: string, options: WireErrorOptions = {}) {
    super("SERVER_FAILURE", message, options);
    this.sqliteCode = sqliteCode;
  }
}

/**
 * The transport failed: connect refused, connection lost, bridge refusal. `code` tells which;
 * `OUTCOME_UNKNOWN` means a write was sent and its reply never came, so it may have committed.
 */
export class ConnectionError extends WireError {
  override name = "ConnectionError";
}

/** A call ran past its timeout. The connection it ran on is closed (its state is unknown). */
export class TimeoutError extends WireError {
  override name = "TimeoutError";
  constructor(message: string, options: WireErrorOptions = {}) {
    super("TIMEOUT", message, options);
  }
}

/** A call was cancelled through its AbortSignal; `cause` is the signal's reason. */
export class CancelledError extends WireError {
  override name = "CancelledError";
  constructor(message: string, options: WireErrorOptions = {}) {
    super("ABORTED", message, options);
  }
}

/** True for any error of this library, also across duplicate copies of the package. */
export function isWireError(value: unknown): value is WireError {
  return (
    value instanceof Error &&
    WIRE_ERROR_NAMES.has(value.name) &&
    typeof (value as { code?: unknown }).code === "string" &&
    "offset" in value
  );
}

/** Prefixes a field path to an error raised inside a nested decoder. */
export function describeField(path: string | undefined, field: string): string {
  return path === undefined || path === "" ? field : `${path}.${field}`;
}
