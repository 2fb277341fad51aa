// The incremental FrameDecoder against the stateless decoder applied frame by frame: same
// messages, same error at the same stream offset, poisoned afterwards, and a bounded buffer.

import { isWireError, type WireError } from "../src/errors.ts";
import { type Limits, DEFAULT_LIMITS } from "../src/limits.ts";
import { type DecodeOptions, decodeFrame } from "../src/messages/codec.ts";
import type { Side } from "../src/messages/codes.ts";
import type { Message } from "../src/messages/types.ts";
import { FrameDecoder } from "../src/stream/frame-decoder.ts";
import type { FrameScanner } from "../src/wire/frame-scanner.ts";
import { readHeader } from "../src/wire/header.ts";
import { type FuzzInput, type Findings, attempt, describeThrown } from "./findings.ts";
import { firstDifference } from "./same.ts";

// Incremental decoder against the stateless one, frame by frame.

interface StreamOutcome {
  messages: Message[];
  error?: { code: string; offset: number };
}

function expectedStream(side: Side, bytes: Uint8Array, options: DecodeOptions, shift: number, findings: Findings): StreamOutcome {
  const out: StreamOutcome = { messages: [] };
  const maxMessageBytes = { ...DEFAULT_LIMITS, ...options.limits }.maxMessageBytes;
  let at = 0;
  while (bytes.length - at >= 8) {
    let frameBytes: number;
    try {
      frameBytes = readHeader(bytes, at, maxMessageBytes).frameBytes;
    } catch (error) {
      out.error = { code: (error as WireError).code, offset: at + shift };
      return out;
    }
    if (frameBytes > bytes.length - at) break;
    try {
      out.messages.push(decodeFrame(side, bytes.subarray(at, at + frameBytes), options));
    } catch (error) {
      if (!isWireError(error)) findings.add("crash", `decodeFrame(${side}) of a frame at ${at}`, describeThrown(error));
      out.error = { code: (error as WireError).code, offset: (error as WireError).offset + at + shift };
      return out;
    }
    at += frameBytes;
  }
  if (at < bytes.length) out.error = { code: "TRUNCATED", offset: at + shift };
  return out;
}

export function cut(bytes: Uint8Array, splits: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const at of splits) {
    if (at <= from || at >= bytes.length) continue;
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

export function checkStream(input: FuzzInput, split: boolean, findings: Findings, limits?: Readonly<Limits>): void {
  const side = input.side;
  // The request side of a real connection starts with the handshake; the split run covers it.
  const handshake = split && side === "request";
  const prefix = handshake
    ? input.legacy
      ? Uint8Array.of(0xe5, 0x3f, 0x43, 0x60, 0xd7, 0x4d, 0x10, 0x86)
      : Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)
    : new Uint8Array(0);
  const stream = new Uint8Array(prefix.length + input.bytes.length);
  stream.set(prefix);
  stream.set(input.bytes, prefix.length);
  const splits = split ? input.splits.map((at) => at + prefix.length) : [];
  const options: DecodeOptions = {
    intMode: "bigint",
    legacy: input.legacy,
    allowInternal: input.allowInternal,
    ...(limits ? { limits } : {}),
  };
  const oracle = `FrameDecoder(${side}${split ? ", split" : ""}${limits ? ", tight caps" : ""})`;
  const expected = expectedStream(side, input.bytes, options, prefix.length, findings);

  const made = attempt(() => new FrameDecoder({ side, handshake, ...options }));
  if (findings.crashIf(made, oracle) || !("ok" in made)) return;
  const decoder = made.ok;
  const actual: StreamOutcome = { messages: [] };
  let failure: WireError | undefined;
  const maxMessageBytes = (limits ?? DEFAULT_LIMITS).maxMessageBytes;
  outer: for (const chunk of cut(stream, splits)) {
    const pushed = attempt(() => decoder.push(chunk));
    if (findings.crashIf(pushed, `${oracle} push`)) return;
    if ("error" in pushed) {
      failure = pushed.error;
      break;
    }
    if (decoder.bufferedBytes > maxMessageBytes + chunk.length) {
      findings.add("unboundedAllocation", `${oracle} buffer`, `${decoder.bufferedBytes} bytes buffered after a ${chunk.length}-byte chunk`);
    }
    // The decoder's buffer is its frame scanner's (src/wire/frame-scanner.ts).
    const capacity = (decoder as unknown as { scanner: FrameScanner }).scanner.capacity;
    if (capacity > Math.max(64 * 1024, 2 * (maxMessageBytes + chunk.length))) {
      findings.add("unboundedAllocation", `${oracle} buffer`, `buffer of ${capacity} bytes for ${decoder.bufferedBytes} pending`);
    }
    for (;;) {
      const next = attempt(() => decoder.next());
      if (findings.crashIf(next, `${oracle} next`)) return;
      if ("error" in next) {
        failure = next.error;
        break outer;
      }
      if (!("ok" in next) || next.ok === undefined) break;
      actual.messages.push(next.ok);
    }
  }
  if (failure === undefined) {
    const ended = attempt(() => decoder.end());
    if (findings.crashIf(ended, `${oracle} end`)) return;
    if ("error" in ended) failure = ended.error;
  }
  if (failure !== undefined) {
    actual.error = { code: failure.code, offset: failure.offset };
    // After a failure the decoder refuses to go on, with the original error as the cause.
    if (failure.code !== "BAD_HANDSHAKE") {
      const again = attempt(() => decoder.next());
      if (!("error" in again) || again.error.code !== "POISONED" || (again.error as { cause?: unknown }).cause !== failure) {
        findings.add("mismatch", `${oracle} poison`, `after ${failure.code} the decoder did not raise POISONED with the cause`);
      }
    }
  }
  const difference = firstDifference(actual, expected);
  if (difference !== undefined) findings.add("mismatch", oracle, `stream vs frame-by-frame stateless: ${difference}`);
}
