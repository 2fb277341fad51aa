/// <reference types="node" />
// The gate between a browser and a dqlite node: bytes from the client go in, and only the
// handshake and whole, valid request frames of an allowed type come out. A frame is released
// after its last byte arrived and its body decoded, so a malformed, oversized or forbidden frame
// never reaches the node, not even in part. Requests known to take a dqlite 1.11 node down are
// refused as well (node-hazards.ts).

import { isWireError } from "../errors.ts";
import { decodeRequest } from "../messages/codec.ts";
import { REQUESTS_BY_CODE } from "../messages/schemas.ts";
import { FrameDecoder } from "../stream/frame-decoder.ts";
import { BridgeCloseCode } from "../transport/bridge-protocol.ts";
import { encodeHandshake } from "../wire/handshake.ts";
import { NodeHazardGuard } from "./node-hazards.ts";

/** The gate refused the client's bytes; the connection must close with `code`. */
export class GateRefusal extends Error {
  override name = "GateRefusal";
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(reason);
  }
}

export interface FrameGateOptions {
  maxFrameBytes: number;
  allowAdmin: boolean;
  /** Forward QUERY_SQL with RETURNING (the target reads it). */
  returningQueries?: boolean;
}

export class RequestFrameGate {
  private readonly decoder: FrameDecoder;
  private readonly limits: { maxMessageBytes: number };
  private readonly allowAdmin: boolean;
  private readonly hazards: NodeHazardGuard;
  private handshakeReleased = false;
  /** Request frames released so far. */
  frames = 0;

  constructor(options: FrameGateOptions) {
    this.limits = { maxMessageBytes: options.maxFrameBytes };
    this.allowAdmin = options.allowAdmin;
    this.hazards = new NodeHazardGuard(options.returningQueries === true);
    this.decoder = new FrameDecoder({ side: "request", limits: this.limits });
  }

  /** True while the handshake or a frame is started but not complete. */
  get midFrame(): boolean {
    return this.decoder.bufferedBytes > 0;
  }

  /** The node answered a PREPARE with statement `id` (seen in its STMT response). */
  statementPrepared(id: number): void {
    this.hazards.statementPrepared(id);
  }

  /** Bytes held back because their frame is not complete yet. */
  get heldBytes(): number {
    return this.decoder.bufferedBytes;
  }

  /**
   * Takes the next bytes from the client. `forward` is what may go to the node now (possibly
   * nothing), as one buffer of its own: the handshake and every whole, valid frame, in order.
   * `refusal` is set when the bytes after those cannot be forwarded; the connection must close.
   */
  push(chunk: Uint8Array): { forward: Buffer | undefined; refusal: GateRefusal | undefined } {
    const released: Uint8Array[] = [];
    let refusal: GateRefusal | undefined;
    try {
      this.decoder.push(chunk);
      for (;;) {
        const frame = this.decoder.nextFrame();
        this.releaseHandshake(released);
        if (frame === undefined) break;
        this.checkType(frame.header.type);
        // Decoding the body is the validation. bigint mode: any 64-bit integer is a valid
        // parameter, not only those a number holds.
        const request = decodeRequest(frame.bytes, { limits: this.limits, intMode: "bigint" });
        const hazard = this.hazards.check(request);
        if (hazard !== undefined) throw new GateRefusal(BridgeCloseCode.ForbiddenRequest, hazard);
        this.hazards.forwarded(request);
        released.push(frame.bytes);
        this.frames++;
      }
      this.checkPendingType();
    } catch (error) {
      refusal = toRefusal(error);
      // A handshake read in the same call as the bad frame still goes first (nothing precedes it).
      this.releaseHandshake(released);
    }
    // The frames are views of the decoder's buffer, valid until the next push: copy them out.
    return { forward: released.length === 0 ? undefined : Buffer.concat(released), refusal };
  }

  private releaseHandshake(released: Uint8Array[]): void {
    if (this.handshakeReleased) return;
    const version = this.decoder.protocolVersion;
    if (version === undefined) return;
    // Either version the decoder accepts (current or legacy) goes to the node as the client sent it.
    released.push(encodeHandshake(version));
    this.handshakeReleased = true;
  }

  /** Refuses a forbidden frame as soon as its header is in, without waiting for its body. */
  private checkPendingType(): void {
    // The decoder already checked this header against the frame cap; only its body is missing.
    const header = this.decoder.nextHeader();
    if (header !== undefined) this.checkType(header.type);
  }

  /** Refuses by the request's class (declared in schemas.ts): internal always, admin without allowAdmin. */
  private checkType(type: number): void {
    const declaration = REQUESTS_BY_CODE[type];
    if (declaration?.requestClass === "internal") {
      throw new GateRefusal(BridgeCloseCode.ForbiddenRequest, `${declaration.type} is raft-internal and never forwarded`);
    }
    if (declaration?.requestClass === "admin" && !this.allowAdmin) {
      throw new GateRefusal(BridgeCloseCode.ForbiddenRequest, `${declaration.type} refused: the bridge was started without allowAdmin`);
    }
  }
}

function toRefusal(error: unknown): GateRefusal {
  if (error instanceof GateRefusal) return error;
  if (isWireError(error)) {
    // The PoisonedError wrapper adds nothing for the client: report the original fault.
    const original = error.code === "POISONED" && isWireError(error.cause) ? error.cause : error;
    if (original.code === "LIMIT" && original.field === "header.size") {
      return new GateRefusal(BridgeCloseCode.FrameTooLarge, original.message);
    }
    return new GateRefusal(BridgeCloseCode.MalformedFrame, `${original.code}: ${original.message}`);
  }
  return new GateRefusal(BridgeCloseCode.MalformedFrame, `unreadable input: ${String(error)}`);
}
