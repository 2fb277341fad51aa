// A small FlatBuffers writer: enough for Arrow's IPC metadata (tables of scalars, strings,
// vectors of tables and vectors of structs), nothing more. Arrow messages are tiny (a schema,
// or one record batch's node and buffer lists), so the writer favours being easy to check over
// being clever: it lays a table out top-down — vtable, then the table, then the objects its
// offsets point to — and patches each offset once its target is placed. FlatBuffers offsets to
// objects are unsigned and point forward, which writing children after their parent gives.
//
// Alignment follows the FlatBuffers rules a verifying reader (Arrow C++, flatcc) checks: every
// scalar at a multiple of its size from the buffer start, vectors of structs aligned for their
// largest member, and a table aligned for its largest inline field.

/** One field of a table, by field id (its position in the table's list). */
export type FbField =
  | { kind: "bool" | "u8"; value: number }
  | { kind: "i16"; value: number }
  | { kind: "i32"; value: number }
  | { kind: "i64"; value: number }
  | { kind: "string"; value: string }
  | { kind: "table"; value: FbTable }
  | { kind: "tables"; value: readonly FbTable[] }
  | { kind: "structs"; value: FbStructs };

/** A table: its fields in field-id order, `undefined` for an absent one. */
export interface FbTable {
  readonly fields: readonly (FbField | undefined)[];
}

/** A vector of fixed-size structs written by a callback (Arrow's FieldNode and Buffer lists). */
export interface FbStructs {
  readonly count: number;
  /** Bytes per struct, a multiple of `align`. */
  readonly size: number;
  readonly align: number;
  write(view: DataView, at: number, index: number): void;
}

export const fb = {
  bool: (value: boolean): FbField => ({ kind: "bool", value: value ? 1 : 0 }),
  u8: (value: number): FbField => ({ kind: "u8", value }),
  i16: (value: number): FbField => ({ kind: "i16", value }),
  i32: (value: number): FbField => ({ kind: "i32", value }),
  i64: (value: number): FbField => ({ kind: "i64", value }),
  string: (value: string): FbField => ({ kind: "string", value }),
  table: (...fields: (FbField | undefined)[]): FbTable => ({ fields }),
  tableField: (value: FbTable): FbField => ({ kind: "table", value }),
  tables: (value: readonly FbTable[]): FbField => ({ kind: "tables", value }),
  structs: (value: FbStructs): FbField => ({ kind: "structs", value }),
};

/** Bytes of an unsigned offset (uoffset_t), of the table's signed vtable offset, and of a vtable entry. */
const OFFSET_BYTES = 4;
const VTABLE_ENTRY_BYTES = 2;

const encoder = new TextEncoder();

function inlineSize(field: FbField): number {
  switch (field.kind) {
    case "bool":
    case "u8":
      return 1;
    case "i16":
      return 2;
    case "i32":
      return 4;
    case "i64":
      return 8;
    default:
      return OFFSET_BYTES;
  }
}

/** A growable byte buffer with aligned appends. */
class Output {
  bytes = new Uint8Array(256);
  view = new DataView(this.bytes.buffer);
  length = 0;

  reserve(extra: number): number {
    const at = this.length;
    const need = at + extra;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = need;
    return at;
  }

  /** Pads with zeros until `length + ahead` is a multiple of `align`. */
  align(align: number, ahead = 0): void {
    const misalign = (this.length + ahead) % align;
    if (misalign !== 0) this.reserve(align - misalign);
  }
}

/** A child object a table or vector points to, placed after it; `slot` holds the offset to patch. */
interface Pending {
  slot: number;
  field: FbField;
}

/** Writes `root` as a finished FlatBuffer: the root offset, then the objects. */
export function encodeFlatBuffer(root: FbTable): Uint8Array {
  const out = new Output();
  const rootSlot = out.reserve(OFFSET_BYTES);
  const rootAt = writeTable(out, root);
  out.view.setUint32(rootSlot, rootAt - rootSlot, true);
  return out.bytes.slice(0, out.length);
}

