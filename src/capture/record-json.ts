// Capture records as JSON lines: what `dqlite-wire decode --pcap` and `dqlite-wire proxy` print,
// one object per line. Messages print as `decode` prints them (messageToJSON).
//
//   {"ok":true,"conn":"c1","client":"127.0.0.1:49932","server":"127.0.0.1:37051","direction":"request",
//    "time":"2025-12-07T00:08:30.621582Z","request":1,"message":{"type":"LEADER",…}}
//   {"ok":true,…,"direction":"response",…,"answers":{"request":1,"type":"LEADER"},"message":{…}}
//   {"ok":false,…,"problem":"gap","then":"resyncing","error":{"name":"DecodeError","code":"TRUNCATED",…}}

import type { WireError } from "../errors.ts";
import { messageToJSON } from "../json/message-json.ts";
import type { CaptureRecord } from "./capture-records.ts";
import type { CaptureSummary } from "./capture-summary.ts";
import { formatCaptureTime } from "./files/capture-time.ts";

type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };
type JSONObject = { [key: string]: JSONValue };

export function wireErrorJSON(error: WireError): JSONObject {
  const out: JSONObject = { name: error.name, code: error.code, message: error.message };
  if (error.offset >= 0) out["offset"] = error.offset;
  return out;
}

export function versionText(version: bigint): string {
  return version <= 0xffffn ? String(version) : `0x${version.toString(16)}`;
}

export function captureRecordToJSON(record: CaptureRecord): JSONObject {
  const { connection } = record;
  const out: JSONObject = { ok: record.kind !== "problem", conn: connection.id, client: connection.client, server: connection.server };
  if (record.kind === "handshake") {
    Object.assign(out, { direction: "request", time: formatCaptureTime(record.time), packet: record.packet });
    out["handshake"] = { version: versionText(record.version), legacy: record.legacy };
    return out;
  }
  if (record.direction !== undefined) out["direction"] = record.direction;
  if (record.time !== undefined) out["time"] = formatCaptureTime(record.time);
  if (record.packet !== undefined) out["packet"] = record.packet;
  if (record.kind === "problem") {
    Object.assign(out, { problem: record.problem, then: record.then, error: wireErrorJSON(record.error) });
    return out;
  }
  out["offset"] = record.streamOffset;
  if (record.request !== undefined) out["request"] = record.request;
  if (record.answers !== undefined)
    out["answers"] = record.answers === null ? null : { request: record.answers.request, type: record.answers.type };
  out["message"] = messageToJSON(record.direction, record.message);
  return out;
}

export function summaryToJSON(summary: CaptureSummary): JSONObject {
  const { fileError, skippedConnections, ...rest } = summary;
  const out = { ...rest, skippedConnections: skippedConnections.map((c) => ({ ...c })) } as unknown as JSONObject;
  if (fileError !== undefined) out["fileError"] = wireErrorJSON(fileError);
  if (out["format"] === undefined) out["format"] = null;
  return out;
}
