// One TCP connection read as a dqlite conversation: recognised from the client's first bytes
// (handshake, TLS, raft's CONNECT, anything else), each direction framed by a DirectionDecoder,
// each frame decoded by the message codec, and responses paired with their requests.
//
// After a frame whose body does not decode, the conversation reports it and goes on with the
// next frame; gaps and resyncs are handled per direction (direction-decoder.ts).

import { type WireError, isWireError } from "../../errors.ts";
import { type ResolvedDecodeOptions, decodeBody } from "../../messages/codec.ts";
import { RequestType, type Side } from "../../messages/codes.ts";
import { REQUESTS_BY_CODE } from "../../messages/schemas.ts";
import type { Message } from "../../messages/types.ts";
import type { BufferBudget } from "../buffer-budget.ts";
import type { CaptureLimits } from "../capture-limits.ts";
import type { CaptureRecord, ConnectionInfo, ProblemKind, ProblemRecord } from "../capture-records.ts";
import type { ConnectionKind } from "../connection-kind.ts";
import { DirectionDecoder, type StreamFrame } from "./direction-decoder.ts";
import { SNIFF_BYTES, sniffClientStream } from "./protocol-sniff.ts";
import { RequestPairing } from "./request-pairing.ts";
import type { Carrier, FlowEvent } from "../network/tcp-flow.ts";

export interface ConversationHost {
  emit(record: CaptureRecord): void;
  /** Says what the connection is (once known), with a detail for the summary. */
  classify(kind: ConnectionKind, detail?: string): void;
  /** The client stream offset an acknowledgement number of the node's packets points at. */
  clientOffsetOfAck(ack: number): number | undefined;
  /** Records carry a copy of their frame's bytes (for an inspector). */
  readonly keepFrameBytes?: boolean;
}

type Phase = "sniffing" | "decoding" | "skipped";

export class DqliteConversation {
  private phase: Phase = "sniffing";
  private readonly sniffed: { offset: number; bytes: Uint8Array; carrier: Carrier }[] = [];
  private sniffedBytes = 0;
  private readonly heldServerEvents: FlowEvent[] = [];
  private readonly requests: DirectionDecoder;
  private responses: DirectionDecoder;
  private readonly pairing: RequestPairing;
  private readonly requestOptions: ResolvedDecodeOptions;
  private responseOptions: ResolvedDecodeOptions;
  private sawRequest = false;
  /** The last decode error, for a response frame that is not a FAILURE inside ROWS either. */
  private lastError: WireError | undefined;

  constructor(
    readonly info: ConnectionInfo,
    options: ResolvedDecodeOptions,
    private readonly limits: Readonly<CaptureLimits>,
    private readonly budget: BufferBudget,
    private readonly host: ConversationHost,
  ) {
    this.requestOptions = options;
    this.responseOptions = options;
    this.pairing = new RequestPairing(limits.maxPendingRequests);
    this.requests = this.directionDecoder("request", options);
    this.responses = this.directionDecoder("response", options);
  }

  /** Requests that got no response (counted when a later one was answered). */
  get unansweredRequests(): number {
    return this.pairing.unanswered;
  }

  private directionDecoder(side: Side, options: ResolvedDecodeOptions): DirectionDecoder {
    const sink = {
      frame: (s: Side, frame: StreamFrame) => this.frame(s, frame),
      problem: this.problem.bind(this),
      raft: () => this.skip("raft", "raft messages (the connection began before the capture)"),
    };
    return new DirectionDecoder(side, options, this.limits.maxResyncBytes, this.budget, sink);
  }

  /** The connection began before the capture: both directions start with a resync. */
  startMidStream(clientOffset: number, serverOffset: number): void {
    this.phase = "decoding";
    this.host.classify("dqlite", "began before the capture");
    this.requests.startResync(clientOffset, "mid-stream");
    this.responses.startResync(serverOffset, "mid-stream");
  }

  client(event: FlowEvent): void {
    if (this.phase === "skipped") return;
    if (this.phase === "sniffing") return this.sniff(event);
    this.route(this.requests, event);
  }

  server(event: FlowEvent): void {
    if (this.phase === "skipped") return;
    if (this.phase === "sniffing") {
      // A node speaks only when spoken to; whatever it sent first waits for the verdict.
      if (this.heldServerEvents.length < this.limits.maxOutOfOrderSegments) this.heldServerEvents.push(copyEvent(event));
      return;
    }
    this.route(this.responses, event);
  }

  private route(decoder: DirectionDecoder, event: FlowEvent): void {
    if (event.kind === "data") decoder.data(event.offset, event.bytes, event.carrier);
    else if (event.kind === "gap") {
      if (decoder === this.requests) this.pairing.clientGap(event.offset, event.length);
      decoder.gap(event.offset, event.length, event.why, event.carrier);
    } else decoder.end(event.carrier);
  }

  private sniff(event: FlowEvent): void {
    if (event.kind === "data") {
      this.sniffed.push({ offset: event.offset, bytes: event.bytes.slice(), carrier: event.carrier });
      this.sniffedBytes += event.bytes.length;
      if (this.sniffedBytes >= SNIFF_BYTES) this.decide();
      return;
    }
    if (event.kind === "gap" && this.sniffedBytes === 0) {
      // The stream's first bytes are not in the capture: find the frames after them.
      this.phase = "decoding";
      this.host.classify("dqlite", "its first bytes are not in the capture");
      this.requests.startResync(event.offset, "gap");
      this.responses.startFrames(0, false);
      this.replayServer();
      this.route(this.requests, event);
      return;
    }
    if (this.sniffedBytes === 0) return this.skip("empty", "the client sent nothing");
    // A gap or the end after fewer than 8 bytes: judge by what came.
    this.decide();
    if (this.phase === "decoding") this.route(this.requests, event);
  }

