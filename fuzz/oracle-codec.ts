// The stateless codec: decodeFrame on both sides under every option that matters, the encoder
// on what it decoded, the JSON mapping, and inspectFrame against decodeFrame.

import type { WireError } from "../src/errors.ts";
import { DEFAULT_LIMITS } from "../src/limits.ts";
import { messageFromJSON, messageToJSON } from "../src/json/message-json.ts";
import { type DecodeOptions, decodeFrame, encodeMessage } from "../src/messages/codec.ts";
import type { Side } from "../src/messages/codes.ts";
import { inspectFrame } from "../src/messages/inspect.ts";
import type { Message } from "../src/messages/types.ts";
import { type Attempt, type FuzzInput, type Findings, TIGHT_LIMITS, attempt, describeThrown, errorKey } from "./findings.ts";
import { capViolation, expectedInMode, footprint } from "./message-checks.ts";
import { firstDifference, toHex } from "./same.ts";

// Stateless decoder, encoder, inspector.

export function checkStateless(input: FuzzInput, side: Side, findings: Findings): Attempt<Message> {
  const { bytes } = input;
  const options: DecodeOptions = { intMode: "bigint", legacy: input.legacy, allowInternal: input.allowInternal };
  const oracle = `decodeFrame(${side})`;
  const base = attempt(() => decodeFrame(side, bytes, options));
  if (findings.crashIf(base, oracle)) return base;

  if ("ok" in base) {
    const message = base.ok;
    const violation = capViolation(side, message, DEFAULT_LIMITS);
    if (violation !== undefined) findings.add("unboundedAllocation", `${oracle} caps`, violation);
    const held = footprint(message);
    if (held > 2 * bytes.length + 64)
      findings.add("unboundedAllocation", `${oracle} footprint`, `decoded ${held} elements from ${bytes.length} bytes`);
    checkReencode(side, message, options, findings);
  }

  // intMode: "number" and "string" must agree with the exact "bigint" decode.
  for (const mode of ["number", "string"] as const) {
    const other = attempt(() => decodeFrame(side, bytes, { ...options, intMode: mode }));
    const modeOracle = `${oracle} intMode ${mode}`;
    if (findings.crashIf(other, modeOracle)) continue;
    if ("error" in base) {
      if ("ok" in other) {
        findings.add("mismatch", modeOracle, `decodes in intMode ${mode} but fails in bigint: ${base.error.message}`);
      } else if ("error" in other && errorKey(other.error) !== errorKey(base.error)) {
        // An unsafe integer may be met before the structural error the bigint decode reports.
        const earlierUnsafe = other.error.code === "UNSAFE_INTEGER" && other.error.offset < base.error.offset;
        if (!earlierUnsafe) findings.add("mismatch", modeOracle, `${errorKey(other.error)} vs bigint ${errorKey(base.error)}`);
      }
      continue;
    }
    if (!("ok" in base)) continue;
    const expected = expectedInMode(base.ok, mode);
    if (expected === "unsafe") {
      if (!("error" in other && other.error.code === "UNSAFE_INTEGER")) {
        const got = "ok" in other ? "a message" : errorKey((other as { error: WireError }).error);
        findings.add("mismatch", modeOracle, `an integer outside ±(2^53-1) must be refused as UNSAFE_INTEGER, got ${got}`);
      }
    } else if (!("ok" in other)) {
      findings.add("mismatch", modeOracle, `fails (${errorKey((other as { error: WireError }).error)}) where bigint decodes`);
    } else {
      const difference = firstDifference(other.ok, expected);
      if (difference !== undefined) findings.add("mismatch", modeOracle, difference);
    }
  }

  // Options that only some messages care about: each decode must still end in a message or a
  // WireError, and allowing internal messages never makes a frame fail.
  const legacyFlip = attempt(() => decodeFrame(side, bytes, { ...options, legacy: !input.legacy }));
  findings.crashIf(legacyFlip, `${oracle} legacy=${!input.legacy}`);
  const internalFlip = attempt(() => decodeFrame(side, bytes, { ...options, allowInternal: !input.allowInternal }));
  if (!findings.crashIf(internalFlip, `${oracle} allowInternal=${!input.allowInternal}`)) {
    const allowed = input.allowInternal ? base : internalFlip;
    const refused = input.allowInternal ? internalFlip : base;
    if ("ok" in refused && !("ok" in allowed))
      findings.add("mismatch", `${oracle} allowInternal`, "a frame accepted without allowInternal fails with it");
  }

  // Tight caps: whatever decodes must fit them, and must be what the default caps decode.
  const tight = attempt(() => decodeFrame(side, bytes, { ...options, limits: TIGHT_LIMITS }));
  if (!findings.crashIf(tight, `${oracle} tight caps`) && "ok" in tight) {
    if (bytes.length > TIGHT_LIMITS.maxMessageBytes)
      findings.add(
        "unboundedAllocation",
        `${oracle} tight caps`,
        `a frame of ${bytes.length} bytes passed maxMessageBytes ${TIGHT_LIMITS.maxMessageBytes}`,
      );
    const violation = capViolation(side, tight.ok, TIGHT_LIMITS);
    if (violation !== undefined) findings.add("unboundedAllocation", `${oracle} tight caps`, violation);
    if (!("ok" in base)) findings.add("mismatch", `${oracle} tight caps`, "decodes under tight caps but not under the defaults");
    else {
      const difference = firstDifference(tight.ok, base.ok);
      if (difference !== undefined) findings.add("mismatch", `${oracle} tight caps`, difference);
    }
  }
  return base;
}

