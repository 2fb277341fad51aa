// dqlite-wire/capture: dqlite conversations decoded from tcpdump captures (pcap and pcapng).
// Portable: no node:* imports; runs in browsers, Workers, Deno, Bun and Node.

export { CaptureDecoder, decodeCapture, type CaptureDecoderOptions } from "./capture-decoder.ts";
export { CaptureFileReader, captureFormatOf } from "./files/capture-file.ts";
export { DEFAULT_CAPTURE_LIMITS, type CaptureLimits } from "./capture-limits.ts";
export type {
  CaptureRecord,
  ConnectionInfo,
  HandshakeRecord,
  MessageRecord,
  ProblemKind,
  ProblemRecord,
  Answered,
  CapturePlace,
} from "./capture-records.ts";
export type { CaptureSummary } from "./capture-summary.ts";
export { formatCaptureTime, type CaptureTime } from "./files/capture-time.ts";
export type { CapturedPacket } from "./files/captured-packet.ts";
export { CONNECTION_KIND_TEXT, type ConnectionKind } from "./connection-kind.ts";
export { LinkType } from "./network/link-layer.ts";
export { captureRecordToJSON, summaryToJSON } from "./record-json.ts";
