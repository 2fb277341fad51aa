// Every example frame of the protocol reference (shared/docs/protocol.md §1, §5, §6), with the
// message it decodes to (intMode "bigint"). Golden vectors: both directions must match exactly.

import type { Side } from "../../src/messages/codes.ts";

export interface GoldenVector {
  name: string;
  side: Side;
  hex: string;
  /** Fields the decoded message must have (deep-equal on each listed property). */
  message: Record<string, unknown>;
  legacy?: boolean;
}

const enc = (s: string) => new TextEncoder().encode(s);

export const goldenVectors: GoldenVector[] = [
  // §1
  { name: "LEADER request", side: "request", hex: "0100000000000000 0000000000000000", message: { type: "LEADER", code: 0, schema: 0 } },
  {
    name: "EXEC, no params (Go style)",
    side: "request",
    hex: "0100000005000000 0100000002000000",
    message: { type: "EXEC", code: 5, schema: 0, db: 1, stmt: 2, params: { types: [], values: [] } },
  },
  // §5.1
  {
    name: "EXEC, six params, schema 0",
    side: "request",
    hex: `0900000005000000 0100000002000000 0601030205040b00
          2a00000000000000 68656c6c6f000000 1f85eb51b81e0940 0000000000000000
          0400000000000000 626c6f6200000000 0100000000000000`,
    message: {
      type: "EXEC",
      schema: 0,
      db: 1,
      stmt: 2,
      params: { types: [1, 3, 2, 5, 4, 11], values: [42n, "hello", 3.14, null, enc("blob"), true] },
    },
  },
  {
    name: "EXEC, two params, schema 1",
    side: "request",
    hex: "0400000005010000 0100000002000000 0200000001030000 0100000000000000 7800000000000000",
    message: { type: "EXEC", schema: 1, db: 1, stmt: 2, params: { types: [1, 3], values: [1n, "x"] } },
  },
  {
    name: "EXEC, empty params (C style, one zero word)",
    side: "request",
    hex: "0200000005000000 0100000002000000 0000000000000000",
    message: { type: "EXEC", schema: 0, db: 1, stmt: 2, params: { types: [], values: [], emptyWord: true } },
  },
  // §6.1
  { name: "CLIENT 42", side: "request", hex: "0100000001000000 2a00000000000000", message: { type: "CLIENT", code: 1, id: 42n } },
  {
    name: "OPEN test.db",
    side: "request",
    hex: "0300000003000000 746573742e646200 0000000000000000 756e697800000000",
    message: { type: "OPEN", code: 3, name: "test.db", flags: 0n, vfs: "unix" },
  },
  {
    name: "QUERY_SQL SELECT ? [42]",
    side: "request",
    hex: "0500000009000000 0100000000000000 53454c454354203f 0000000000000000 0101000000000000 2a00000000000000",
    message: { type: "QUERY_SQL", code: 9, db: 1n, sql: "SELECT ?", params: { types: [1], values: [42n] } },
  },
  // §6.2
  {
    name: "FAILURE 1 not leader",
    side: "response",
    hex: "0300000000000000 0100000000000000 6e6f74206c656164 6572000000000000",
    message: { type: "FAILURE", code: 0, errorCode: 1n, message: "not leader" },
  },
  {
    name: "LEADER (1, 127.0.0.1:9001)",
    side: "response",
    hex: "0300000001000000 0100000000000000 3132372e302e302e 313a393030310000",
    message: { type: "LEADER", code: 1, id: 1n, address: "127.0.0.1:9001" },
  },
  {
    name: "LEADER, legacy body (address only)",
    side: "response",
    hex: "0200000001000000 31302e302e302e31 3a39303031000000",
    message: { type: "LEADER", address: "10.0.0.1:9001" },
    legacy: true,
  },
  { name: "WELCOME 15000", side: "response", hex: "0100000002000000 983a000000000000", message: { type: "WELCOME", heartbeatTimeout: 15000n } },
  {
    name: "SERVERS, one voter",
    side: "response",
    hex: "0500000003000000 0100000000000000 0100000000000000 3132372e302e302e 313a393030310000 0000000000000000",
    message: { type: "SERVERS", code: 3, nodes: [{ id: 1n, address: "127.0.0.1:9001", role: 0 }] },
  },
  { name: "DB 1", side: "response", hex: "0100000004000000 0100000000000000", message: { type: "DB", code: 4, id: 1 } },
  {
    name: "STMT V0 (1,5,3)",
    side: "response",
    hex: "0200000005000000 0100000005000000 0300000000000000",
    message: { type: "STMT", schema: 0, db: 1, id: 5, paramCount: 3 },
  },
  {
    name: "STMT V1 tail 42",
    side: "response",
    hex: "0300000005010000 0100000005000000 0300000000000000 2a00000000000000",
    message: { type: "STMT", schema: 1, db: 1, id: 5, paramCount: 3, tailOffset: 42 },
  },
  {
    name: "RESULT (5,3)",
    side: "response",
    hex: "0200000006000000 0500000000000000 0300000000000000",
    message: { type: "RESULT", lastInsertId: 5n, rowsAffected: 3 },
  },
  {
    name: "ROWS id,name / (1, alice) DONE",
    side: "response",
    hex: "0700000007000000 0200000000000000 6964000000000000 6e616d6500000000 3100000000000000 0100000000000000 616c696365000000 ffffffffffffffff",
    message: { type: "ROWS", columns: ["id", "name"], rows: [{ types: [1, 3], values: [1n, "alice"] }], marker: "DONE" },
  },
  {
    name: "ROWS, zero columns",
    side: "response",
    hex: "0200000007000000 0000000000000000 ffffffffffffffff",
    message: { type: "ROWS", columns: [], rows: [], marker: "DONE" },
  },
  {
    name: "ROWS, one column, no rows",
    side: "response",
    hex: "0300000007000000 0100000000000000 7800000000000000 ffffffffffffffff",
    message: { type: "ROWS", columns: ["x"], rows: [], marker: "DONE" },
  },
  { name: "EMPTY", side: "response", hex: "0100000008000000 0000000000000000", message: { type: "EMPTY", code: 8 } },
  {
    name: "FILES, one 16-byte file",
    side: "response",
    hex: "0500000009000000 0100000000000000 746573742e646200 1000000000000000 0001020304050607 08090a0b0c0d0e0f",
    message: {
      type: "FILES",
      files: [{ name: "test.db", content: Uint8Array.from({ length: 16 }, (_, i) => i) }],
    },
  },
  {
    name: "METADATA (1, 42)",
    side: "response",
    hex: "020000000a000000 0100000000000000 2a00000000000000",
    message: { type: "METADATA", code: 10, failureDomain: 1n, weight: 42n },
  },
  // §5.2: eight columns of types 1,2,3,4,5,9,10,11 → header 21 43 95 ba.
  {
    name: "ROWS, eight columns of every type (header 21 43 95 ba)",
    side: "response",
    hex: `1500000007000000 0800000000000000
          6100000000000000 6200000000000000 6300000000000000 6400000000000000
          6500000000000000 6600000000000000 6700000000000000 6800000000000000
          214395ba00000000
          ffffffffffffff7f 000000000000f0bf 6162636465666700 0300000000000000
          dead010000000000 0000000000000000 0000000000000080 323032362d31312d
          3235000000000000 0100000000000000
          ffffffffffffffff`,
    message: {
      type: "ROWS",
      columns: ["a", "b", "c", "d", "e", "f", "g", "h"],
      rows: [
        {
          types: [1, 2, 3, 4, 5, 9, 10, 11],
          values: [2n ** 63n - 1n, -1, "abcdefg", Uint8Array.of(0xde, 0xad, 0x01), null, -(2n ** 63n), "2026-11-25", true],
        },
      ],
      marker: "DONE",
    },
  },
];

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g) ?? [], (byte) => parseInt(byte, 16));
}

export function bytesToHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
