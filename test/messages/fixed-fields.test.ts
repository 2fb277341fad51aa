// Single body fields read without decoding the frame (src/messages/fixed-fields.ts): their places
// come from the declarations, and what they read agrees with the codec on every frame.

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecodeError } from "../../src/errors.ts";
import { encodeResponse } from "../../src/messages/codec.ts";
import {
  ROWS_COLUMN_COUNT_END_BYTES,
  STMT_ID_END_BYTES,
  fieldPlace,
  readRowsColumnCount,
  readStmtId,
} from "../../src/messages/fixed-fields.ts";
import { requestSchemas, responseSchemas } from "../../src/messages/schemas.ts";
import { HEADER_BYTES } from "../../src/wire/constants.ts";

describe("fixed fields", () => {
  it("places fields after the fixed-width fields before them, in every layout", () => {
    expect(fieldPlace(responseSchemas.STMT, "id")).toEqual({ offset: 4, kind: "u32" });
    expect(fieldPlace(responseSchemas.STMT, "paramCount")).toEqual({ offset: 8, kind: "count64" });
    expect(fieldPlace(responseSchemas.ROWS, "columns")).toEqual({ offset: 0, kind: "columns" });
    expect(fieldPlace(requestSchemas.EXEC, "stmt")).toEqual({ offset: 4, kind: "u32" });
    expect(STMT_ID_END_BYTES).toBe(8);
    expect(ROWS_COLUMN_COUNT_END_BYTES).toBe(8);
  });

  it("refuses a field behind a variable-width one, or absent from a layout", () => {
    expect(() => fieldPlace(requestSchemas.OPEN, "flags")).toThrow(/not at one fixed offset/);
    expect(() => fieldPlace(responseSchemas.STMT, "tailOffset")).toThrow(/not at one fixed offset/);
    expect(() => fieldPlace(responseSchemas.DB, "nope")).toThrow(/not at one fixed offset/);
  });

  it("reads the STMT id the codec wrote, in both schemas", () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.boolean(), (db, id, tail) => {
        const frame = encodeResponse(
          tail ? { type: "STMT", db, id, paramCount: 1, schema: 1, tailOffset: 3 } : { type: "STMT", db, id, paramCount: 1 },
        );
        expect(readStmtId(frame, HEADER_BYTES)).toBe(id);
        expect(readStmtId(frame.slice(HEADER_BYTES, HEADER_BYTES + STMT_ID_END_BYTES))).toBe(id);
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it("reads the ROWS column count the codec wrote; a count above 32 bits is undefined", () => {
    for (const columns of [[], ["a"], ["a", "b", "c"]]) {
      const frame = encodeResponse({ type: "ROWS", columns, rows: [], marker: "DONE" });
      expect(readRowsColumnCount(frame, HEADER_BYTES)).toBe(columns.length);
    }
    const huge = Uint8Array.of(1, 0, 0, 0, 1, 0, 0, 0);
    expect(readRowsColumnCount(huge)).toBeUndefined();
  });

  it("a body too short for the field is a TRUNCATED DecodeError, not a read past its end", () => {
    expect(() => readStmtId(new Uint8Array(7))).toThrow(DecodeError);
    expect(() => readRowsColumnCount(new Uint8Array(HEADER_BYTES + 4), HEADER_BYTES)).toThrow(/TRUNCATED|ends before/);
  });
});
