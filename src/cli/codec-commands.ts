// `dqlite-wire decode` and `dqlite-wire encode`: frames as hex in, JSON out, and back.
//
// Both read one input (arguments, or all of stdin), or with --lines one input per stdin line, or
// with --stream one continuous byte stream. --lines and --stream read stdin as it arrives and hold
// one line (or one partial frame) at a time, so inputs of any length run in bounded memory.

import { parseArgs } from "node:util";
import { EncodeError, isWireError } from "../errors.ts";
import { messageFromJSON, messageToJSON } from "../json/message-json.ts";
import { DEFAULT_LIMITS, type Limits } from "../limits.ts";
import { decodeFrame, encodeMessage } from "../messages/codec.ts";
import type { Side } from "../messages/codes.ts";
import { requestSchemas } from "../messages/schemas.ts";
import type { Message, RequestInput } from "../messages/types.ts";
import { FrameDecoder } from "../stream/frame-decoder.ts";
import { type IntMode, isIntMode } from "../values/int-mode.ts";
import { handshakeFor } from "../wire/handshake.ts";
import {
  HexChunks,
  InputError,
  LineWriter,
  MAX_TEXT_CHARS,
  UsageError,
  errorJSON,
  parseHex,
  printLine,
  readLines,
  readStdin,
  toHex,
} from "./io.ts";

/** One command-line option: how node:util parseArgs reads it, and how --help shows it. */
interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  /** The placeholder shown after the option name in the help. */
  value?: string;
  help: string;
}

// The options of each command, in one table each: parseArgs reads them and --help prints them.
// A new option is one entry here and one use in the command.
const DECODE_OPTIONS = {
  side: { type: "string", value: "request|response", help: "which way the frames travel (required)" },
  lines: { type: "boolean", help: "one hex frame per stdin line → one JSON result line each" },
  stream: { type: "boolean", help: "the input is one byte stream (requests: the 8-byte handshake first)" },
  "int-mode": { type: "string", value: "number|bigint|string", help: "how INTEGER and UNIXTIME cells print (default bigint: exact)" },
  "max-rows": { type: "string", value: "N", help: `refuse a ROWS frame of N rows or more (default ${DEFAULT_LIMITS.maxRowsPerFrame})` },
  "max-message-size": {
    type: "string",
    value: "N",
    help: `refuse a frame over N bytes, header included (default ${DEFAULT_LIMITS.maxMessageBytes})`,
  },
  legacy: { type: "boolean", help: "frames of a legacy (pre-1.0) connection: LEADER has the address only" },
  "allow-internal": { type: "boolean", help: "accept the raft-internal requests HEARTBEAT and CONNECT" },
  help: { type: "boolean", short: "h", help: "print this help" },
} as const satisfies Record<string, OptionSpec>;

// encode takes every option decode takes, so `decode … | encode …` works with the same flags.
const ENCODE_OPTIONS = {
  side: DECODE_OPTIONS.side,
  lines: { type: "boolean", help: 'one JSON message (or decode\'s {"ok":…} line) per stdin line → one line each' },
  stream: { type: "boolean", help: "all frames as one hex stream, requests led by the handshake (decode --stream's input)" },
  "int-mode": { type: "string", value: "number|bigint|string", help: "accepted for decode's sake: integers are read exactly either way" },
  "max-rows": {
    type: "string",
    value: "N",
    help: `refuse to write a ROWS frame of N rows or more (default ${DEFAULT_LIMITS.maxRowsPerFrame})`,
  },
  "max-message-size": {
    type: "string",
    value: "N",
    help: `refuse to write a frame over N bytes (default ${DEFAULT_LIMITS.maxMessageBytes})`,
  },
  legacy: { type: "boolean", help: "LEADER with the address only; with --stream, the legacy handshake" },
  "allow-internal": { type: "boolean", help: "write HEARTBEAT and CONNECT (refused otherwise, as by decode)" },
  help: DECODE_OPTIONS.help,
} as const satisfies Record<string, OptionSpec>;

