// One direction of a dqlite conversation, from stream bytes to whole frames. It frames with the
// library's FrameDecoder while the stream is in step, and switches to a resync (frame-resync.ts)
// when it is not: after a gap, after a header that cannot be right, or when the stream began
// before the capture. What happens to the stream in each case:
//
// - a frame whose header is valid (known type, schema, size within the cap) is handed on whole,
//   even if its body turns out not to decode: the header gave its size, so the next frame is read;
// - a header that is not valid: framing is lost, a resync starts at the next byte;
// - a gap: the partial frame before it is lost, a resync starts after the gap;
// - a resync that finds no proven boundary within its window: the direction is stopped;
// - the end of the stream inside a frame: reported as incomplete.

import { DecodeError, type WireError } from "../../errors.ts";
import type { ResolvedDecodeOptions } from "../../messages/codec.ts";
import type { Side } from "../../messages/codes.ts";
import { FrameDecoder } from "../../stream/frame-decoder.ts";
import { WORD_BYTES } from "../../wire/constants.ts";
import type { FrameHeader } from "../../wire/header.ts";
import type { BufferBudget } from "../buffer-budget.ts";
import { CarrierIndex } from "./carrier-index.ts";
import type { ProblemKind, ProblemRecord } from "../capture-records.ts";
import { FrameResync, checkFrameAt, checkHeader } from "./frame-resync.ts";
import { checkRaftMessageAt } from "./raft-message.ts";
import type { Carrier, GapCause } from "../network/tcp-flow.ts";

const GAP_CAUSE_TEXT: Record<GapCause, string> = {
  lost: "lost: not in the capture",
  snap: "cut by the snap length",
  dropped: "dropped: the decoder fell behind the traffic",
};

export interface StreamFrame {
  header: FrameHeader;
  /** Header and body (a view, valid during the call). */
  bytes: Uint8Array;
  /** Position of the frame's first byte in the direction's stream. */
  offset: number;
  carrier: Carrier;
}

export interface DirectionSink {
  /** A whole frame with a valid header; returns false when its body does not decode. */
  frame(side: Side, frame: StreamFrame): boolean;
  /** The bytes held while looking for a dqlite frame boundary are raft's messages. */
  raft(side: Side): void;
  problem(side: Side, problem: ProblemKind, error: WireError, then: ProblemRecord["then"], carrier: Carrier | undefined): void;
}

/** Why a resync started: it decides how its success is reported. */
export type ResyncReason = "mid-stream" | "gap" | "bad-header";

type State =
  | { mode: "frames"; decoder: FrameDecoder; base: number }
  | { mode: "resync"; resync: FrameResync; base: number; reason: ResyncReason }
  | { mode: "stopped" };

/**
 * What a FrameDecoder holds before any byte arrives (its first buffer), counted in the budget
 * so that many open connections cannot hold more than the cap between them.
 */
const FRAME_DECODER_BYTES = 64 * 1024;

/** Two frames in a row that do not decode: the framing itself is taken to be wrong. */
const MAX_BAD_FRAMES_IN_A_ROW = 2;

export class DirectionDecoder {
  private state: State = { mode: "stopped" };
  private readonly carriers = new CarrierIndex();
  /** Bytes of the budget this direction holds now. */
  private reserved = 0;
  private lastCarrier: Carrier | undefined;
  private badFramesInARow = 0;
  /** What the frame decoder's buffer is taken to hold, at least (see FRAME_DECODER_BYTES). */
  private capacity = 0;
  /** On a connection that began before the capture: the same bytes, read as raft's messages. */
  private raftWatch: FrameResync | undefined;
  /** Stream offset of a known frame boundary (undefined until one is known): all are a multiple of 8 from it. */
  private boundary: number | undefined;

  constructor(
    readonly side: Side,
    private readonly options: ResolvedDecodeOptions,
    private readonly maxResyncBytes: number,
    private readonly budget: BufferBudget,
    private readonly sink: DirectionSink,
  ) {}

  get stopped(): boolean {
    return this.state.mode === "stopped";
  }

