// The generic codec: one encoder and one decoder that walk the declarations of schemas.ts.

import { DecodeError, EncodeError, type WireError, isWireError } from "../errors.ts";
import { type Limits, resolveLimits } from "../limits.ts";
import type { IntMode } from "../values/int-mode.ts";
import { HEADER_BYTES, HEADER_SCHEMA_OFFSET, HEADER_TYPE_OFFSET, WORD_BYTES } from "../wire/constants.ts";
import { type FrameHeader, readHeader, writeHeader } from "../wire/header.ts";
import { WireReader } from "../wire/reader.ts";
import { WireWriter } from "../wire/writer.ts";
import type { Side } from "./codes.ts";
import { type DecodeContext, type EncodeContext, type FieldSpan, readField, writeField } from "./field-kinds.ts";
import type { MessageDeclaration, Variant } from "./fields.ts";
import { REQUESTS_BY_CODE, RESPONSES_BY_CODE, requestSchemas, responseSchemas } from "./schemas.ts";
import type { Message, Request, RequestInput, Response, ResponseInput } from "./types.ts";

export interface CodecOptions {
  /** Caps; missing entries take the defaults of `DEFAULT_LIMITS`. */
  limits?: Partial<Limits>;
  /** The connection used the legacy handshake: LEADER responses carry the address only. */
  legacy?: boolean;
}

export interface DecodeOptions extends CodecOptions {
  /** How INTEGER and UNIXTIME cells come out (default "number", which never rounds). */
  intMode?: IntMode;
  /** Accept the raft-internal requests HEARTBEAT and CONNECT (refused by default). */
  allowInternal?: boolean;
}

/** Options after defaults are applied; built once per decoder. */
export interface ResolvedDecodeOptions {
  limits: Readonly<Limits>;
  legacy: boolean;
  intMode: IntMode;
  allowInternal: boolean;
}

export function resolveDecodeOptions(options: DecodeOptions = {}): ResolvedDecodeOptions {
  return {
    limits: resolveLimits(options.limits),
    legacy: options.legacy === true,
    intMode: options.intMode ?? "number",
    allowInternal: options.allowInternal === true,
  };
}

/** Errors that say "the body does not have this layout", as opposed to "this value is wrong". */
const LAYOUT_MISMATCH = new Set(["BAD_LENGTH", "TRUNCATED", "BAD_TEXT"]);

function tableFor(side: Side): (MessageDeclaration | undefined)[] {
  return side === "request" ? REQUESTS_BY_CODE : RESPONSES_BY_CODE;
}

function applies(variant: Variant, schema: number | undefined, legacy: boolean): boolean {
  const when = variant.when;
  if (when === undefined) return true;
  if (when.legacy !== undefined && when.legacy !== legacy) return false;
  if (when.schema !== undefined && schema !== undefined && when.schema !== schema) return false;
  return true;
}

/** Looks up the declaration of a header's type and checks the schema byte and policy. */
export function declarationFor(side: Side, header: FrameHeader, at: number, options: ResolvedDecodeOptions): MessageDeclaration {
  const declaration = tableFor(side)[header.type];
  if (declaration === undefined) {
    throw new DecodeError("UNKNOWN_TYPE", `header.type: unknown ${side} type ${header.type} at offset ${at + HEADER_TYPE_OFFSET}`, {
      offset: at + HEADER_TYPE_OFFSET,
      field: "header.type",
    });
  }
  if (declaration.requestClass === "internal" && !options.allowInternal) {
    throw new DecodeError(
      "INTERNAL_MESSAGE",
      `header.type: ${declaration.type} (${header.type}) is raft-internal and refused at offset ${at + HEADER_TYPE_OFFSET}`,
      { offset: at + HEADER_TYPE_OFFSET, field: "header.type" },
    );
  }
  if (header.schema > declaration.maxSchema) {
    throw new DecodeError(
      "BAD_SCHEMA",
      `header.schema: schema ${header.schema} exceeds ${declaration.type}'s ceiling of ${declaration.maxSchema} at offset ${at + HEADER_SCHEMA_OFFSET}`,
      { offset: at + HEADER_SCHEMA_OFFSET, field: "header.schema" },
    );
  }
  return declaration;
}

/**
 * Decodes the body of a frame whose header is already read and checked. `frameStart` is the
 * position of the header in `bytes`; `base` is added to offsets in errors (stream position).
 */
