// The vocabulary of message declarations: field kinds and variant conditions. A field says what
// it is on the wire, what property it becomes, and which cap or rule bounds it. The codec and the
// JSON mapping both walk these, so a message is declared once and never hand-coded.

import type { Limits } from "../limits.ts";

export type FieldKind =
  /** uint32 → number. */
  | "u32"
  /** uint64 → bigint (exact; ids above 2^53 are common). */
  | "u64"
  /** uint64 bounded by a cap → number (counts, lengths, offsets). */
  | "count64"
  /** uint64 with a closed set of values (formats, roles) → number. */
  | "enum64"
  /** One uint64 that must be zero; no property. */
  | "zero64"
  /** Padding whose content is ignored on decode and written as zero; no property. */
  | "pad32"
  | "pad64"
  /** `text` → string. */
  | "text"
  /** Params tuple; its layout follows the header schema byte. */
  | "params"
  /** ROWS: uint64 column count then the column names → string[]. */
  | "columns"
  /**
   * ROWS: row tuples up to the end marker → Tuple[] (needs `columns` before it). With
   * `until: "failure"`, at least one row, up to the FAILURE record that ends the body.
   */
  | "rows"
  /** ROWS: the 8-byte end marker → "DONE" | "PART". */
  | "marker"
  /** SERVERS: uint64 count then (uint64 id, text address, uint64 role) each. */
  | "nodes"
  /** FILES: uint64 count then (text name, uint64 size, raw bytes) each. */
  | "files";

export interface FieldSpec {
  readonly kind: FieldKind;
  /** Property name on the message object; absent for padding and reserved words. */
  readonly name?: string;
  /** The cap bounding this field (text bytes, counts). */
  readonly cap?: keyof Limits;
  /** For enum64: the values the protocol defines. */
  readonly values?: readonly number[];
  /** Zero is not a valid value (node ids). */
  readonly nonZero?: boolean;
  /** Empty text is not a valid value (addresses). */
  readonly nonEmpty?: boolean;
  /** For rows: what ends them (default the PART/DONE marker; see failure-record.ts). */
  readonly until?: "marker" | "failure";
}

/** When a variant applies. A variant with no condition applies always. */
export interface VariantCondition {
  /** Only for this header schema. */
  readonly schema?: number;
  /** Only with (true) or without (false) the legacy handshake. */
  readonly legacy?: boolean;
}

export interface Variant {
  readonly when?: VariantCondition;
  readonly fields: readonly FieldSpec[];
}

/**
 * What kind of request a request is, where it matters to whoever forwards or sends it:
 * - "internal": raft's node-to-node traffic (HEARTBEAT, CONNECT); decoders refuse it unless
 *   allowed, and no client or bridge ever sends it;
 * - "admin": changes the cluster or copies the database out; the bridge forwards it only when
 *   started with allowAdmin;
 * - "statement": names a prepared statement by id (`stmt`), which must still be live.
 * Other requests have no class.
 */
export type RequestClass = "internal" | "admin" | "statement";

export interface MessageDeclaration {
  readonly type: string;
  readonly code: number;
  /** Highest schema byte accepted on decode and allowed on encode. */
  readonly maxSchema: number;
  /** Requests only: see RequestClass. */
  readonly requestClass?: RequestClass;
  /**
   * Body layouts, tried in order: decode takes the first applicable variant that consumes the body
   * exactly; encode takes the first applicable variant whose named fields are all present.
   */
  readonly variants: readonly Variant[];
  /** A rule across fields; returns a problem to report, or undefined. Applied both ways. */
  readonly check?: (message: Record<string, unknown>) => { field: string; problem: string } | undefined;
}

/** Field constructors, so declarations read as a table and keep their literal names for typing. */
export const field = {
  u32: <const N extends string>(name: N) => ({ kind: "u32", name }) as const,
  u64: <const N extends string>(name: N, options: { nonZero?: boolean } = {}) => ({ kind: "u64", name, ...options }) as const,
  count64: <const N extends string>(name: N, cap: keyof Limits) => ({ kind: "count64", name, cap }) as const,
  enum64: <const N extends string>(name: N, values: readonly number[]) => ({ kind: "enum64", name, values }) as const,
  zero64: () => ({ kind: "zero64" }) as const,
  pad32: () => ({ kind: "pad32" }) as const,
  pad64: () => ({ kind: "pad64" }) as const,
  text: <const N extends string>(name: N, cap: keyof Limits, options: { nonEmpty?: boolean } = {}) =>
    ({ kind: "text", name, cap, ...options }) as const,
  params: () => ({ kind: "params", name: "params" }) as const,
  columns: () => ({ kind: "columns", name: "columns", cap: "maxColumns" }) as const,
  rows: () => ({ kind: "rows", name: "rows", cap: "maxRowsPerFrame" }) as const,
  rowsBeforeFailure: () => ({ kind: "rows", name: "rows", cap: "maxRowsPerFrame", until: "failure" }) as const,
  marker: () => ({ kind: "marker", name: "marker" }) as const,
  nodes: () => ({ kind: "nodes", name: "nodes", cap: "maxNodes" }) as const,
  files: () => ({ kind: "files", name: "files", cap: "maxFiles" }) as const,
} satisfies Record<string, (...args: never[]) => FieldSpec>;

/** Declares a message; the `const` parameters keep names and kinds literal for the derived types. */
export function message<const T extends string, const C extends number, const V extends readonly Variant[]>(declaration: {
  type: T;
  code: C;
  maxSchema?: number;
  requestClass?: RequestClass;
  variants: V;
  check?: MessageDeclaration["check"];
}): { type: T; code: C; maxSchema: number; requestClass?: RequestClass; variants: V; check?: MessageDeclaration["check"] } {
  return { maxSchema: 0, ...declaration };
}

/** A message with one layout. */
export function fixed<const F extends readonly FieldSpec[]>(fields: F): readonly [{ fields: F }] {
  return [{ fields }];
}
