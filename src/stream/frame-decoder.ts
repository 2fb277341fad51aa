// The incremental frame decoder: feed it bytes split anywhere (one byte at a time works) and it
// yields whole messages. It buffers at most one partial frame plus the chunk being pushed.
//
// Stream state after an error:
// - HandshakeError: nothing is consumed; the 8 bytes stay buffered and every later call raises
//   the same error (the peer is not speaking this protocol).
// - Any other error (bad header, oversized frame, bad body): the frame's bytes are consumed or
//   cannot be skipped safely, so the decoder is poisoned: every later call raises PoisonedError
//   whose `cause` is the original error. The connection should be closed.
// - End of input in the middle of a frame (`end()`): DecodeError TRUNCATED, then poisoned.

import { DecodeError, PoisonedError, WireError, isWireError } from "../errors.ts";
import { type DecodeOptions, type ResolvedDecodeOptions, decodeBody, resolveDecodeOptions } from "../messages/codec.ts";
import type { Side } from "../messages/codes.ts";
import type { Message } from "../messages/types.ts";
import { HANDSHAKE_BYTES, HEADER_BYTES } from "../wire/constants.ts";
import { isLegacyVersion, readHandshake } from "../wire/handshake.ts";
import { type FrameHeader, readHeader } from "../wire/header.ts";

export interface FrameDecoderOptions extends DecodeOptions {
  /** Which way the frames travel: a server decodes requests, a client decodes responses. */
  side: Side;
  /** Expect the 8-byte protocol version first (default: true for the request side). */
  handshake?: boolean;
}

/** A whole frame, still as bytes. `bytes` is a view valid until the next `push`. */
export interface RawFrame {
  header: FrameHeader;
  /** Header and body. */
  bytes: Uint8Array;
  /** Position of the frame's first byte in the stream. */
  streamOffset: number;
}

const INITIAL_BUFFER_BYTES = 64 * 1024;

export class FrameDecoder {
  readonly side: Side;
  private readonly options: ResolvedDecodeOptions;
  private buffer = new Uint8Array(INITIAL_BUFFER_BYTES);
  private head = 0;
  private tail = 0;
  /** Stream position of `buffer[head]`, for error offsets. */
  private streamOffset = 0;
  private awaitingHandshake: boolean;
  private failure: WireError | undefined;
  private version: bigint | undefined;

  constructor(options: FrameDecoderOptions) {
    this.side = options.side;
    this.options = resolveDecodeOptions(options);
    this.awaitingHandshake = options.handshake ?? options.side === "request";
  }

  /** The protocol version read from the handshake, once it has been read. */
  get protocolVersion(): bigint | undefined {
    return this.version;
  }

  /** True when the peer used the legacy (pre-1.0) handshake, or the decoder was built legacy. */
  get legacy(): boolean {
    return this.options.legacy;
  }

  /** Bytes buffered and not yet decoded. */
  get bufferedBytes(): number {
    return this.tail - this.head;
  }

  /** The error that poisoned this decoder, if any. */
  get poisonedBy(): WireError | undefined {
    return this.failure;
  }

  /** Appends bytes from the peer. The chunk is copied; the caller may reuse it. */
  push(chunk: Uint8Array): void {
    this.throwIfPoisoned();
    if (chunk.length === 0) return;
    const pending = this.tail - this.head;
    if (pending > this.options.limits.maxMessageBytes) {
      // Only a caller that stopped calling next() gets here; refusing keeps the buffer bounded.
      throw new WireError("BAD_STATE", `push: ${pending} bytes are buffered undecoded; call next() before pushing more`);
    }
    if (this.tail + chunk.length > this.buffer.length) this.makeRoom(chunk.length);
    this.buffer.set(chunk, this.tail);
    this.tail += chunk.length;
  }