export function decodeBody(
  side: Side,
  header: FrameHeader,
  bytes: Uint8Array,
  frameStart: number,
  options: ResolvedDecodeOptions,
  base = 0,
  trace?: FieldSpan[],
): Message {
  const declaration = declarationFor(side, header, base + frameStart, options);
  const body: BodyPlace = { bytes, start: frameStart + HEADER_BYTES, end: frameStart + header.frameBytes, schema: header.schema, base };
  let firstError: unknown;
  for (const variant of declaration.variants) {
    if (!applies(variant, header.schema, options.legacy)) continue;
    try {
      return decodeLayout(declaration, variant, body, options, trace);
    } catch (error) {
      if (!isWireError(error)) throw error;
      firstError ??= error;
      // A later layout may fit where this one did not (legacy PROMOTE is shorter, FAILURE after a
      // ROWS header is longer, so its text lands on binary words). Only a body this layout cannot
      // span tries the next one; a value this layout refuses (a cap, a range) is the answer,
      // whichever layout it came from. An integer intMode "number" cannot hold is the answer
      // only when the layout spans the body, so that the layout chosen never depends on intMode.
      const answer = error.code === "UNSAFE_INTEGER" ? refusalWithBigInts(declaration, variant, body, options, error) : error;
      if (!LAYOUT_MISMATCH.has(answer.code)) throw answer;
    }
  }
  throw firstError;
}

interface BodyPlace {
  bytes: Uint8Array;
  start: number;
  end: number;
  schema: number;
  base: number;
}

/** Decodes the body with one layout; throws its first refusal. */
function decodeLayout(
  declaration: MessageDeclaration,
  variant: Variant,
  body: BodyPlace,
  options: ResolvedDecodeOptions,
  trace: FieldSpan[] | undefined,
): Message {
  const reader = new WireReader(body.bytes, body.start, body.end, body.base);
  const message: Record<string, unknown> = { type: declaration.type, code: declaration.code, schema: body.schema };
  const ctx: DecodeContext = {
    reader,
    bodyStart: body.start,
    schema: body.schema,
    intMode: options.intMode,
    limits: options.limits,
    message,
    path: declaration.type,
  };
  if (trace !== undefined) {
    trace.length = 0;
    ctx.trace = trace;
  }
  for (const spec of variant.fields) {
    const value = readField(ctx, spec);
    if (spec.name !== undefined) message[spec.name] = value;
  }
  if (reader.pos !== body.end) {
    reader.fail("BAD_LENGTH", declaration.type, `${body.end - reader.pos} bytes trail the last field of the body`);
  }
  const problem = declaration.check?.(message);
  if (problem !== undefined) {
    throw new DecodeError("BAD_VALUE", `${declaration.type}.${problem.field}: ${problem.problem} at offset ${body.base + body.start}`, {
      offset: body.base + body.start,
      field: `${declaration.type}.${problem.field}`,
    });
  }
  return message as unknown as Message;
}

/**
 * What a layout that met an integer intMode "number" cannot hold answers. Read with bigints, a
 * layout that does not span the body is a mismatch (the next layout tries, as in every intMode);
 * otherwise the unsafe integer is the answer: it comes before any other refusal of the layout,
 * in order, as the row cores report it.
 */
function refusalWithBigInts(
  declaration: MessageDeclaration,
  variant: Variant,
  body: BodyPlace,
  options: ResolvedDecodeOptions,
  unsafe: WireError,
): WireError {
  try {
    decodeLayout(declaration, variant, body, { ...options, intMode: "bigint" }, undefined);
  } catch (error) {
    if (!isWireError(error)) throw error;
    if (LAYOUT_MISMATCH.has(error.code)) return error;
  }
  return unsafe;
}

/**
 * Decodes exactly one frame (header + body). A short buffer, a body that does not match its
 * header, or bytes after the frame are all DecodeErrors.
 */