function writeTable(out: Output, table: FbTable): number {
  // Inline layout: the vtable offset first, then the fields, largest first so none needs padding.
  const present = table.fields.flatMap((field, id) => (field === undefined ? [] : [{ id, field, size: inlineSize(field) }]));
  present.sort((a, b) => b.size - a.size || a.id - b.id);
  const tableAlign = Math.max(OFFSET_BYTES, ...present.map((p) => p.size));
  const fieldOffsets = new Array<number>(table.fields.length).fill(0);
  let inline = OFFSET_BYTES;
  for (const p of present) {
    inline += (p.size - (inline % p.size)) % p.size;
    fieldOffsets[p.id] = inline;
    inline += p.size;
  }
  inline += (tableAlign - (inline % tableAlign)) % tableAlign;

  const vtableBytes = VTABLE_ENTRY_BYTES * (2 + table.fields.length);
  out.align(VTABLE_ENTRY_BYTES);
  // The table must start aligned, right after the vtable (padding goes before the vtable).
  out.align(tableAlign, vtableBytes);
  const vtableAt = out.reserve(vtableBytes);
  out.view.setUint16(vtableAt, vtableBytes, true);
  out.view.setUint16(vtableAt + VTABLE_ENTRY_BYTES, inline, true);
  fieldOffsets.forEach((offset, id) => {
    out.view.setUint16(vtableAt + VTABLE_ENTRY_BYTES * (2 + id), offset, true);
  });

  const tableAt = out.reserve(inline);
  out.view.setInt32(tableAt, tableAt - vtableAt, true);
  const pending: Pending[] = [];
  for (const { id, field } of present) {
    const at = tableAt + fieldOffsets[id]!;
    switch (field.kind) {
      case "bool":
      case "u8":
        out.view.setUint8(at, field.value);
        break;
      case "i16":
        out.view.setInt16(at, field.value, true);
        break;
      case "i32":
        out.view.setInt32(at, field.value, true);
        break;
      case "i64":
        out.view.setBigInt64(at, BigInt(field.value), true);
        break;
      default:
        pending.push({ slot: at, field });
    }
  }
  for (const { slot, field } of pending) {
    const target = writeObject(out, field);
    out.view.setUint32(slot, target - slot, true);
  }
  return tableAt;
}

/** Writes a string, vector or sub-table; returns where its offset must point. */
function writeObject(out: Output, field: FbField): number {
  switch (field.kind) {
    case "string": {
      const utf8 = encoder.encode(field.value);
      out.align(OFFSET_BYTES);
      const at = out.reserve(OFFSET_BYTES + utf8.length + 1);
      out.view.setUint32(at, utf8.length, true);
      out.bytes.set(utf8, at + OFFSET_BYTES);
      return at;
    }
    case "table":
      return writeTable(out, field.value);
    case "tables": {
      const tables = field.value;
      out.align(OFFSET_BYTES);
      const at = out.reserve(OFFSET_BYTES * (1 + tables.length));
      out.view.setUint32(at, tables.length, true);
      tables.forEach((table, i) => {
        const slot = at + OFFSET_BYTES * (1 + i);
        const tableAt = writeTable(out, table);
        out.view.setUint32(slot, tableAt - slot, true);
      });
      return at;
    }
    case "structs": {
      const structs = field.value;
      // The elements, not the length before them, are aligned for the struct.
      out.align(Math.max(OFFSET_BYTES, structs.align), OFFSET_BYTES);
      const at = out.reserve(OFFSET_BYTES + structs.count * structs.size);
      out.view.setUint32(at, structs.count, true);
      for (let i = 0; i < structs.count; i++) structs.write(out.view, at + OFFSET_BYTES + i * structs.size, i);
      return at;
    }
    default:
      throw new TypeError(`a ${field.kind} field is stored inline, not as an object`);
  }
}
