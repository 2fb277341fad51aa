// What the capture decoder reports: each dqlite message with its connection, direction, capture
// time and (for responses) the request it answers; the handshake; and problems per connection
// (gaps, a start that was not captured, frames that do not decode, a stream given up on). A
// problem is a record like any other: it never stops the decoding of the rest of the capture.

import type { WireError } from "../errors.ts";
import type { Side } from "../messages/codes.ts";
import type { Message } from "../messages/types.ts";
import type { CaptureTime } from "./files/capture-time.ts";

export interface ConnectionInfo {
  /** Short id, in the order connections first appear in the capture: "c1", "c2"… */
  id: string;
  /** "address:port" of the side that opened the connection (or sent the handshake). */
  client: string;
  /** "address:port" of the dqlite node. */
  server: string;
}

/** Where a record sits in the capture: the packet that carried its first byte. */
export interface CapturePlace {
  time: CaptureTime;
  /** Packet number in the file (1-based). */
  packet: number;
}

export interface HandshakeRecord extends CapturePlace {
  kind: "handshake";
  connection: ConnectionInfo;
  version: bigint;
  legacy: boolean;
  /** The 8 bytes, with the `keepFrameBytes` option. */
  bytes?: Uint8Array;
}

export interface Answered {
  /** Number of the request in its connection (1-based, the handshake not counted). */
  request: number;
  type: string;
}

export interface MessageRecord extends CapturePlace {
  kind: "message";
  connection: ConnectionInfo;
  direction: Side;
  /** Position of the frame in its direction's byte stream (after the handshake for requests). */
  streamOffset: number;
  message: Message;
  /** Requests: their number in the connection. */
  request?: number;
  /** Responses: the request they answer, or null when that request is not in the capture. */
  answers?: Answered | null;
  /** The frame (header and body, a copy), with the `keepFrameBytes` option. */
  bytes?: Uint8Array;
}

export type ProblemKind =
  /** The connection began before the capture: decoding starts at a proven frame boundary. */
  | "mid-stream"
  /** Bytes of the stream are not in the capture (lost segments, snap length). */
  | "gap"
  /** Decoding found its place again after a gap or a mid-stream start; the bytes before were skipped. */
  | "resynced"
  /** No provable frame boundary within the resync window: the direction is not decoded further. */
  | "undecodable"
  /** A whole frame that does not decode: reported, and the next frame is read (its header gave the size). */
  | "bad-frame"
  /** A frame header that cannot be right: the framing is lost, and a resync starts. */
  | "bad-header"
  /** The connection or the capture ended inside a frame. */
  | "incomplete"
  /** A cap was reached (buffered bytes, pending requests, connections): data was dropped. */
  | "dropped";

export interface ProblemRecord extends Partial<CapturePlace> {
  kind: "problem";
  connection: ConnectionInfo;
  direction: Side | undefined;
  problem: ProblemKind;
  error: WireError;
  /** What happens to the direction's stream from here. */
  then: "continues" | "resyncing" | "stopped";
}

export type CaptureRecord = HandshakeRecord | MessageRecord | ProblemRecord;