export function decodeFrame(side: Side, bytes: Uint8Array, options?: DecodeOptions): Message {
  const resolved = resolveDecodeOptions(options);
  if (bytes.length < HEADER_BYTES) {
    throw new DecodeError("TRUNCATED", `header: needs ${HEADER_BYTES} bytes, got ${bytes.length} at offset 0`, {
      offset: 0,
      field: "header",
    });
  }
  const header = readHeader(bytes, 0, resolved.limits.maxMessageBytes);
  if (bytes.length < header.frameBytes) {
    throw new DecodeError(
      "TRUNCATED",
      `body: header declares ${header.frameBytes - HEADER_BYTES} body bytes, ${bytes.length - HEADER_BYTES} present at offset ${HEADER_BYTES}`,
      { offset: HEADER_BYTES, field: "body" },
    );
  }
  if (bytes.length > header.frameBytes) {
    throw new DecodeError(
      "BAD_LENGTH",
      `frame: ${bytes.length - header.frameBytes} bytes follow the frame at offset ${header.frameBytes}`,
      {
        offset: header.frameBytes,
        field: "frame",
      },
    );
  }
  return decodeBody(side, header, bytes, 0, resolved);
}

export function decodeRequest(bytes: Uint8Array, options?: DecodeOptions): Request {
  return decodeFrame("request", bytes, options) as Request;
}

export function decodeResponse(bytes: Uint8Array, options?: DecodeOptions): Response {
  return decodeFrame("response", bytes, options) as Response;
}

const RESERVED_PROPERTIES = new Set(["type", "code", "schema"]);

/** A layout's field names, and those it needs given (all but a params tuple, which may be absent). */
interface VariantFields {
  readonly names: ReadonlySet<string>;
  readonly required: readonly string[];
}

/** Worked out once per layout: every encode of a message asks which layout fits it. */
const VARIANT_FIELDS = new WeakMap<Variant, VariantFields>();

function fieldsOf(variant: Variant): VariantFields {
  let fields = VARIANT_FIELDS.get(variant);
  if (fields === undefined) {
    const named = variant.fields.filter((spec) => spec.name !== undefined);
    fields = {
      names: new Set(named.map((spec) => spec.name!)),
      required: named.filter((spec) => spec.kind !== "params").map((spec) => spec.name!),
    };
    VARIANT_FIELDS.set(variant, fields);
  }
  return fields;
}

/** True when `message` gives every field `fields` needs and none it does not know. */
function fits(message: Record<string, unknown>, fields: VariantFields): boolean {
  for (const key in message) {
    if (RESERVED_PROPERTIES.has(key) || message[key] === undefined) continue;
    if (!fields.names.has(key)) return false;
  }
  for (const name of fields.required) if (message[name] === undefined) return false;
  return true;
}

function chooseVariant(
  declaration: MessageDeclaration,
  message: Record<string, unknown>,
  schema: number | undefined,
  legacy: boolean,
): Variant {
  for (const variant of declaration.variants) {
    if (applies(variant, schema, legacy) && fits(message, fieldsOf(variant))) return variant;
  }
  const present = Object.keys(message).filter((key) => !RESERVED_PROPERTIES.has(key) && message[key] !== undefined);
  const known = [...new Set(declaration.variants.flatMap((v) => v.fields.flatMap((spec) => (spec.name ? [spec.name] : []))))];
  throw new EncodeError(
    "BAD_VALUE",
    `${declaration.type}: no layout fits the fields given (${present.join(", ") || "none"}); it takes ${known.join(", ") || "no fields"}${legacy ? " (legacy)" : ""}`,
    { field: declaration.type },
  );
}

/** The writer every encode uses in turn (encoding is synchronous); `finish` copies the frame out. */
const SCRATCH = new WireWriter();

/**
 * Encodes one message as a whole frame. The encoder is as strict as the decoder: any value the
 * decoder would refuse is an EncodeError naming the field, and nothing is returned.
 */