function checkReencode(side: Side, message: Message, options: DecodeOptions, findings: Findings): void {
  const oracle = `re-encode(${side})`;
  const encoded = attempt(() => encodeMessage(side, message, { legacy: options.legacy }));
  if (findings.crashIf(encoded, `${oracle} encodeMessage`)) return;
  if ("error" in encoded) {
    findings.add("mismatch", oracle, `a decoded ${message.type} does not encode: ${encoded.error.code} ${encoded.error.message}`);
    return;
  }
  if (!("ok" in encoded)) return;
  const again = attempt(() => decodeFrame(side, encoded.ok, options));
  if (findings.crashIf(again, `${oracle} decodeFrame`)) return;
  if (!("ok" in again)) {
    findings.add(
      "mismatch",
      oracle,
      `the re-encoded ${message.type} does not decode: ${errorKey((again as { error: WireError }).error)} ${toHex(encoded.ok).slice(0, 120)}`,
    );
    return;
  }
  const difference = firstDifference(again.ok, message);
  if (difference !== undefined) {
    findings.add("mismatch", oracle, `decode(encode(m)) differs from m at ${difference}`);
    return;
  }
  const twice = attempt(() => encodeMessage(side, again.ok, { legacy: options.legacy }));
  if (findings.crashIf(twice, `${oracle} encodeMessage`)) return;
  if (!("ok" in twice) || toHex(twice.ok) !== toHex(encoded.ok))
    findings.add("mismatch", oracle, "encoding is not stable: encode(decode(encode(m))) differs from encode(m)");

  // Through the JSON mapping and back: the same frame.
  const viaJson = attempt(() =>
    encodeMessage(side, messageFromJSON(side, JSON.parse(JSON.stringify(messageToJSON(side, message)))) as never, {
      legacy: options.legacy,
    }),
  );
  if (findings.crashIf(viaJson, "JSON round trip")) return;
  if (!("ok" in viaJson))
    findings.add(
      "mismatch",
      "JSON round trip",
      `messageFromJSON(messageToJSON(m)) does not encode: ${errorKey((viaJson as { error: WireError }).error)} ${(viaJson as { error: WireError }).error.message}`,
    );
  else if (toHex(viaJson.ok) !== toHex(encoded.ok))
    findings.add("mismatch", "JSON round trip", `encodes to ${toHex(viaJson.ok).slice(0, 80)}, not ${toHex(encoded.ok).slice(0, 80)}`);
}

export function checkInspect(input: FuzzInput, side: Side, stateless: Attempt<Message>, findings: Findings): void {
  const oracle = `inspectFrame(${side})`;
  const options: DecodeOptions = { intMode: "bigint", legacy: input.legacy, allowInternal: input.allowInternal };
  const inspected = attempt(() => inspectFrame(side, input.bytes, options));
  if ("crash" in inspected || "error" in inspected) {
    findings.add(
      "crash",
      oracle,
      `inspectFrame threw: ${"crash" in inspected ? describeThrown(inspected.crash) : inspected.error.message}`,
    );
    return;
  }
  const { message, error, fields } = inspected.ok;
  for (const span of fields) {
    if (!(span.start >= 0 && span.start <= span.end && span.end <= input.bytes.length)) {
      findings.add("mismatch", oracle, `span ${span.path} [${span.start}, ${span.end}) is outside the ${input.bytes.length}-byte frame`);
      break;
    }
  }
  if ("ok" in stateless) {
    if (message === undefined) findings.add("mismatch", oracle, `decodeFrame decodes, inspectFrame says ${error?.code}`);
    else {
      const difference = firstDifference(message, stateless.ok);
      if (difference !== undefined) findings.add("mismatch", oracle, difference);
    }
  } else if ("error" in stateless) {
    if (error === undefined) findings.add("mismatch", oracle, `inspectFrame decodes, decodeFrame fails with ${errorKey(stateless.error)}`);
    else if (error.code !== stateless.error.code)
      findings.add("mismatch", oracle, `${errorKey(error)} vs decodeFrame ${errorKey(stateless.error)}`);
  }
}