  /** Frames from stream offset `offset`; `handshake`: the 8-byte version comes first. */
  startFrames(offset: number, handshake: boolean): FrameDecoder {
    const decoder = new FrameDecoder({ side: this.side, handshake, ...this.options });
    this.state = { mode: "frames", decoder, base: offset };
    this.boundary = offset;
    this.capacity = FRAME_DECODER_BYTES;
    this.setHeld(FRAME_DECODER_BYTES);
    return decoder;
  }

  /** Looks for a proven frame boundary from stream offset `offset` on. */
  startResync(offset: number, reason: ResyncReason): void {
    this.setHeld(0);
    const check = (bytes: Uint8Array, at: number, end: number) => checkFrameAt(bytes, at, end, this.side, this.options);
    const aligned = this.boundary === undefined ? undefined : (((this.boundary - offset) % WORD_BYTES) + WORD_BYTES) % WORD_BYTES;
    this.state = { mode: "resync", resync: new FrameResync(check, this.maxResyncBytes, aligned), base: offset, reason };
    this.raftWatch = reason === "mid-stream" ? new FrameResync(checkRaftMessageAt, this.maxResyncBytes) : undefined;
  }

  /** No more decoding in this direction (the connection is skipped or given up). */
  stop(): void {
    this.raftWatch = undefined;
    this.setHeld(0);
    this.carriers.clear();
    this.state = { mode: "stopped" };
  }

  data(offset: number, bytes: Uint8Array, carrier: Carrier): void {
    this.lastCarrier = carrier;
    if (this.state.mode === "stopped") return;
    this.carriers.add(offset, carrier);
    if (this.state.mode === "frames") {
      this.state.decoder.push(bytes);
      this.drainFrames();
    } else {
      this.feedResync(bytes, false);
    }
  }

  gap(offset: number, length: number, why: GapCause, carrier: Carrier): void {
    if (this.state.mode === "stopped") return;
    const partial = this.state.mode === "frames" ? this.state.decoder.bufferedBytes : 0;
    const cause = GAP_CAUSE_TEXT[why];
    const lostFrame = partial > 0 ? `; the partial frame of ${partial} bytes before it is dropped` : "";
    this.problem(
      "gap",
      "TRUNCATED",
      `${this.side} stream: ${length} bytes at offset ${offset} are ${cause}${lostFrame}; looking for the next frame boundary`,
      offset,
      "resyncing",
      carrier,
    );
    this.carriers.clear();
    this.startResync(offset + length, "gap");
  }

  end(carrier: Carrier | undefined): void {
    const at = carrier ?? this.lastCarrier;
    if (this.state.mode === "frames") {
      const left = this.state.decoder.bufferedBytes;
      if (left > 0) {
        const offset = this.state.base + this.state.decoder.pendingOffset;
        this.problem(
          "incomplete",
          "TRUNCATED",
          `${this.side} stream: ended inside a frame, ${left} bytes at offset ${offset} are not a whole frame`,
          offset,
          "stopped",
          at,
        );
      }
    } else if (this.state.mode === "resync") {
      this.feedResync(new Uint8Array(0), true);
      if (this.state.mode === "resync" && this.state.resync.heldBytes > 0)
        this.giveUp(`hold no provable frame boundary before the stream ended`, "BAD_SEQUENCE");
    }
    this.stop();
  }

  /** No dqlite frames in the bytes held: raft's messages, or undecodable from here. */
  private giveUp(why: string, code: WireError["code"]): void {
    if (this.state.mode !== "resync") return;
    const { base, resync } = this.state;
    let raft = this.raftWatch;
    if (raft === undefined) {
      raft = new FrameResync(checkRaftMessageAt, resync.maxBytes);
      raft.push(resync.bytesFrom(0));
    }
    if (raft.prove(true) !== undefined) {
      this.stop();
      this.sink.raft(this.side);
      return;
    }
    this.problem(
      "undecodable",
      code,
      `${this.side} stream: the ${resync.heldBytes} bytes from offset ${base} ${why}; not decoded further`,
      base,
      "stopped",
      this.lastCarrier,
    );
    this.stop();
  }

