// Message types derived from the declarations in schemas.ts: a decoded message has exactly the
// properties its declaration names, typed by field kind, so types and codec cannot drift apart.

import type { Tuple } from "../values/cell.ts";
import type { ParamsInput, ParamsTuple } from "../values/tuple.ts";
import type { FieldSpec, Variant } from "./fields.ts";
import type { RequestSchemas, RequestTypeName, ResponseSchemas, ResponseTypeName } from "./schemas.ts";

export type RowsMarker = "DONE" | "PART";

export interface NodeInfo {
  /** Raft node id: random 64-bit, so a bigint. */
  id: bigint;
  address: string;
  /** 0 voter, 1 standby, 2 spare. */
  role: number;
}

export interface NodeInput {
  id: bigint | number;
  address: string;
  role: number;
}

export interface FileEntry {
  name: string;
  /** Raw content; its length is a multiple of 8 (dqlite dumps whole pages and WAL frames). */
  content: Uint8Array;
}

/** Property types of decoded messages, by field kind. */
export interface DecodedKinds {
  u32: number;
  u64: bigint;
  count64: number;
  enum64: number;
  text: string;
  params: ParamsTuple;
  columns: string[];
  rows: Tuple[];
  marker: RowsMarker;
  nodes: NodeInfo[];
  files: FileEntry[];
}

/** Property types the encoder accepts, by field kind (wider where it is safe). */
export interface InputKinds {
  u32: number;
  u64: bigint | number;
  count64: number;
  enum64: number;
  text: string;
  params: ParamsInput;
  columns: readonly string[];
  rows: readonly Tuple[];
  marker: RowsMarker;
  nodes: readonly NodeInput[];
  files: readonly FileEntry[];
}

type NamedField = FieldSpec & { name: string; kind: keyof DecodedKinds };

type PropsOf<F extends readonly FieldSpec[], K, Optional extends string> = {
  -readonly [E in F[number] as E extends NamedField ? (E["kind"] extends Optional ? never : E["name"]) : never]: E extends NamedField
    ? K[E["kind"] & keyof K]
    : never;
} & {
  -readonly [E in F[number] as E extends NamedField ? (E["kind"] extends Optional ? E["name"] : never) : never]?: E extends NamedField
    ? K[E["kind"] & keyof K]
    : never;
};

type VariantProps<V extends readonly Variant[], K, Optional extends string> = V[number] extends infer X
  ? X extends { fields: infer F extends readonly FieldSpec[] }
    ? PropsOf<F, K, Optional>
    : never
  : never;

type Flatten<T> = T extends unknown ? { [P in keyof T]: T[P] } : never;

type Decoded<D> = D extends { type: infer T; code: infer C; variants: infer V extends readonly Variant[] }
  ? Flatten<{ type: T; code: C; schema: number } & VariantProps<V, DecodedKinds, never>>
  : never;

type Input<D> = D extends { type: infer T; code: infer C; variants: infer V extends readonly Variant[] }
  ? Flatten<{ type: T; code?: C; schema?: number } & VariantProps<V, InputKinds, "params">>
  : never;

/** A decoded request, by protocol name. */
export type RequestOf<N extends RequestTypeName> = Decoded<RequestSchemas[N]>;
/** A decoded response, by protocol name. */
export type ResponseOf<N extends ResponseTypeName> = Decoded<ResponseSchemas[N]>;
/** Any decoded request (a union discriminated by `type`). */
export type Request = { [N in RequestTypeName]: RequestOf<N> }[RequestTypeName];
/** Any decoded response (a union discriminated by `type`). */
export type Response = { [N in ResponseTypeName]: ResponseOf<N> }[ResponseTypeName];
export type Message = Request | Response;

/** What `encodeRequest` accepts: `code` and `schema` may be left out, u64 fields take numbers. */
export type RequestInput = { [N in RequestTypeName]: Input<RequestSchemas[N]> }[RequestTypeName];
export type ResponseInput = { [N in ResponseTypeName]: Input<ResponseSchemas[N]> }[ResponseTypeName];
export type RequestInputOf<N extends RequestTypeName> = Input<RequestSchemas[N]>;
export type ResponseInputOf<N extends ResponseTypeName> = Input<ResponseSchemas[N]>;
