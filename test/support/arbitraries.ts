// fast-check arbitraries for every message, built from the declarations: a new message in
// schemas.ts is covered by the property tests without touching this file.

import fc from "fast-check";
import { encodeMessage } from "../../src/messages/codec.ts";
import type { Side } from "../../src/messages/codes.ts";
import type { FieldSpec, MessageDeclaration, Variant } from "../../src/messages/fields.ts";
import { requestSchemas, responseSchemas } from "../../src/messages/schemas.ts";
import type { CellValue, Tuple } from "../../src/values/cell.ts";
import { ValueType } from "../../src/values/value-type.ts";

/** Texts with the lengths that matter for padding (7, 8, 9 bytes), Unicode, and empty. */
export const textArb = fc
  .oneof(
    fc.constantFrom("", "abcdefg", "abcdefgh", "abcdefghi", "é", "日本語テキスト", "🎉x"),
    fc.string({ unit: "grapheme", maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 20 }),
  )
  .map((text) => text.replaceAll("\0", ""));

const int64Arb = fc.oneof(
  fc.constantFrom(0n, 1n, -1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n)),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
);

const nanBitsArb = fc.oneof(
  fc.constantFrom(0x7ff8000000000000n, 0x7ff0000000000001n, 0xfff8000000000000n, 0x7fffffffffffffffn, 0xffffffffffffffffn),
  fc.bigInt({ min: 1n, max: 0xfffffffffffffn }).map((mantissa) => 0x7ff0000000000000n | mantissa),
);

const floatArb = fc.oneof(fc.double(), fc.constantFrom(-0, 0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE));

interface CellArb {
  type: ValueType;
  value: CellValue;
  nanBits?: bigint;
}

function cellArb(types: readonly ValueType[]): fc.Arbitrary<CellArb> {
  return fc.constantFrom(...types).chain((type): fc.Arbitrary<CellArb> => {
    switch (type) {
      case ValueType.Integer:
      case ValueType.UnixTime:
        return int64Arb.map((value) => ({ type, value }));
      case ValueType.Float:
        return fc.oneof(
          floatArb.filter((v) => !Number.isNaN(v)).map((value) => ({ type, value })),
          nanBitsArb.map((bits) => ({ type, value: NaN, nanBits: bits === 0x7ff8000000000000n ? undefined : bits })),
        );
      case ValueType.Text:
        return textArb.map((value) => ({ type, value }));
      case ValueType.Iso8601:
        return fc.constantFrom("2026-11-25", "2026-11-25T10:20:30Z", "2026-11-25 10:20:30.123+01:00", "").map((value) => ({ type, value }));
      case ValueType.Blob:
        return fc.uint8Array({ maxLength: 40 }).map((value) => ({ type, value }));
      case ValueType.Null:
        return fc.constant({ type, value: null });
      case ValueType.Boolean:
        return fc.boolean().map((value) => ({ type, value }));
    }
  });
}

function toTuple(cells: CellArb[]): Tuple {
  const tuple: Tuple = { types: cells.map((c) => c.type), values: cells.map((c) => c.value) };
  cells.forEach((cell, i) => {
    if (cell.nanBits !== undefined) (tuple.nanBits ??= new Map()).set(i, cell.nanBits);
  });
  return tuple;
}

const PARAM_TYPES = [1, 2, 3, 4, 5, 10, 11] as ValueType[];
const ROW_TYPES = [1, 2, 3, 4, 5, 9, 10, 11] as ValueType[];

