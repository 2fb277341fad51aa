// The 8 bytes a client sends first on a new connection (protocol.md §2): the protocol version as
// uint64 LE. Nothing is sent back for it. Every reader and writer of the handshake goes through
// this module, so its layout has one home.

import { HandshakeError } from "../errors.ts";
import { HANDSHAKE_BYTES, PROTOCOL_VERSION, PROTOCOL_VERSION_LEGACY } from "./constants.ts";

export { HANDSHAKE_BYTES, PROTOCOL_VERSION, PROTOCOL_VERSION_LEGACY };

/** The handshake bytes of `version` (v1 by default; the legacy version for pre-1.0 servers). */
export function encodeHandshake(version: bigint = PROTOCOL_VERSION): Uint8Array {
  const bytes = new Uint8Array(HANDSHAKE_BYTES);
  new DataView(bytes.buffer).setBigUint64(0, version, true);
  return bytes;
}

/** The handshake of a v1 or a legacy client. */
export function handshakeFor(legacy: boolean): Uint8Array {
  return encodeHandshake(legacy ? PROTOCOL_VERSION_LEGACY : PROTOCOL_VERSION);
}

/**
 * The protocol version at `bytes[at]`, or undefined when fewer than 8 bytes are there. A version
 * that is neither 1 nor the legacy one is a HandshakeError; nothing is consumed either way (the
 * caller advances by HANDSHAKE_BYTES once it has the version). `base` is the stream offset of
 * `bytes[0]`, for the error.
 */
export function readHandshake(bytes: Uint8Array, at = 0, base = 0): bigint | undefined {
  if (bytes.length - at < HANDSHAKE_BYTES) return undefined;
  const version = new DataView(bytes.buffer, bytes.byteOffset + at, HANDSHAKE_BYTES).getBigUint64(0, true);
  if (version !== PROTOCOL_VERSION && version !== PROTOCOL_VERSION_LEGACY) {
    throw new HandshakeError(
      "BAD_HANDSHAKE",
      `handshake: unknown protocol version 0x${version.toString(16).padStart(16, "0")} at offset ${base + at}`,
      { offset: base + at, field: "handshake" },
    );
  }
  return version;
}

/** True for the legacy (pre-1.0) version, whose LEADER response carries the address only. */
export function isLegacyVersion(version: bigint): boolean {
  return version === PROTOCOL_VERSION_LEGACY;
}
