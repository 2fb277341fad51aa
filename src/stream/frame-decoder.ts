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
import { HANDSHAKE_BYTES } from "../wire/constants.ts";
import { FrameScanner, type ScannedFrame } from "../wire/frame-scanner.ts";
import { isLegacyVersion, readHandshake } from "../wire/handshake.ts";
import type { FrameHeader } from "../wire/header.ts";

export interface FrameDecoderOptions extends DecodeOptions {
  /** Which way the frames travel: a server decodes requests, a client decodes responses. */
  side: Side;
  /** Expect the 8-byte protocol version first (default: true for the request side). */
  handshake?: boolean;
}

/** A whole frame, still as bytes. `bytes` is a view valid until the next `push`. */
export interface RawFrame extends ScannedFrame {
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
  /** The frames, found in a copy of the pushed bytes (src/wire/frame-scanner.ts). */
  private readonly scanner: FrameScanner;
  private awaitingHandshake: boolean;
  private failure: WireError | undefined;
  private version: bigint | undefined;

  constructor(options: FrameDecoderOptions) {
    this.side = options.side;
    this.options = resolveDecodeOptions(options);
    this.awaitingHandshake = options.handshake ?? options.side === "request";
    this.scanner = new FrameScanner({
      input: "copy",
      maxMessageBytes: this.options.limits.maxMessageBytes,
      initialBytes: INITIAL_BUFFER_BYTES,
    });
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
    return this.scanner.buffered;
  }

  /** The error that poisoned this decoder, if any. */
  get poisonedBy(): WireError | undefined {
    return this.failure;
  }

  /** Appends bytes from the peer. The chunk is copied; the caller may reuse it. */
  push(chunk: Uint8Array): void {
    this.throwIfPoisoned();
    if (chunk.length === 0) return;
    const pending = this.scanner.buffered;
    if (pending > this.options.limits.maxMessageBytes) {
      // Only a caller that stopped calling next() gets here; refusing keeps the buffer bounded.
      throw new WireError("BAD_STATE", `push: ${pending} bytes are buffered undecoded; call next() before pushing more`);
    }
    this.scanner.push(chunk);
  }

  /** The next whole message, or undefined when more bytes are needed. */
  next(): Message | undefined {
    const frame = this.nextFrame();
    if (frame === undefined) return undefined;
    // Error offsets count from the start of the stream.
    try {
      return decodeBody(this.side, frame.header, frame.bytes, 0, this.options, frame.streamOffset);
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
    try {
      return this.scanner.next();
    } catch (error) {
      throw this.poison(error);
    }
  }

  /**
   * The header of the next frame once its 8 bytes are buffered (checked against the frame cap),
   * whether or not its body is; undefined before that, or while the handshake is awaited.
   */
  nextHeader(): FrameHeader | undefined {
    this.throwIfPoisoned();
    if (this.awaitingHandshake) return undefined;
    try {
      return this.scanner.header();
    } catch (error) {
      throw this.poison(error);
    }
  }

  /**
   * The buffered, undecoded bytes as a view (valid until the next `push`). Bulk decoders (the row
   * engines) read whole frames from here and report what they used with `consume`.
   */
  pending(): Uint8Array {
    this.throwIfPoisoned();
    return this.scanner.pending();
  }

  /** Stream position of the first pending byte. */
  get pendingOffset(): number {
    return this.scanner.offset;
  }

  /** Marks `byteCount` pending bytes as decoded elsewhere. They must be whole frames. */
  consume(byteCount: number): void {
    this.throwIfPoisoned();
    const pending = this.scanner.buffered;
    if (!Number.isInteger(byteCount) || byteCount < 0 || byteCount > pending) {
      throw new WireError("BAD_STATE", `consume: ${byteCount} is not within the ${pending} pending bytes`);
    }
    this.scanner.skip(byteCount);
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
    const pending = this.scanner.buffered;
    if (pending > 0) {
      const offset = this.scanner.offset;
      throw this.poison(
        new DecodeError("TRUNCATED", `stream: ended inside a frame with ${pending} bytes pending at offset ${offset}`, {
          offset,
          field: "stream",
        }),
      );
    }
  }

  private readHandshake(): boolean {
    // Peek, then commit: on a bad version the bytes stay, so every later call reports the same problem.
    const version = readHandshake(this.scanner.pending(), 0, this.scanner.offset);
    if (version === undefined) return false;
    this.version = version;
    if (isLegacyVersion(version)) this.options.legacy = true;
    this.awaitingHandshake = false;
    this.scanner.skip(HANDSHAKE_BYTES);
    return true;
  }

  private poison(error: unknown): WireError {
    const wireError = isWireError(error)
      ? error
      : new DecodeError("BAD_LENGTH", `stream: ${String(error)}`, { offset: this.scanner.offset, cause: error });
    this.failure ??= wireError;
    this.scanner.clear();
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
