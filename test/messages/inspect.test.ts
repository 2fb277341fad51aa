import { describe, expect, test } from "vitest";
import { inspectFrame } from "../../src/messages/inspect.ts";
import { goldenVectors, hexToBytes } from "../vectors/protocol-examples.ts";

describe("inspectFrame", () => {
  test("spans cover the ROWS frame field by field, row by row", () => {
    const vector = goldenVectors.find((v) => v.name.startsWith("ROWS id,name"))!;
    const { message, fields, error } = inspectFrame("response", hexToBytes(vector.hex));
    expect(error).toBeUndefined();
    expect(message?.type).toBe("ROWS");
    const byPath = Object.fromEntries(fields.map((f) => [f.path, [f.start, f.end]]));
    expect(byPath["header.type"]).toEqual([4, 5]);
    expect(byPath["ROWS.columns"]).toEqual([8, 32]);
    expect(byPath["ROWS.columns[1]"]).toEqual([24, 32]);
    expect(byPath["ROWS.rows[0]"]).toEqual([32, 56]);
    expect(byPath["ROWS.rows"]).toEqual([32, 56]);
    expect(byPath["ROWS.marker"]).toEqual([56, 64]);
    expect(byPath["ROWS.rows[0].header"]).toEqual([32, 40]);
    expect(byPath["ROWS.rows[0][0]"]).toEqual([40, 48]);
    expect(byPath["ROWS.rows[0][1]"]).toEqual([48, 56]);
  });

  test("the header's fields come back as written, also when the frame is refused", () => {
    const vector = goldenVectors.find((v) => v.name.startsWith("ROWS id,name"))!;
    const bytes = hexToBytes(vector.hex);
    expect(inspectFrame("response", bytes).header).toEqual({ sizeWords: bytes.length / 8 - 1, type: 7, schema: 0, reserved: 0 });
    const odd = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 42, 3, 0x34, 0x12);
    const inspection = inspectFrame("response", odd);
    expect(inspection.error?.code).toBe("LIMIT");
    expect(inspection.header).toEqual({ sizeWords: 0xffffffff, type: 42, schema: 3, reserved: 0x1234 });
    expect(inspection.fields.map((f) => [f.path, f.start, f.end])).toEqual([
      ["header.size", 0, 4],
      ["header.type", 4, 5],
      ["header.schema", 5, 6],
      ["header.reserved", 6, 8],
    ]);
    expect(inspectFrame("response", odd.subarray(0, 7)).header).toBeUndefined();
  });

  test("params get a span for their header and each value", () => {
    const vector = goldenVectors.find((v) => v.name === "EXEC, six params, schema 0")!;
    const byPath = Object.fromEntries(inspectFrame("request", hexToBytes(vector.hex)).fields.map((f) => [f.path, [f.start, f.end]]));
    expect(byPath["EXEC.params.header"]).toEqual([16, 24]);
    expect(byPath["EXEC.params[1]"]).toEqual([32, 40]);
    expect(byPath["EXEC.params[4]"]).toEqual([56, 72]);
  });

  test("every golden vector's top-level fields tile the body exactly", () => {
    for (const vector of goldenVectors) {
      const bytes = hexToBytes(vector.hex);
      const { fields, error } = inspectFrame(vector.side, bytes, { legacy: vector.legacy === true, intMode: "bigint" });
      expect(error, vector.name).toBeUndefined();
      const top = fields.filter((f) => !f.path.startsWith("header") && f.path.split(".").length === 2 && !f.path.includes("["));
      let at = 8;
      for (const span of top) {
        expect(span.start, `${vector.name} ${span.path}`).toBe(at);
        at = span.end;
      }
      expect(at, vector.name).toBe(bytes.length);
    }
  });

  test("an invalid frame gives the error and the spans decoded before it", () => {
    const result = inspectFrame("response", hexToBytes("0300000001000000 0100000000000000 4141414141414141 4141414141414141"));
    expect(result.message).toBeUndefined();
    expect(result.error?.code).toBe("BAD_TEXT");
    expect(result.fields.map((f) => f.path)).toContain("LEADER.id");
  });
});