  private drainFrames(): void {
    while (this.state.mode === "frames") {
      const { decoder, base } = this.state;
      const pending = decoder.pending();
      let frame;
      try {
        frame = decoder.nextFrame();
      } catch (error) {
        // A size beyond the cap: the header cannot be right.
        this.lostFraming(base + decoder.pendingOffset, pending, error as WireError);
        return;
      }
      if (frame === undefined) break;
      const offset = base + frame.streamOffset;
      try {
        checkHeader(this.side, frame.header, offset, this.options);
      } catch (error) {
        this.lostFraming(offset, pending, error as WireError);
        return;
      }
      const decoded = this.sink.frame(this.side, {
        header: frame.header,
        bytes: frame.bytes,
        offset,
        carrier: this.carriers.at(offset) ?? this.lastCarrier!,
      });
      this.badFramesInARow = decoded ? 0 : this.badFramesInARow + 1;
      if (this.badFramesInARow >= MAX_BAD_FRAMES_IN_A_ROW) {
        this.badFramesInARow = 0;
        const error = new DecodeError("BAD_SEQUENCE", `${MAX_BAD_FRAMES_IN_A_ROW} frames in a row do not decode at offset ${offset}`, {
          offset,
        });
        this.lostFraming(offset, pending, error);
        return;
      }
    }
    if (this.state.mode === "frames") {
      // The decoder's buffer grows to fit a frame (by doubling) and keeps that size.
      while (this.capacity < this.state.decoder.bufferedBytes) this.capacity *= 2;
      this.setHeld(this.capacity);
    }
  }

  /** The header at `offset` is invalid: resync from the byte after it, over the bytes held. */
  private lostFraming(offset: number, held: Uint8Array, error: WireError): void {
    this.problem(
      "bad-header",
      error.code,
      `${this.side} stream: ${error.message}; the framing is lost, looking for the next frame boundary`,
      offset,
      "resyncing",
      this.carriers.at(offset),
    );
    const rest = held.slice(1);
    this.startResync(offset + 1, "bad-header");
    this.feedResync(rest, false);
  }

  private feedResync(bytes: Uint8Array, ended: boolean): void {
    if (this.state.mode !== "resync") return;
    const { resync, base } = this.state;
    if (!resync.push(bytes)) return this.giveUp(`hold no provable frame boundary (the resync window is ${resync.maxBytes} bytes)`, "LIMIT");
    if (this.raftWatch?.push(bytes) && this.raftWatch.prove(ended) !== undefined) {
      // Raft's messages chain where dqlite frames were looked for: node-to-node traffic.
      this.stop();
      this.sink.raft(this.side);
      return;
    }
    this.setHeld(resync.heldBytes + (this.raftWatch?.heldBytes ?? 0));
    if (this.state.mode !== "resync") return;
    const found = resync.prove(ended);
    if (found === undefined) return;
    const held = resync.bytesFrom(found).slice();
    const { reason } = this.state;
    const what = reason === "mid-stream" ? "the connection began before the capture; decoding starts" : "decoding resumes";
    this.problem(
      reason === "mid-stream" ? "mid-stream" : "resynced",
      "TRUNCATED",
      `${this.side} stream: ${what} at offset ${base + found}, the ${found} bytes before it are skipped`,
      base + found,
      "continues",
      this.carriers.at(base + found),
    );
    this.raftWatch = undefined;
    const decoder = this.startFrames(base + found, false);
    if (held.length > 0) {
      decoder.push(held);
      this.drainFrames();
    }
  }

  private setHeld(bytes: number): void {
    if (bytes > this.reserved) {
      if (!this.budget.tryReserve(bytes - this.reserved)) {
        this.problem(
          "dropped",
          "LIMIT",
          `${this.side} stream: the capture decoder's buffer cap of ${this.budget.maxBytes} bytes is reached; this direction is not decoded further`,
          -1,
          "stopped",
          this.lastCarrier,
        );
        this.budget.release(this.reserved);
        this.reserved = 0;
        this.carriers.clear();
        this.state = { mode: "stopped" };
        return;
      }
    } else {
      this.budget.release(this.reserved - bytes);
    }
    this.reserved = bytes;
  }

  private problem(
    kind: ProblemKind,
    code: WireError["code"],
    message: string,
    offset: number,
    then: ProblemRecord["then"],
    carrier: Carrier | undefined,
  ): void {
    this.sink.problem(this.side, kind, new DecodeError(code, message, { offset, field: `${this.side} stream` }), then, carrier);
  }
}