function optionLines(options: Record<string, OptionSpec>): string {
  const names = Object.entries(options).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`,
    spec.help,
  ]);
  const width = Math.max(...names.map(([left]) => left!.length));
  return names.map(([left, help]) => `  ${left!.padEnd(width)}  ${help}`).join("\n");
}

export const DECODE_USAGE = `usage: dqlite-wire decode --side request|response [options] [HEX…]

Decodes frames given as hex (whitespace anywhere; several HEX arguments are one frame's bytes)
and prints each message as JSON (docs/json.md). Without HEX and without --lines, reads one frame
from stdin.

options:
${optionLines(DECODE_OPTIONS)}

--lines prints {"ok":true,"message":{…}} or {"ok":false,"error":{…}} for every input line, in
order: a blank line is an empty frame (an error), a line that is not hex gives an InputError
NOT_HEX, and the next line is read as usual. --stream prints one such line per message and stops
at the first error (then the stream decoder is poisoned, shown by a second line).

exit status: 0 every frame decoded; 1 a frame (with --lines: any line) failed, its error printed
as JSON on stdout; 2 usage error (unknown option, a HEX argument or a single frame that is not hex).

dqlite-wire decode --pcap FILE decodes a tcpdump capture instead (decode --pcap --help).
`;

export const ENCODE_USAGE = `usage: dqlite-wire encode --side request|response [options] [JSON]

Encodes a message given as JSON (docs/json.md) and prints the frame as hex. Without JSON and
without --lines, reads one message from stdin. decode's output is encode's input: a bare message,
or a {"ok":true,"message":{…}} line of decode --lines / --stream.

options:
${optionLines(ENCODE_OPTIONS)}

--lines prints the hex of every input line's frame, or {"ok":false,"error":{…}} for a line that
is not JSON (InputError BAD_JSON; a blank line too), a message the encoder refuses (EncodeError),
or a failed decode line given back (its error unchanged), in order. --stream stops at the first
such line (blank lines are skipped): it prints the hex so far, then the error on a line of its own.

exit status: 0 every message encoded; 1 a message (with --lines: any line) failed, its error
printed as JSON on stdout; 2 usage error (unknown option, a JSON argument or input that is not JSON).
`;

type Mode = "single" | "lines" | "stream";

/** What both commands take from their options. */
interface CodecSettings {
  side: Side;
  mode: Mode;
  intMode: IntMode;
  legacy: boolean;
  allowInternal: boolean;
  limits: Partial<Limits>;
}

interface CodecValues {
  side?: string | undefined;
  lines?: boolean | undefined;
  stream?: boolean | undefined;
  "int-mode"?: string | undefined;
  "max-rows"?: string | undefined;
  "max-message-size"?: string | undefined;
  legacy?: boolean | undefined;
  "allow-internal"?: boolean | undefined;
}

function sideOf(value: string | undefined): Side {
  if (value === "request" || value === "response") return value;
  throw new UsageError(`--side must be request or response, got ${JSON.stringify(value ?? "")}`);
}

function countOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function codecSettings(values: CodecValues): CodecSettings {
  const side = sideOf(values.side);
  if (values.lines === true && values.stream === true) throw new UsageError("--lines and --stream do not combine");
  const mode: Mode = values.lines === true ? "lines" : values.stream === true ? "stream" : "single";
  // The CLI defaults to bigint so that every integer prints exactly; --int-mode number refuses
  // integers beyond 2^53 as the library does.
  const intMode = values["int-mode"] ?? "bigint";
  if (!isIntMode(intMode)) throw new UsageError(`--int-mode must be number, bigint or string, got ${JSON.stringify(intMode)}`);
  const limits: Partial<Limits> = {};
  const maxRows = countOption("--max-rows", values["max-rows"]);
  if (maxRows !== undefined) limits.maxRowsPerFrame = maxRows;
  const maxMessage = countOption("--max-message-size", values["max-message-size"]);
  if (maxMessage !== undefined) limits.maxMessageBytes = maxMessage;
  return { side, mode, intMode, limits, legacy: values.legacy === true, allowInternal: values["allow-internal"] === true };
}

const maxMessageBytes = (settings: CodecSettings) => settings.limits.maxMessageBytes ?? DEFAULT_LIMITS.maxMessageBytes;

// Caps on one input's text, derived from the frame cap so that no input is held past what could
// spell an acceptable frame: hex takes 2 characters a byte (4 leaves room for whitespace), JSON
// at most about 6 (a cell of 8.5 wire bytes is at most ~50 characters of JSON; 16 is generous).
const hexTextCap = (settings: CodecSettings) => Math.min(MAX_TEXT_CHARS, 4 * maxMessageBytes(settings) + 64);
const jsonTextCap = (settings: CodecSettings) => Math.min(MAX_TEXT_CHARS, 16 * maxMessageBytes(settings) + 4096);

/** Input problems and wire errors are a result; anything else is a bug and propagates. */
function failure(error: unknown): { ok: false; error: ReturnType<typeof errorJSON> } {
  if (!(error instanceof InputError) && !isWireError(error)) throw error;
  return { ok: false, error: errorJSON(error) };
}

export async function runDecodeCommand(argv: string[]): Promise<number> {
  // Captures (tcpdump pcap/pcapng) have their own command and options: pcap-command.ts.
  if (argv.some((arg) => arg === "--pcap" || arg.startsWith("--pcap="))) return (await import("./pcap-command.ts")).runPcapCommand(argv);
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: DECODE_OPTIONS });
  if (values.help === true) {
    // decode's second form reads captures; its options live with it, in pcap-command.ts.
    const { PCAP_USAGE } = await import("./pcap-command.ts");
    process.stdout.write(`${DECODE_USAGE}\n${PCAP_USAGE}`);
    return 0;
  }
  const settings = codecSettings(values);
  // Hex split by spaces on the command line arrives as several arguments: one frame's bytes.
  const hexArgument = positionals.length > 0 ? positionals.join("") : undefined;
  switch (settings.mode) {
    case "lines":
      if (hexArgument !== undefined) throw new UsageError("--lines reads stdin; give no HEX argument");
      return decodeLines(settings);
    case "stream":
      // A HEX argument that is not hex is a usage error, checked before anything is printed.
      if (hexArgument !== undefined) parseHex(hexArgument);
      return decodeStream(settings, hexArgument === undefined ? process.stdin : [hexArgument]);
    case "single": {
      const bytes = parseHex(hexArgument ?? (await readStdin(hexTextCap(settings))));
      const result = decodeOne(settings, bytes);
      printLine(result.ok ? result.message : result);
      return result.ok ? 0 : 1;
    }
  }
}

function decodeOne(settings: CodecSettings, bytes: Uint8Array): { ok: true; message: unknown } | ReturnType<typeof failure> {
  try {
    return { ok: true, message: messageToJSON(settings.side, decodeFrame(settings.side, bytes, settings)) };
  } catch (error) {
    return failure(error);
  }
}

/** One result line per stdin line, in order; the exit status says whether any line failed. */
async function decodeLines(settings: CodecSettings): Promise<number> {
  const out = new LineWriter();
  let failed = 0;
  for await (const line of readLines(process.stdin, hexTextCap(settings))) {
    let result: ReturnType<typeof decodeOne>;
    try {
      result = line instanceof InputError ? failure(line) : decodeOne(settings, parseHex(line));
    } catch (error) {
      result = failure(error);
    }
    if (!result.ok) failed++;
    await out.line(JSON.stringify(result));
    if (out.closed) break;
  }
  await out.flush();
  return failed === 0 ? 0 : 1;
}

/**
 * Feeds the input, as it arrives, to one stream decoder and prints each message. On an error it
 * prints the error and what the decoder says next (the poisoning), and stops.
 */
async function decodeStream(settings: CodecSettings, input: AsyncIterable<Uint8Array | string> | Iterable<string>): Promise<number> {
  const decoder = new FrameDecoder({ ...settings });
  const hex = new HexChunks();
  const out = new LineWriter();
  const emit = (message: Message | undefined) =>
    out.line(JSON.stringify({ ok: true, message: message === undefined ? null : messageToJSON(settings.side, message) }));
  try {
    for await (const chunk of input) {
      decoder.push(hex.push(chunk));
      for (let message = decoder.next(); message !== undefined; message = decoder.next()) await emit(message);
      if (hex.failure !== undefined) throw hex.failure;
      if (out.closed) break;
    }
    if (!out.closed) {
      hex.end();
      decoder.end();
    }
    await out.flush();
    return 0;
  } catch (error) {
    await out.line(JSON.stringify(failure(error)));
    if (isWireError(error)) {
      try {
        await emit(decoder.next());
      } catch (second) {
        await out.line(JSON.stringify(failure(second)));
      }
    }
    await out.flush();
    return 1;
  }
}

/** A line of decode --lines / --stream: `{"ok":true,"message":…}` or `{"ok":false,"error":…}`. */
function resultLine(json: unknown): { ok: boolean; message?: unknown; error?: unknown } | undefined {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return undefined;
  const record = json as Record<string, unknown>;
  return "ok" in record && !("type" in record) ? (record as { ok: boolean }) : undefined;
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError("BAD_JSON", `not JSON: ${JSON.stringify(text.slice(0, 60))}`);
  }
}

function encodeOne(settings: CodecSettings, json: unknown): Uint8Array {
  const message = messageFromJSON(settings.side, json);
  const type = message["type"];
  // The decoder refuses raft-internal requests without --allow-internal; the encoder agrees,
  // so one set of flags means the same on both sides of a pipe.
  if (settings.side === "request" && !settings.allowInternal && typeof type === "string" && Object.hasOwn(requestSchemas, type)) {
    if (requestSchemas[type as keyof typeof requestSchemas].requestClass === "internal") {
      throw new EncodeError("INTERNAL_MESSAGE", `type: ${type} is raft-internal and refused without --allow-internal`, { field: "type" });
    }
  }
  return encodeMessage(settings.side, message as unknown as RequestInput, settings);
}

/** The output of one message (bare, or a line of decode's output), and whether it failed. */
function encodeValue(settings: CodecSettings, json: unknown): { text: string; ok: boolean } {
  try {
    const wrapped = resultLine(json);
    if (wrapped !== undefined && wrapped.ok !== true) {
      // A line decode could not read stays a failed line, its error unchanged.
      return { text: JSON.stringify({ ok: false, error: wrapped.error ?? null }), ok: false };
    }
    return { text: toHex(encodeOne(settings, wrapped === undefined ? json : wrapped.message)), ok: true };
  } catch (error) {
    return { text: JSON.stringify(failure(error)), ok: false };
  }
}

/** The output line of one input line of encode --lines / --stream, and whether it failed. */
function encodeLine(settings: CodecSettings, line: string | InputError): { text: string; ok: boolean } {
  let json: unknown;
  try {
    if (line instanceof InputError) throw line;
    json = parseJSON(line);
  } catch (error) {
    return { text: JSON.stringify(failure(error)), ok: false };
  }
  return encodeValue(settings, json);
}

export async function runEncodeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: ENCODE_OPTIONS });
  if (values.help === true) {
    process.stdout.write(ENCODE_USAGE);
    return 0;
  }
  const settings = codecSettings(values);
  // JSON split by the shell into several arguments is read back as one text.
  const jsonArgument = positionals.length > 0 ? positionals.join(" ") : undefined;
  switch (settings.mode) {
    case "lines":
      if (jsonArgument !== undefined) throw new UsageError("--lines reads stdin; give no JSON argument");
      return encodeLines(settings);
    case "stream":
      // A JSON argument that is not JSON is a usage error, checked before anything is printed.
      if (jsonArgument !== undefined) parseJSON(jsonArgument);
      return encodeStream(settings, jsonArgument === undefined ? readLines(process.stdin, jsonTextCap(settings)) : [jsonArgument]);
    case "single": {
      const { text, ok } = encodeValue(settings, parseJSON(jsonArgument ?? (await readStdin(jsonTextCap(settings)))));
      process.stdout.write(`${text}\n`);
      return ok ? 0 : 1;
    }
  }
}

async function encodeLines(settings: CodecSettings): Promise<number> {
  const out = new LineWriter();
  let failed = 0;
  for await (const line of readLines(process.stdin, jsonTextCap(settings))) {
    const { text, ok } = encodeLine(settings, line);
    if (!ok) failed++;
    await out.line(text);
    if (out.closed) break;
  }
  await out.flush();
  return failed === 0 ? 0 : 1;
}

/** All frames as one hex line, requests led by the handshake; stops at the first failed line. */
async function encodeStream(settings: CodecSettings, input: AsyncIterable<string | InputError> | Iterable<string>): Promise<number> {
  const out = new LineWriter();
  if (settings.side === "request") await out.write(toHex(handshakeFor(settings.legacy)));
  for await (const line of input) {
    if (typeof line === "string" && line.trim() === "") continue;
    const { text, ok } = encodeLine(settings, line);
    if (!ok) {
      await out.write("\n");
      await out.line(text);
      await out.flush();
      return 1;
    }
    await out.write(text);
    if (out.closed) break;
  }
  await out.write("\n");
  await out.flush();
  return 0;
}
