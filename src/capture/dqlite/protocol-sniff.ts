// What the first bytes a client sends say about the connection: a dqlite handshake (read by
// src/wire/handshake.ts), a TLS ClientHello, or something else.

import { isWireError } from "../../errors.ts";
import type { ResolvedDecodeOptions } from "../../messages/codec.ts";
import { checkFrameAt } from "./frame-resync.ts";
import { HANDSHAKE_BYTES, isLegacyVersion, readHandshake } from "../../wire/handshake.ts";

/** TLS record: content type 22 (handshake), then the record version 3.x. */
const TLS_HANDSHAKE_RECORD = 0x16;
const TLS_MAJOR_VERSION = 0x03;
const TLS_MAX_MINOR_VERSION = 0x04;

export const SNIFF_BYTES = HANDSHAKE_BYTES;

export type Sniffed = { kind: "dqlite"; version: bigint; legacy: boolean } | { kind: "tls" } | { kind: "other"; firstBytes: string };

/** Classifies a client stream from its first SNIFF_BYTES bytes (fewer only when the stream ended). */
export function sniffClientStream(first: Uint8Array): Sniffed {
  if (first.length >= 3 && first[0] === TLS_HANDSHAKE_RECORD && first[1] === TLS_MAJOR_VERSION && first[2]! <= TLS_MAX_MINOR_VERSION)
    return { kind: "tls" };
  try {
    const version = readHandshake(first);
    if (version !== undefined) return { kind: "dqlite", version, legacy: isLegacyVersion(version) };
  } catch (error) {
    if (!isWireError(error)) throw error;
  }
  return { kind: "other", firstBytes: [...first].map((b) => b.toString(16).padStart(2, "0")).join("") };
}

/**
 * Whether the first bytes seen of a connection whose SYN was not captured are a client's start:
 * the handshake, then (if more bytes came with it) a request frame that decodes. Raft messages
 * also begin with the word 1, so the handshake alone does not tell, unless it came alone.
 */
export function looksLikeClientStart(bytes: Uint8Array, options: ResolvedDecodeOptions): boolean {
  if (bytes.length < SNIFF_BYTES || sniffClientStream(bytes.subarray(0, SNIFF_BYTES)).kind !== "dqlite") return false;
  return bytes.length === SNIFF_BYTES || checkFrameAt(bytes, SNIFF_BYTES, bytes.length, "request", options) !== "invalid";
}