export function encodeMessage(side: Side, input: RequestInput | ResponseInput | Message, options: CodecOptions = {}): Uint8Array {
  const message = input as unknown as Record<string, unknown>;
  const schemas: Record<string, MessageDeclaration> = side === "request" ? requestSchemas : responseSchemas;
  const typeName = message["type"];
  const declaration = typeof typeName === "string" && Object.hasOwn(schemas, typeName) ? schemas[typeName] : undefined;
  if (declaration === undefined) {
    throw new EncodeError("UNKNOWN_TYPE", `type: ${JSON.stringify(typeName)} is not a ${side} type`, { field: "type" });
  }
  if (message["code"] !== undefined && message["code"] !== declaration.code) {
    throw new EncodeError("BAD_VALUE", `${declaration.type}.code: ${String(message["code"])} is not ${declaration.code}`, {
      field: `${declaration.type}.code`,
    });
  }
  const explicitSchema = message["schema"];
  if (
    explicitSchema !== undefined &&
    (typeof explicitSchema !== "number" ||
      !Number.isInteger(explicitSchema) ||
      explicitSchema < 0 ||
      explicitSchema > declaration.maxSchema)
  ) {
    throw new EncodeError("BAD_SCHEMA", `${declaration.type}.schema: ${String(explicitSchema)} is not in 0..${declaration.maxSchema}`, {
      field: `${declaration.type}.schema`,
    });
  }
  const limits = resolveLimits(options.limits);
  const legacy = options.legacy === true;
  const variant = chooseVariant(declaration, message, explicitSchema as number | undefined, legacy);
  const writer = SCRATCH;
  writer.reset();
  writer.zeros(HEADER_BYTES);
  const ctx: EncodeContext = {
    writer,
    bodyStart: HEADER_BYTES,
    schema: (explicitSchema as number | undefined) ?? variant.when?.schema,
    limits,
    message,
    path: declaration.type,
  };
  for (const spec of variant.fields) writeField(ctx, spec, spec.name === undefined ? undefined : message[spec.name]);
  const problem = declaration.check?.(message);
  if (problem !== undefined) {
    throw new EncodeError("BAD_VALUE", `${declaration.type}.${problem.field}: ${problem.problem}`, {
      field: `${declaration.type}.${problem.field}`,
    });
  }
  const schema = ctx.schema ?? 0;
  if (variant !== firstApplicable(declaration, schema, legacy)) ensureDecodesAs(side, declaration, variant, writer, schema, legacy);
  if (schema > declaration.maxSchema) {
    throw new EncodeError("BAD_SCHEMA", `${declaration.type}: needs schema ${schema}, above its ceiling ${declaration.maxSchema}`, {
      field: `${declaration.type}.schema`,
    });
  }
  const frame = writer.finish();
  const bodyBytes = frame.length - HEADER_BYTES;
  if (bodyBytes % WORD_BYTES !== 0) {
    // Every field pads itself; an unaligned body would be a bug in a field kind, not bad input.
    throw new EncodeError("BAD_LENGTH", `${declaration.type}: body of ${bodyBytes} bytes is not word-aligned`, { field: declaration.type });
  }
  if (frame.length > limits.maxMessageBytes) {
    throw new EncodeError("LIMIT", `${declaration.type}: frame of ${frame.length} bytes exceeds the cap of ${limits.maxMessageBytes}`, {
      field: declaration.type,
    });
  }
  writeHeader(frame, 0, bodyBytes / WORD_BYTES, declaration.code, schema);
  return frame;
}

function firstApplicable(declaration: MessageDeclaration, schema: number, legacy: boolean): Variant | undefined {
  return declaration.variants.find((variant) => applies(variant, schema, legacy));
}

/**
 * A secondary layout (legacy PROMOTE, FAILURE with columns) can produce bytes that the decoder
 * reads as the primary layout. The encoder never emits a frame that does not decode back to
 * what it was given, so such a frame is refused.
 */
function ensureDecodesAs(
  side: Side,
  declaration: MessageDeclaration,
  variant: Variant,
  writer: WireWriter,
  schema: number,
  legacy: boolean,
): void {
  const frame = writer.finish();
  writeHeader(frame, 0, (frame.length - HEADER_BYTES) / WORD_BYTES, declaration.code, schema);
  let decoded: Record<string, unknown> | undefined;
  try {
    decoded = decodeFrame(side, frame, {
      legacy,
      intMode: "bigint",
      limits: { maxMessageBytes: Math.max(frame.length, 16) },
    }) as unknown as Record<string, unknown>;
  } catch {
    decoded = undefined;
  }
  const names = variant.fields.flatMap((spec) => (spec.name === undefined ? [] : [spec.name]));
  if (decoded === undefined || !names.every((name) => decoded[name] !== undefined)) {
    throw new EncodeError(
      "BAD_VALUE",
      `${declaration.type}: these fields would decode as another layout of ${declaration.type} (ambiguous frame)`,
      {
        field: declaration.type,
      },
    );
  }
}

export function encodeRequest(message: RequestInput | Request, options?: CodecOptions): Uint8Array {
  return encodeMessage("request", message, options);
}

export function encodeResponse(message: ResponseInput | Response, options?: CodecOptions): Uint8Array {
  return encodeMessage("response", message, options);
}
