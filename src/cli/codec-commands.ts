// `dqlite-wire decode` and `dqlite-wire encode`: frames as hex in, JSON out, and back.

import { parseArgs } from "node:util";
import { isWireError } from "../errors.ts";
import { messageFromJSON, messageToJSON } from "../json/message-json.ts";
import { type DecodeOptions, decodeFrame, encodeMessage } from "../messages/codec.ts";
import type { Side } from "../messages/codes.ts";
import type { Message, RequestInput } from "../messages/types.ts";
import { FrameDecoder } from "../stream/frame-decoder.ts";
import { isIntMode } from "../values/int-mode.ts";
import { UsageError, errorJSON, lines, parseHex, printLine, readStdin, toHex } from "./io.ts";

function sideOf(value: string | undefined): Side {
  if (value === "request" || value === "response") return value;
  throw new UsageError(`--side must be request or response, got ${JSON.stringify(value ?? "")}`);
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

export async function runDecodeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      side: { type: "string" },
      "max-rows": { type: "string" },
      "max-message-size": { type: "string" },
      legacy: { type: "boolean" },
      "allow-internal": { type: "boolean" },
      "int-mode": { type: "string" },
      lines: { type: "boolean" },
      stream: { type: "boolean" },
    },
  });
  const side = sideOf(values.side);
  // The CLI defaults to bigint so that every integer prints exactly; --int-mode number refuses
  // integers beyond 2^53 as the library does.
  const intMode = values["int-mode"] ?? "bigint";
  if (!isIntMode(intMode)) throw new UsageError(`--int-mode must be number, bigint or string, got ${JSON.stringify(intMode)}`);
  const limits: DecodeOptions["limits"] = {};
  const maxRows = positiveInt("--max-rows", values["max-rows"]);
  if (maxRows !== undefined) limits.maxRowsPerFrame = maxRows;
  const maxMessage = positiveInt("--max-message-size", values["max-message-size"]);
  if (maxMessage !== undefined) limits.maxMessageBytes = maxMessage;
  const options: DecodeOptions = { intMode, limits, legacy: values.legacy === true, allowInternal: values["allow-internal"] === true };
  if (positionals.length > 1) throw new UsageError("decode takes at most one HEX argument");
  const hexArgument = positionals[0];
  if (values.lines && values.stream) throw new UsageError("--lines and --stream do not combine");

  if (values.lines) {
    if (hexArgument !== undefined) throw new UsageError("--lines reads stdin; give no HEX argument");
    const inputs = lines(await readStdin());
    // Validate all input first: non-hex input is a usage error, not a decode result.
    const frames = inputs.map((line) => parseHex(line));
    for (const frame of frames) {
      try {
        printLine({ ok: true, message: messageToJSON(side, decodeFrame(side, frame, options)) });
      } catch (error) {
        if (!isWireError(error)) throw error;
        printLine({ ok: false, error: errorJSON(error) });
      }
    }
    return 0;
  }

  const bytes = parseHex(hexArgument ?? (await readStdin()));
  if (values.stream) return decodeStream(side, bytes, options);
  try {
    printLine(messageToJSON(side, decodeFrame(side, bytes, options)));
    return 0;
  } catch (error) {
    if (!isWireError(error)) throw error;
    printLine({ ok: false, error: errorJSON(error) });
    return 1;
  }
}

/** Feeds the whole input to one stream decoder; on an error shows it and the poisoning. */
function decodeStream(side: Side, bytes: Uint8Array, options: DecodeOptions): number {
  const decoder = new FrameDecoder({ side, ...options });
  const emit = (message: Message) => printLine({ ok: true, message: messageToJSON(side, message) });
  try {
    decoder.push(bytes);
    for (let message = decoder.next(); message !== undefined; message = decoder.next()) emit(message);
    decoder.end();
    return 0;
  } catch (error) {
    if (!isWireError(error)) throw error;
    printLine({ ok: false, error: errorJSON(error) });
    try {
      const again = decoder.next();
      if (again === undefined) printLine({ ok: true, message: null });
      else emit(again);
    } catch (second) {
      if (!isWireError(second)) throw second;
      printLine({ ok: false, error: errorJSON(second) });
    }
    return 1;
  }
}

export async function runEncodeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      side: { type: "string" },
      legacy: { type: "boolean" },
      lines: { type: "boolean" },
    },
  });
  const side = sideOf(values.side);
  const options = { legacy: values.legacy === true };
  if (positionals.length > 1) throw new UsageError("encode takes at most one JSON argument");
  const parse = (text: string): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      throw new UsageError(`bad JSON: ${JSON.stringify(text.slice(0, 60))}`);
    }
  };
  const encodeOne = (json: unknown): string => {
    const message = messageFromJSON(side, json) as unknown as RequestInput;
    return toHex(encodeMessage(side, message, options));
  };
  if (values.lines) {
    if (positionals.length > 0) throw new UsageError("--lines reads stdin; give no JSON argument");
    const inputs = lines(await readStdin()).map(parse);
    let failed = 0;
    for (const json of inputs) {
      try {
        process.stdout.write(`${encodeOne(json)}\n`);
      } catch (error) {
        if (!isWireError(error)) throw error;
        failed++;
        printLine({ ok: false, error: errorJSON(error) });
      }
    }
    return failed === 0 ? 0 : 1;
  }
  const json = parse(positionals[0] ?? (await readStdin()));
  try {
    process.stdout.write(`${encodeOne(json)}\n`);
    return 0;
  } catch (error) {
    if (!isWireError(error)) throw error;
    printLine({ ok: false, error: errorJSON(error) });
    return 1;
  }
}
