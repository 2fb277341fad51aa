// Checks on a decoded message alone: does every value respect its cap, how much did decoding it
// hold, and what must the same frame decode to in another intMode.

import type { Limits } from "../src/limits.ts";
import type { Side } from "../src/messages/codes.ts";
import type { FieldSpec, MessageDeclaration } from "../src/messages/fields.ts";
import { requestSchemas, responseSchemas } from "../src/messages/schemas.ts";
import type { Message } from "../src/messages/types.ts";
import type { Tuple } from "../src/values/cell.ts";
import type { IntMode } from "../src/values/int-mode.ts";

// Walking decoded messages.

const textEncoder = new TextEncoder();
export const utf8Bytes = (text: string): number => textEncoder.encode(text).length;

function declarationOf(side: Side, type: string): MessageDeclaration {
  const schemas: Record<string, MessageDeclaration> = side === "request" ? requestSchemas : responseSchemas;
  return schemas[type]!;
}

function tupleCells(tuple: Tuple, limits: Readonly<Limits>, where: string): string | undefined {
  for (let i = 0; i < tuple.values.length; i++) {
    const value = tuple.values[i];
    if (typeof value === "string" && utf8Bytes(value) > limits.maxValueBytes)
      return `${where}[${i}] text of ${utf8Bytes(value)} bytes > maxValueBytes ${limits.maxValueBytes}`;
    if (value instanceof Uint8Array && value.length > limits.maxValueBytes)
      return `${where}[${i}] blob of ${value.length} bytes > maxValueBytes ${limits.maxValueBytes}`;
  }
  return undefined;
}

/** The first decoded value that exceeds its cap, or undefined. */
export function capViolation(side: Side, message: Message, limits: Readonly<Limits>): string | undefined {
  const record = message as unknown as Record<string, unknown>;
  const declaration = declarationOf(side, message.type);
  const specs: FieldSpec[] = declaration.variants.flatMap((variant) => [...variant.fields]);
  for (const spec of specs) {
    if (spec.name === undefined || !(spec.name in record)) continue;
    const value = record[spec.name];
    const where = `${message.type}.${spec.name}`;
    const cap = spec.cap === undefined ? Number.MAX_SAFE_INTEGER : limits[spec.cap];
    switch (spec.kind) {
      case "text":
        if (utf8Bytes(value as string) > cap) return `${where} of ${utf8Bytes(value as string)} bytes > ${spec.cap} ${cap}`;
        break;
      case "count64":
        if ((value as number) > cap) return `${where} ${String(value)} > ${spec.cap} ${cap}`;
        break;
      case "params": {
        const tuple = value as Tuple;
        if (tuple.types.length > limits.maxParams) return `${where} holds ${tuple.types.length} params > maxParams ${limits.maxParams}`;
        const cell = tupleCells(tuple, limits, where);
        if (cell !== undefined) return cell;
        break;
      }
      case "columns": {
        const names = value as string[];
        if (names.length > limits.maxColumns) return `${where} holds ${names.length} > maxColumns ${limits.maxColumns}`;
        for (const name of names)
          if (utf8Bytes(name) > limits.maxNameBytes) return `${where} name of ${utf8Bytes(name)} bytes > maxNameBytes`;
        break;
      }
      case "rows": {
        const rows = value as Tuple[];
        if (rows.length >= limits.maxRowsPerFrame)
          return `${where} holds ${rows.length} >= maxRowsPerFrame ${limits.maxRowsPerFrame} (exclusive)`;
        for (let r = 0; r < rows.length; r++) {
          const cell = tupleCells(rows[r]!, limits, `${where}[${r}]`);
          if (cell !== undefined) return cell;
        }
        break;
      }
      case "nodes": {
        const nodes = value as { address: string }[];
        if (nodes.length > limits.maxNodes) return `${where} holds ${nodes.length} > maxNodes ${limits.maxNodes}`;
        for (const node of nodes) if (utf8Bytes(node.address) > limits.maxAddressBytes) return `${where} address > maxAddressBytes`;
        break;
      }
      case "files": {
        const files = value as { name: string; content: Uint8Array }[];
        if (files.length > limits.maxFiles) return `${where} holds ${files.length} > maxFiles ${limits.maxFiles}`;
        for (const file of files) {
          if (utf8Bytes(file.name) > limits.maxNameBytes) return `${where} name > maxNameBytes`;
          if (file.content.length > limits.maxValueBytes) return `${where} content of ${file.content.length} > maxValueBytes`;
        }
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

/** Elements, characters and bytes held by a decoded value: what decoding it allocated. */
export function footprint(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Map) return value.size;
  if (Array.isArray(value)) {
    let total = value.length;
    for (const item of value) total += footprint(item);
    return total;
  }
  if (value !== null && typeof value === "object") {
    let total = 0;
    for (const item of Object.values(value)) total += footprint(item);
    return total;
  }
  return 0;
}

const INT_TYPES = new Set([1, 9]);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The message a decoder in `mode` must return, given the one decoded in "bigint" mode; or
 * "unsafe" when an integer cell cannot be a JS number exactly (the decoder must then refuse).
 */
export function expectedInMode(message: Message, mode: IntMode): Message | "unsafe" {
  let unsafe = false;
  const convert = (tuple: Tuple): Tuple => {
    const values = tuple.values.map((value, i) => {
      if (!INT_TYPES.has(tuple.types[i]!) || typeof value !== "bigint") return value;
      if (mode === "string") return value.toString();
      if (value > MAX_SAFE || value < -MAX_SAFE) unsafe = true;
      return Number(value);
    });
    const out: Tuple = { ...tuple, values };
    return out;
  };
  const record = { ...(message as unknown as Record<string, unknown>) };
  if (record["params"] !== undefined) record["params"] = convert(record["params"] as Tuple);
  if (record["rows"] !== undefined) record["rows"] = (record["rows"] as Tuple[]).map(convert);
  return unsafe ? "unsafe" : (record as unknown as Message);
}
