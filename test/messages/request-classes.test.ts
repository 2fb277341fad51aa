// The request classes declared in schemas.ts, and what reads them: the codec's refusal of
// raft-internal requests, the hazard rules shared by the client and the bridge.

import { describe, expect, it } from "vitest";
import { DecodeError } from "../../src/errors.ts";
import { decodeRequest, encodeRequest } from "../../src/messages/codec.ts";
import { requestTypesOf, sqlOf, statementIdOf } from "../../src/messages/hazards.ts";
import { requestSchemas } from "../../src/messages/schemas.ts";

describe("request classes", () => {
  it("match the protocol: raft's own requests, cluster changes and dumps, statement-bound requests", () => {
    expect(requestTypesOf("internal")).toEqual(new Set(["HEARTBEAT", "CONNECT"]));
    expect(requestTypesOf("admin")).toEqual(new Set(["ADD", "ASSIGN", "REMOVE", "TRANSFER", "WEIGHT", "DUMP"]));
    expect(requestTypesOf("statement")).toEqual(new Set(["EXEC", "QUERY", "FINALIZE"]));
  });

  it("statement-bound requests are exactly those with a stmt field", () => {
    const withStmt = Object.values(requestSchemas)
      .filter((declaration) =>
        declaration.variants.every((variant) => variant.fields.some((spec) => "name" in spec && spec.name === "stmt")),
      )
      .map((declaration) => declaration.type);
    expect(new Set(withStmt)).toEqual(requestTypesOf("statement"));
  });

  it("the codec refuses every internal request unless allowed, and only those", () => {
    const frames = {
      HEARTBEAT: encodeRequest({ type: "HEARTBEAT", timestamp: 1n }, {}),
      CONNECT: encodeRequest({ type: "CONNECT", id: 1n, address: "127.0.0.1:9001" }),
      ADD: encodeRequest({ type: "ADD", id: 2n, address: "127.0.0.1:9002" }),
    };
    for (const type of requestTypesOf("internal")) {
      const frame = frames[type as keyof typeof frames];
      expect(() => decodeRequest(frame)).toThrow(DecodeError);
      expect(() => decodeRequest(frame)).toThrow(/INTERNAL|raft-internal/);
      expect(decodeRequest(frame, { allowInternal: true }).type).toBe(type);
    }
    expect(decodeRequest(frames.ADD).type).toBe("ADD");
  });

  it("hazard rules read a request's statement id and SQL from the declarations", () => {
    expect(statementIdOf({ type: "QUERY", db: 0, stmt: 7 })).toBe(7);
    expect(statementIdOf({ type: "FINALIZE", db: 0, stmt: 9 })).toBe(9);
    expect(statementIdOf({ type: "QUERY_SQL", db: 0, sql: "SELECT 1" })).toBeUndefined();
    expect(sqlOf({ type: "PREPARE", db: 0, sql: "SELECT 2" })).toBe("SELECT 2");
    expect(sqlOf({ type: "EXEC_SQL", db: 0, sql: "SELECT 3" })).toBe("SELECT 3");
    expect(sqlOf({ type: "EXEC", db: 0, stmt: 1 })).toBeUndefined();
  });
});
