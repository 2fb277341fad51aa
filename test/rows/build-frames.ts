// Builds ROWS frames byte by byte for the row-engine tests, including frames no encoder would
// write (invalid UTF-8, raw NaN bits, odd nibbles), so the decoders can be driven anywhere.

export type TestCell =
  | { type: 1 | 9; value: bigint } // INTEGER, UNIXTIME
  | { type: 2; bits: bigint } // FLOAT as raw IEEE bits
  | { type: 3 | 10; utf8: Uint8Array } // TEXT, ISO8601 (raw bytes, may be invalid)
  | { type: 4; bytes: Uint8Array } // BLOB
  | { type: 5; filler?: bigint } // NULL (content ignored by decoders)
  | { type: 11; word: bigint }; // BOOLEAN

export type Marker = "DONE" | "PART";

const encoder = new TextEncoder();

export function text(value: string, type: 3 | 10 = 3): TestCell {
  return { type, utf8: encoder.encode(value) };
}

export function float(value: number): TestCell {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value, true);
  return { type: 2, bits: view.getBigUint64(0, true) };
}

class Bytes {
  parts: number[] = [];
  u8(v: number) {
    this.parts.push(v & 0xff);
  }
  u64(v: bigint) {
    const x = BigInt.asUintN(64, v);
    for (let i = 0n; i < 8n; i++) this.parts.push(Number((x >> (8n * i)) & 0xffn));
  }
  raw(b: Uint8Array) {
    for (const x of b) this.parts.push(x);
  }
  pad() {
    while (this.parts.length % 8 !== 0) this.parts.push(0);
  }
}

/** One ROWS frame (header + body). `nameBytes` lets a test put raw bytes in a name. */
export function rowsFrame(names: (string | Uint8Array)[], rows: TestCell[][], marker: Marker = "DONE"): Uint8Array {
  const body = new Bytes();
  body.u64(BigInt(names.length));
  for (const name of names) {
    body.raw(typeof name === "string" ? encoder.encode(name) : name);
    body.u8(0);
    body.pad();
  }
  for (const row of rows) {
    for (let i = 0; i < row.length; i += 2) body.u8(row[i]!.type | ((row[i + 1]?.type ?? 0) << 4));
    body.pad();
    for (const cell of row) {
      switch (cell.type) {
        case 1:
        case 9:
          body.u64(cell.value);
          break;
        case 2:
          body.u64(cell.bits);
          break;
        case 3:
        case 10:
          body.raw(cell.utf8);
          body.u8(0);
          body.pad();
          break;
        case 4:
          body.u64(BigInt(cell.bytes.length));
          body.raw(cell.bytes);
          body.pad();
          break;
        case 5:
          body.u64(cell.filler ?? 0n);
          break;
        case 11:
          body.u64(cell.word);
          break;
      }
    }
  }
  body.u64(marker === "DONE" ? 0xffffffffffffffffn : 0xeeeeeeeeeeeeeeeen);
  return frame(7, Uint8Array.from(body.parts));
}

/** A frame of any type around a body (padded to words). */
export function frame(type: number, body: Uint8Array, schema = 0): Uint8Array {
  const padded = Math.ceil(body.length / 8) * 8;
  const out = new Uint8Array(8 + padded);
  new DataView(out.buffer).setUint32(0, padded / 8, true);
  out[4] = type;
  out[5] = schema;
  out.set(body, 8);
  return out;
}

export function failureFrame(code: bigint, message: string): Uint8Array {
  const body = new Bytes();
  body.u64(code);
  body.raw(encoder.encode(message));
  body.u8(0);
  body.pad();
  return frame(0, Uint8Array.from(body.parts));
}

export function emptyFrame(): Uint8Array {
  return frame(8, new Uint8Array(8));
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function hex(text: string): Uint8Array {
  const clean = text.replace(/[^0-9a-f]/gi, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
