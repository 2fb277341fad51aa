// Messages as plain JSON and back, losslessly: decode → JSON → encode reproduces the original
// frame for every canonical frame. Walks the same declarations as the codec (schemas.ts); only
// the per-kind conversions live here. Conventions: docs/json.md.

import { EncodeError } from "../errors.ts";
import type { Side } from "../messages/codes.ts";
import type { FieldKind, MessageDeclaration } from "../messages/fields.ts";
import { requestSchemas, responseSchemas } from "../messages/schemas.ts";
import type { FileEntry, Message, NodeInfo } from "../messages/types.ts";
import type { Tuple } from "../values/cell.ts";
import type { ParamsTuple } from "../values/tuple.ts";
import { bytesToHex, hexToBytes, int64FromJSON, int64ToJSON, tupleFromJSON, tupleToJSON } from "./cell-json.ts";

type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

interface KindJSON {
  toJSON(value: unknown): JSONValue;
  fromJSON(value: unknown, field: string): unknown;
}

const identity: KindJSON = { toJSON: (v) => v as JSONValue, fromJSON: (v) => v };

const kindJSON: Partial<Record<FieldKind, KindJSON>> = {
  u64: { toJSON: (v) => int64ToJSON(v as bigint), fromJSON: (v, field) => int64FromJSON(v, field) },
  params: {
    toJSON(value) {
      const tuple = value as ParamsTuple;
      const cells = tupleToJSON(tuple) as unknown as JSONValue[];
      // The C client's empty form (one zero word) differs on the wire from writing nothing.
      return tuple.emptyWord ? { emptyWord: true, cells } : cells;
    },
    fromJSON(value, field) {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        const { emptyWord, cells } = value as { emptyWord?: boolean; cells?: unknown };
        const tuple: ParamsTuple = tupleFromJSON(cells ?? [], field);
        if (emptyWord === true) tuple.emptyWord = true;
        return tuple;
      }
      return tupleFromJSON(value, field);
    },
  },
  rows: {
    toJSON: (value) => (value as Tuple[]).map((row) => tupleToJSON(row)) as unknown as JSONValue,
    fromJSON(value, field) {
      if (!Array.isArray(value)) throw new EncodeError("BAD_VALUE", `${field}: expected an array of rows`, { field });
      return value.map((row, i) => tupleFromJSON(row, `${field}[${i}]`));
    },
  },
  nodes: {
    toJSON: (value) => (value as NodeInfo[]).map((n) => ({ id: int64ToJSON(n.id), address: n.address, role: n.role })),
    fromJSON(value, field) {
      if (!Array.isArray(value)) throw new EncodeError("BAD_VALUE", `${field}: expected an array of nodes`, { field });
      return value.map((n: Record<string, unknown>, i) => ({ ...n, id: int64FromJSON(n?.["id"], `${field}[${i}].id`) }));
    },
  },
  files: {
    toJSON: (value) => (value as FileEntry[]).map((f) => ({ name: f.name, content: bytesToHex(f.content) })),
    fromJSON(value, field) {
      if (!Array.isArray(value)) throw new EncodeError("BAD_VALUE", `${field}: expected an array of files`, { field });
      return value.map((f: Record<string, unknown>, i) => {
        const content = f?.["content"];
        if (typeof content !== "string") throw new EncodeError("BAD_VALUE", `${field}[${i}].content: expected a hex string`, { field });
        return { name: f["name"], content: hexToBytes(content, `${field}[${i}].content`) };
      });
    },
  },
};

/** Property name → field kind, over all layouts of a message. */
const kindsByDeclaration = new WeakMap<MessageDeclaration, Map<string, FieldKind>>();

function fieldKinds(declaration: MessageDeclaration): Map<string, FieldKind> {
  let kinds = kindsByDeclaration.get(declaration);
  if (kinds === undefined) {
    kinds = new Map();
    for (const variant of declaration.variants) {
      for (const spec of variant.fields) if (spec.name !== undefined) kinds.set(spec.name, spec.kind);
    }
    kindsByDeclaration.set(declaration, kinds);
  }
  return kinds;
}

function declarationOf(side: Side, type: unknown): MessageDeclaration {
  const schemas: Record<string, MessageDeclaration> = side === "request" ? requestSchemas : responseSchemas;
  if (typeof type !== "string" || !Object.hasOwn(schemas, type)) {
    throw new EncodeError("UNKNOWN_TYPE", `type: ${JSON.stringify(type)} is not a ${side} type`, { field: "type" });
  }
  return schemas[type]!;
}

/** A decoded message as a JSON-safe object (`type`, `code`, `schema`, then its fields). */
export function messageToJSON(side: Side, message: Message): Record<string, JSONValue> {
  const declaration = declarationOf(side, message.type);
  const kinds = fieldKinds(declaration);
  const out: Record<string, JSONValue> = { type: message.type, code: message.code, schema: message.schema };
  for (const [name, value] of Object.entries(message)) {
    const kind = kinds.get(name);
    if (kind === undefined || value === undefined) continue;
    out[name] = (kindJSON[kind] ?? identity).toJSON(value);
  }
  return out;
}

/** The inverse of messageToJSON: a message object ready for the encoder. */
export function messageFromJSON(side: Side, json: unknown): Record<string, unknown> {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new EncodeError("BAD_VALUE", "message: expected a JSON object", { field: "message" });
  }
  const source = json as Record<string, unknown>;
  const declaration = declarationOf(side, source["type"]);
  const kinds = fieldKinds(declaration);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(source)) {
    if (name === "type" || name === "code" || name === "schema") {
      out[name] = value;
      continue;
    }
    const kind = kinds.get(name);
    if (kind === undefined) {
      throw new EncodeError("BAD_VALUE", `${declaration.type}.${name}: ${declaration.type} has no such field`, {
        field: `${declaration.type}.${name}`,
      });
    }
    out[name] = (kindJSON[kind] ?? identity).fromJSON(value, `${declaration.type}.${name}`);
  }
  return out;
}
