// A bare protocol connection to a real dqlite node for the capture script and the live bench:
// handshake, OPEN, EXEC_SQL to fill the benchmark tables, QUERY_SQL, and the raw bytes that
// come back. Requests are built with the message codec; nothing here is the session layer.

import { connect, type Socket } from "node:net";
import { encodeRequest } from "../src/messages/codec.ts";
import type { Message } from "../src/messages/types.ts";
import { FrameDecoder } from "../src/stream/frame-decoder.ts";
import type { CellValue } from "../src/values/cell.ts";
import { FrameScanner, type ScannedFrame } from "../src/wire/frame-scanner.ts";
import { encodeHandshake } from "../src/wire/handshake.ts";
import { ResponseCode, RowsLayout } from "../src/wire/layout.ts";
import { type Shape, SHAPES, rowValues } from "./corpus.ts";

/**
 * Parameters per INSERT: dqlite 1.11 answers FAILURE 1005 "not an error" to a params tuple in
 * schema 1 (more than 255 params), so statements stay within schema 0.
 */
const MAX_PARAMS_PER_STATEMENT = 255;

/** Socket chunks as an async queue. */
export class RawConnection {
  readonly socket: Socket;
  readonly #chunks: Uint8Array[] = [];
  #waiter: (() => void) | undefined;
  #closed: Error | undefined;
  readonly decoder = new FrameDecoder({ side: "response" });

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#wake();
    });
    socket.on("close", () => {
      this.#closed ??= new Error("connection closed");
      this.#wake();
    });
    socket.on("error", (error) => {
      this.#closed = error;
      this.#wake();
    });
  }

  static open(address: string): Promise<RawConnection> {
    const [host, port] = address.split(":");
    return new Promise((resolve, reject) => {
      const socket = connect({ host: host!, port: Number(port) }, () => {
        socket.setNoDelay(true);
        socket.write(encodeHandshake());
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }

  /** The next chunk from the socket (as Node delivers it). */
  async chunk(): Promise<Uint8Array> {
    while (this.#chunks.length === 0) {
      if (this.#closed) throw this.#closed;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
    return this.#chunks.shift()!;
  }

  send(frame: Uint8Array): void {
    this.socket.write(frame);
  }

  /** The next decoded message (for small replies). */
  async message(): Promise<Message> {
    for (;;) {
      const message = this.decoder.next();
      if (message !== undefined) return message;
      this.decoder.push(await this.chunk());
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function expectType(message: Message, type: string): void {
  if (message.type === "FAILURE") throw new Error(`node answered FAILURE ${message.errorCode}: ${message.message}`);
  if (message.type !== type) throw new Error(`expected ${type}, got ${message.type}`);
}

export async function openDatabase(connection: RawConnection, name: string): Promise<number> {
  connection.send(encodeRequest({ type: "OPEN", name, flags: 0n, vfs: "" }));
  const reply = await connection.message();
  expectType(reply, "DB");
  return (reply as Extract<Message, { type: "DB" }>).id;
}

export async function execSql(connection: RawConnection, db: number, sql: string, params: CellValue[] = []): Promise<void> {
  connection.send(encodeRequest({ type: "EXEC_SQL", db, sql, params }));
  expectType(await connection.message(), "RESULT");
}

/** Creates the table of `shape` and fills it with rows 0..rows-1 of the generator. */
export async function populate(connection: RawConnection, db: number, shape: Shape, rows: number): Promise<void> {
  const { columns, sqlTypes } = SHAPES[shape];
  const definition = columns.map((c, i) => (i === 0 ? `${c} INTEGER PRIMARY KEY` : `${c} ${sqlTypes[i]}`)).join(", ");
  await execSql(connection, db, `DROP TABLE IF EXISTS ${shape}`);
  await execSql(connection, db, `CREATE TABLE ${shape} (${definition})`);
  const placeholders = `(${columns.map(() => "?").join(",")})`;
  const rowsPerStatement = Math.floor(MAX_PARAMS_PER_STATEMENT / columns.length);
  for (let first = 0; first < rows; first += rowsPerStatement) {
    const count = Math.min(rowsPerStatement, rows - first);
    const params: CellValue[] = [];
    for (let i = first; i < first + count; i++) params.push(...rowValues(shape, i));
    const sql = `INSERT INTO ${shape} VALUES ${new Array(count).fill(placeholders).join(",")}`;
    await execSql(connection, db, sql, params);
  }
}

export function selectSql(shape: Shape): string {
  return `SELECT ${SHAPES[shape].columns.join(", ")} FROM ${shape} ORDER BY id`;
}

export function sendQuery(connection: RawConnection, db: number, shape: Shape): void {
  connection.send(encodeRequest({ type: "QUERY_SQL", db, sql: selectSql(shape), params: [] }));
}

/** Reads the raw bytes of one result: ROWS frames up to the one ending with DONE. */
export async function captureResult(connection: RawConnection): Promise<Uint8Array> {
  const result = new GrowingBytes(1 << 20);
  // Borrow mode: the socket's chunks are kept as they are, the scanner only finds the frames.
  const scanner = new FrameScanner({ input: "borrow" });
  for (;;) {
    const chunk = await connection.chunk();
    result.append(chunk);
    scanner.push(chunk);
    for (let frame = scanner.next(); frame !== undefined; frame = scanner.next()) {
      if (!endsResult(frame)) continue;
      if (scanner.buffered > 0) throw new Error(`${scanner.buffered} bytes after the result`);
      return result.bytes();
    }
  }
}

/** True for the ROWS frame that ends a result (its marker word is DONE). Throws on FAILURE. */
function endsResult(frame: ScannedFrame): boolean {
  const { type } = frame.header;
  if (type === ResponseCode.Failure) throw new Error("node answered FAILURE to the query");
  if (type !== ResponseCode.Rows) throw new Error(`unexpected response type ${type} in a result`);
  // Every ROWS frame ends with its marker word.
  return frame.bytes.subarray(frame.bytes.length - RowsLayout.MarkerBytes).every((byte) => byte === RowsLayout.DoneByte);
}

/** Bytes appended into one buffer that doubles as it fills. */
class GrowingBytes {
  #buffer: Uint8Array;
  #length = 0;

  constructor(initialBytes: number) {
    this.#buffer = new Uint8Array(initialBytes);
  }

  append(chunk: Uint8Array): void {
    if (this.#length + chunk.length > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + chunk.length));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length += chunk.length;
  }

  /** A copy of the bytes appended. */
  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}