export const paramsArb = fc
  .oneof(
    { weight: 6, arbitrary: fc.array(cellArb(PARAM_TYPES), { maxLength: 12 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(0, 255, 256, 300).chain((n) => fc.array(cellArb(PARAM_TYPES), { minLength: n, maxLength: n })),
    },
  )
  .map(toTuple);

/** A ROWS body: columns, rows whose types vary row to row, and a marker. */
export const rowsArb = fc.integer({ min: 0, max: 20 }).chain((columns) =>
  fc.record({
    columns: fc
      .uniqueArray(textArb, { minLength: columns, maxLength: columns })
      .map((names) => (names.length === columns ? names : Array.from({ length: columns }, (_, i) => `c${i}`))),
    rows:
      columns === 0
        ? fc.constant([])
        : fc.array(fc.array(cellArb(ROW_TYPES), { minLength: columns, maxLength: columns }).map(toTuple), { maxLength: 6 }),
    marker: fc.constantFrom("DONE", "PART"),
  }),
);

function fieldArb(spec: FieldSpec): fc.Arbitrary<unknown> {
  switch (spec.kind) {
    case "u32":
      return fc.oneof(fc.constantFrom(0, 1, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
    case "u64":
      return fc
        .oneof(fc.constantFrom(0n, 1n, 2n ** 53n + 1n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))
        .filter((v) => !(spec.nonZero && v === 0n));
    case "count64":
      return fc.integer({ min: 0, max: spec.cap === "maxRowsAffected" ? 2 ** 31 - 1 : 32766 });
    case "enum64":
      return fc.constantFrom(...spec.values!);
    case "text":
      return spec.nonEmpty ? textArb.filter((t) => t !== "") : textArb;
    case "params":
      return paramsArb;
    case "nodes":
      return fc
        .uniqueArray(fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), { maxLength: 5 })
        .chain((ids) =>
          fc.tuple(
            ...ids.map((id) =>
              fc.record({ id: fc.constant(id), address: textArb.filter((t) => t !== ""), role: fc.constantFrom(0, 1, 2) }),
            ),
          ),
        );
    case "files":
      return fc.uniqueArray(textArb, { maxLength: 4 }).chain((names) =>
        fc.tuple(
          ...names.map((name) =>
            fc.record({
              name: fc.constant(name),
              content: fc.integer({ min: 0, max: 6 }).chain((w) => fc.uint8Array({ minLength: w * 8, maxLength: w * 8 })),
            }),
          ),
        ),
      );
    default:
      throw new Error(`no arbitrary for kind ${spec.kind}`);
  }
}

function variantArb(declaration: MessageDeclaration, variant: Variant): fc.Arbitrary<Record<string, unknown>> {
  const named = variant.fields.filter((spec) => spec.name !== undefined);
  const hasRows = named.some((spec) => spec.kind === "columns");
  const plain = named.filter((spec) => spec.kind !== "columns" && spec.kind !== "rows" && spec.kind !== "marker");
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const spec of plain) record[spec.name!] = fieldArb(spec);
  const base = fc.record(record);
  // Rows before a FAILURE record: at least one row, and a code a record after rows can carry.
  const beforeFailure = named.some((spec) => spec.kind === "rows" && spec.until === "failure");
  const rows = beforeFailure ? rowsArb.filter((r) => r.rows.length > 0) : rowsArb;
  const withRows = hasRows
    ? fc.tuple(base, rows, fc.bigInt({ min: 0n, max: 0xffffffffn })).map(([fields, result, smallCode]) => {
        const out: Record<string, unknown> = { ...fields, columns: result.columns };
        if (named.some((spec) => spec.kind === "rows")) out["rows"] = result.rows;
        if (named.some((spec) => spec.kind === "marker")) out["marker"] = result.marker;
        if (beforeFailure) out["errorCode"] = smallCode;
        return out;
      })
    : base;
  return withRows.map((fields) => {
    const message: Record<string, unknown> = { type: declaration.type, ...fields };
    if (variant.when?.schema !== undefined) message["schema"] = variant.when.schema;
    return message;
  });
}

function encodes(side: Side, message: Record<string, unknown>, legacy: boolean): boolean {
  try {
    encodeMessage(side, message as never, { legacy });
    return true;
  } catch {
    return false;
  }
}

export interface GeneratedMessage {
  side: Side;
  legacy: boolean;
  message: Record<string, unknown>;
}

/** Any message of either side, in any of its layouts. */
export function messageArb(side: Side): fc.Arbitrary<GeneratedMessage> {
  const schemas: Record<string, MessageDeclaration> = side === "request" ? requestSchemas : responseSchemas;
  const options = Object.values(schemas).flatMap((declaration) =>
    declaration.variants.map((variant) =>
      variantArb(declaration, variant)
        // Cross-field rules (e.g. LEADER id 0 with an address) are checked separately.
        .filter((message) => declaration.check?.(message) === undefined)
        // A secondary layout whose bytes read as the primary one is refused by the encoder
        // (tested in strictness.test.ts); generate only the unambiguous ones.
        .filter((message) => variant === declaration.variants[0] || encodes(side, message, variant.when?.legacy === true))
        .map((message) => ({ side, legacy: variant.when?.legacy === true, message })),
    ),
  );
  return fc.oneof(...options);
}