  private decide(): void {
    const first = joined(this.sniffed.map((s) => s.bytes)).subarray(0, SNIFF_BYTES);
    const verdict = sniffClientStream(first);
    if (verdict.kind === "tls") return this.skip("tls", "TLS ClientHello");
    if (verdict.kind === "other") return this.skip("other", `first bytes ${verdict.firstBytes}`);
    this.phase = "decoding";
    this.host.classify("dqlite");
    const carrier = this.sniffed[0]!.carrier;
    this.host.emit({
      kind: "handshake",
      connection: this.info,
      time: carrier.time,
      packet: carrier.packet,
      version: verdict.version,
      legacy: verdict.legacy,
      ...(this.host.keepFrameBytes ? { bytes: first.slice() } : {}),
    });
    if (verdict.legacy) this.responseOptions = { ...this.responseOptions, legacy: true };
    this.responses = this.directionDecoder("response", this.responseOptions);
    this.requests.startFrames(this.sniffed[0]!.offset, true);
    this.responses.startFrames(0, false);
    // The handshake alone first, so that the frame decoder reads it before any header.
    const all = joined(this.sniffed.map((s) => s.bytes));
    this.requests.data(this.sniffed[0]!.offset, all.subarray(0, SNIFF_BYTES), carrier);
    for (const piece of this.sniffed) {
      const from = Math.max(0, this.sniffed[0]!.offset + SNIFF_BYTES - piece.offset);
      if (from < piece.bytes.length) this.requests.data(piece.offset + from, piece.bytes.subarray(from), piece.carrier);
    }
    this.sniffed.length = 0;
    this.replayServer();
  }

  private replayServer(): void {
    const held = this.heldServerEvents.splice(0);
    for (const event of held) this.server(event);
  }

  private skip(kind: ConnectionKind, detail: string): void {
    this.phase = "skipped";
    this.host.classify(kind, detail);
    this.requests.stop();
    this.responses.stop();
    this.sniffed.length = 0;
    this.heldServerEvents.length = 0;
  }

  private frame(side: Side, frame: StreamFrame): boolean {
    if (this.phase === "skipped") return true;
    return side === "request" ? this.requestFrame(frame) : this.responseFrame(frame);
  }

  private requestFrame(frame: StreamFrame): boolean {
    const first = !this.sawRequest;
    this.sawRequest = true;
    const raft = first && frame.header.type === RequestType.Connect;
    const options = raft ? { ...this.requestOptions, allowInternal: true } : this.requestOptions;
    const decoded = this.decode("request", frame, options);
    const type = decoded?.type ?? REQUESTS_BY_CODE[frame.header.type]?.type ?? `type ${frame.header.type}`;
    const request = this.pairing.request(type, frame.offset + frame.bytes.length);
    if (decoded !== undefined) this.emitMessage("request", frame, decoded, { request });
    if (raft) {
      const connect = decoded as { id?: bigint; address?: string } | undefined;
      this.skip("raft", connect?.address === undefined ? "CONNECT" : `CONNECT from node ${connect.id} (${connect.address})`);
    }
    return decoded !== undefined;
  }

  private responseFrame(frame: StreamFrame): boolean {
    // A query that fails after some rows gets a FAILURE holding those rows: the codec reads it
    // (its layouts are declared with the others), so nothing here is special.
    const decoded = this.decode("response", frame, this.responseOptions, true);
    if (decoded === undefined) {
      this.badFrame("response", frame, this.lastError!);
      return false;
    }
    const acked = frame.carrier.ack === undefined ? undefined : this.host.clientOffsetOfAck(frame.carrier.ack);
    const answers = this.pairing.response(decoded, acked);
    this.emitMessage("response", frame, decoded, { answers });
    return true;
  }

  /** The frame's message, or undefined (the error reported unless `quiet`). */
  private decode(side: Side, frame: StreamFrame, options: ResolvedDecodeOptions, quiet = false): Message | undefined {
    try {
      return decodeBody(side, frame.header, frame.bytes, 0, options, frame.offset);
    } catch (error) {
      if (!isWireError(error)) throw error;
      this.lastError = error;
      if (!quiet) this.badFrame(side, frame, error);
      return undefined;
    }
  }

  private badFrame(side: Side, frame: StreamFrame, error: WireError): void {
    this.problem(side, "bad-frame", error, "continues", frame.carrier);
  }

  private emitMessage(
    direction: Side,
    frame: StreamFrame,
    message: Message,
    extra: { request?: number; answers?: ReturnType<RequestPairing["response"]> },
  ): void {
    this.host.emit({
      kind: "message",
      connection: this.info,
      direction,
      time: frame.carrier.time,
      packet: frame.carrier.packet,
      streamOffset: frame.offset,
      message,
      ...extra,
      ...(this.host.keepFrameBytes ? { bytes: frame.bytes.slice() } : {}),
    });
  }

  private problem(side: Side, problem: ProblemKind, error: WireError, then: ProblemRecord["then"], carrier: Carrier | undefined): void {
    const record: ProblemRecord = { kind: "problem", connection: this.info, direction: side, problem, error, then };
    if (carrier !== undefined) {
      record.time = carrier.time;
      record.packet = carrier.packet;
    }
    this.host.emit(record);
  }
}

function copyEvent(event: FlowEvent): FlowEvent {
  return event.kind === "data" ? { ...event, bytes: event.bytes.slice() } : event;
}

function joined(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
