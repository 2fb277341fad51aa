// I/O helpers shared by the CLI commands: bounded reads of stdin, a line reader that holds one
// line at a time, hex in and out, and JSON lines out that wait for a full pipe to drain.

import { once } from "node:events";
import { constants as bufferConstants } from "node:buffer";
import { isWireError } from "../errors.ts";

/** A usage problem: one line on stderr, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export type InputErrorCode = "NOT_HEX" | "BAD_JSON" | "LIMIT";

/**
 * Input that is not what the command reads: not hex, not JSON, longer than the cap. Given as an
 * argument (or as the whole of stdin) it is a usage error, exit 2; as one line of `--lines` it is
 * that line's result and the next line is read as usual.
 */
export class InputError extends UsageError {
  override name = "InputError";
  readonly code: InputErrorCode;
  /** Character position at fault in the input, counted from 0, when one is known. */
  readonly offset: number | undefined;

  constructor(code: InputErrorCode, message: string, offset?: number) {
    super(message);
    this.code = code;
    this.offset = offset;
  }
}

/** The longest string this runtime can build; caps derived from message sizes stay below it. */
export const MAX_TEXT_CHARS = bufferConstants.MAX_STRING_LENGTH;

type InputChunk = Uint8Array | string;

const asBuffer = (chunk: InputChunk): Buffer =>
  typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);

/** All of stdin as text, refused with InputError LIMIT (before it is all held) past `maxBytes`. */
export async function readStdin(maxBytes: number = MAX_TEXT_CHARS, input: AsyncIterable<InputChunk> = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of input) {
    const buffer = asBuffer(chunk);
    total += buffer.length;
    if (total > maxBytes) throw new InputError("LIMIT", `stdin holds more than ${maxBytes} bytes, the cap for this input`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The lines of `input` as they arrive ("\n" or "\r\n" ends a line; a last line without one
 * counts; blank lines count). Only the current line is held: a line longer than `maxLineBytes`
 * is skipped up to its end without being kept and comes out as an InputError LIMIT in its place.
 */
export async function* readLines(input: AsyncIterable<InputChunk>, maxLineBytes: number): AsyncGenerator<string | InputError> {
  let pieces: Buffer[] = [];
  let held = 0;
  let overflow = false;
  const keep = (piece: Buffer) => {
    if (overflow || piece.length === 0) return;
    if (held + piece.length > maxLineBytes) {
      overflow = true;
      pieces = [];
      held = 0;
      return;
    }
    pieces.push(piece);
    held += piece.length;
  };
  const finish = (): string | InputError => {
    const tooLong = overflow;
    const bytes = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    pieces = [];
    held = 0;
    overflow = false;
    if (tooLong) return new InputError("LIMIT", `line longer than ${maxLineBytes} bytes, the cap for one line`);
    const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    return bytes.toString("utf8", 0, end);
  };
  for await (const chunk of input) {
    const buffer = asBuffer(chunk);
    let start = 0;
    for (let newline = buffer.indexOf(0x0a, start); newline !== -1; newline = buffer.indexOf(0x0a, start)) {
      keep(buffer.subarray(start, newline));
      yield finish();
      start = newline + 1;
    }
    keep(buffer.subarray(start));
  }
  if (held > 0 || overflow) yield finish();
}

const HEX = /^[0-9a-fA-F]*$/;

/** Parses hex (whitespace allowed anywhere); anything else is an InputError NOT_HEX. */
export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (!HEX.test(clean)) throw new InputError("NOT_HEX", `not hex: ${JSON.stringify(text.slice(0, 40))}`);
  if (clean.length % 2 !== 0)
    throw new InputError("NOT_HEX", `not hex: odd number of digits (${clean.length}) in ${JSON.stringify(text.slice(0, 40))}`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

/**
 * Hex text that arrives in pieces, to bytes: whitespace anywhere, a digit pair may be split
 * across pieces. At a character that is not hex, `push` still returns the bytes before it, and
 * `failure` holds the InputError (its offset counts characters from the start of the input):
 * the caller uses what came before, then reports the error.
 */
export class HexChunks {
  private carry = "";
  private seen = 0;
  failure: InputError | undefined;

  /** The whole bytes the hex seen so far spells, up to the first character that is not hex. */
  push(chunk: InputChunk): Uint8Array {
    if (this.failure !== undefined) return new Uint8Array(0);
    // latin1 keeps one character per input byte, so offsets are byte positions in the input;
    // any non-ASCII byte is not hex either way.
    let text = typeof chunk === "string" ? chunk : asBuffer(chunk).toString("latin1");
    const bad = /[^0-9a-fA-F\s]/.exec(text);
    if (bad !== null) {
      const at = this.seen + bad.index;
      this.failure = new InputError(
        "NOT_HEX",
        `not hex: ${JSON.stringify(text.slice(bad.index, bad.index + 20))} at input character ${at}`,
        at,
      );
      text = text.slice(0, bad.index);
    }
    this.seen += text.length;
    const clean = this.carry + text.replace(/\s+/g, "");
    const whole = clean.length - (clean.length % 2);
    this.carry = clean.slice(whole);
    return Uint8Array.from(Buffer.from(clean.slice(0, whole), "hex"));
  }

  /** At the end of the input: the error met, or a half byte left over. */
  end(): void {
    if (this.failure !== undefined) throw this.failure;
    if (this.carry !== "") throw new InputError("NOT_HEX", "not hex: odd number of digits at the end of the input", this.seen);
  }
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export interface ErrorJSON {
  name: string;
  code: string;
  message: string;
  offset?: number;
}

export function errorJSON(error: unknown): ErrorJSON {
  if (isWireError(error)) {
    const out: ErrorJSON = { name: error.name, code: error.code, message: error.message };
    if (error.offset >= 0) out.offset = error.offset;
    return out;
  }
  if (error instanceof InputError) {
    const out: ErrorJSON = { name: error.name, code: error.code, message: error.message };
    if (error.offset !== undefined) out.offset = error.offset;
    return out;
  }
  const err = error as Error;
  return { name: err?.name ?? "Error", code: "INTERNAL", message: String(err?.message ?? error) };
}

export function printLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

const OUTPUT_BATCH_CHARS = 64 * 1024;

/**
 * Lines to an output stream in batches. `line()` waits while the stream is full, so a fast
 * producer never piles output up in memory; whatever is batched goes out as soon as the process
 * would wait for input, so a reader sees each result while the input is still open. A reader
 * that goes away (EPIPE: `… | head`) sets `closed`, and the caller stops reading input.
 */
export class LineWriter {
  private batch: string[] = [];
  private batchChars = 0;
  private broken = false;
  private flushScheduled = false;

  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {
    out.on("error", () => {
      this.broken = true;
    });
  }

  get closed(): boolean {
    return this.broken;
  }

  /** Text as it is, batched like lines. */
  async write(text: string): Promise<void> {
    this.batch.push(text);
    this.batchChars += text.length;
    if (this.batchChars >= OUTPUT_BATCH_CHARS) return this.flush();
    if (!this.flushScheduled) {
      // setImmediate runs once the lines already read are processed and the loop turns to I/O.
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        void this.flush();
      });
    }
  }

  line(text: string): Promise<void> {
    return this.write(`${text}\n`);
  }

  async flush(): Promise<void> {
    if (this.batchChars === 0 || this.broken) return;
    const text = this.batch.join("");
    this.batch = [];
    this.batchChars = 0;
    if (this.out.write(text)) return;
    try {
      await once(this.out, "drain");
    } catch {
      this.broken = true;
    }
  }
}