  private makeRoom(extra: number): void {
    const pending = this.tail - this.head;
    const needed = pending + extra;
    if (needed <= this.buffer.length && this.head > 0) {
      this.buffer.copyWithin(0, this.head, this.tail);
    } else {
      let size = this.buffer.length;
      while (size < needed) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.buffer.subarray(this.head, this.tail));
      this.buffer = grown;
    }
    this.head = 0;
    this.tail = pending;
  }

  /** The next whole message, or undefined when more bytes are needed. */
  next(): Message | undefined {
    const frame = this.nextFrame();
    if (frame === undefined) return undefined;
    // The frame is a view of this.buffer; error offsets count from the start of the stream.
    const frameStart = frame.bytes.byteOffset;
    try {
      return decodeBody(this.side, frame.header, this.buffer, frameStart, this.options, frame.streamOffset - frameStart);
    } catch (error) {
      throw this.poison(error);
    }
  }

  /**
   * The next whole frame without decoding its body, or undefined when more bytes are needed.
   * The header is checked (size cap) before the body is waited for.
   */
  nextFrame(): RawFrame | undefined {
    this.throwIfPoisoned();
    if (this.awaitingHandshake && !this.readHandshake()) return undefined;
    const pending = this.tail - this.head;
    if (pending < HEADER_BYTES) return undefined;
    let header: FrameHeader;
    try {
      header = readHeader(this.buffer, this.head, this.options.limits.maxMessageBytes, this.streamOffset - this.head);
    } catch (error) {
      throw this.poison(error);
    }
    if (pending < header.frameBytes) return undefined;
    const frame: RawFrame = {
      header,
      bytes: this.buffer.subarray(this.head, this.head + header.frameBytes),
      streamOffset: this.streamOffset,
    };
    this.consumeBytes(header.frameBytes);
    return frame;
  }

  /**
   * The buffered, undecoded bytes as a view (valid until the next `push`). Bulk decoders (the row
   * engines) read whole frames from here and report what they used with `consume`.
   */
  pending(): Uint8Array {
    this.throwIfPoisoned();
    return this.buffer.subarray(this.head, this.tail);
  }

  /** Stream position of the first pending byte. */
  get pendingOffset(): number {
    return this.streamOffset;
  }

  /** Marks `byteCount` pending bytes as decoded elsewhere. They must be whole frames. */
  consume(byteCount: number): void {
    this.throwIfPoisoned();
    if (!Number.isInteger(byteCount) || byteCount < 0 || byteCount > this.tail - this.head) {
      throw new WireError("BAD_STATE", `consume: ${byteCount} is not within the ${this.tail - this.head} pending bytes`);
    }
    this.consumeBytes(byteCount);
  }

  /** Records an error found by a bulk decoder in pending bytes: the stream is lost from here. */
  fail(error: unknown): WireError {
    return this.poison(error);
  }

  /**
   * Declares the end of the input. Throws DecodeError TRUNCATED (and poisons) if a partial
   * frame or handshake is left over.
   */
  end(): void {
    this.throwIfPoisoned();
    const pending = this.tail - this.head;
    if (pending > 0) {
      throw this.poison(
        new DecodeError("TRUNCATED", `stream: ended inside a frame with ${pending} bytes pending at offset ${this.streamOffset}`, {
          offset: this.streamOffset,
          field: "stream",
        }),
      );
    }
  }

  private consumeBytes(count: number): void {
    this.head += count;
    this.streamOffset += count;
    if (this.head === this.tail) {
      this.head = 0;
      this.tail = 0;
    }
  }

  private readHandshake(): boolean {
    // Peek, then commit: on a bad version the bytes stay, so every later call reports the same problem.
    const version = readHandshake(this.buffer.subarray(this.head, this.tail), 0, this.streamOffset);
    if (version === undefined) return false;
    this.version = version;
    if (isLegacyVersion(version)) this.options.legacy = true;
    this.awaitingHandshake = false;
    this.consumeBytes(HANDSHAKE_BYTES);
    return true;
  }

  private poison(error: unknown): WireError {
    const wireError = isWireError(error)
      ? error
      : new DecodeError("BAD_LENGTH", `stream: ${String(error)}`, { offset: this.streamOffset, cause: error });
    this.failure ??= wireError;
    this.head = 0;
    this.tail = 0;
    return wireError;
  }

  private throwIfPoisoned(): void {
    if (this.failure !== undefined) {
      throw new PoisonedError(
        "POISONED",
        `decoder: poisoned by an earlier ${this.failure.name} (${this.failure.code}): ${this.failure.message}`,
        { offset: this.failure.offset, cause: this.failure },
      );
    }
  }
}
