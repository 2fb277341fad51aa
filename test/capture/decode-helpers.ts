// Decoding a capture's bytes in a test, and the views of the records the tests compare.

import {
  CaptureDecoder,
  type CaptureDecoderOptions,
  type CaptureRecord,
  type CaptureSummary,
  type MessageRecord,
  captureRecordToJSON,
} from "../../src/capture/index.ts";

export interface Decoded {
  records: CaptureRecord[];
  lines: Record<string, unknown>[];
  summary: CaptureSummary;
}

export function decodeCaptureBytes(bytes: Uint8Array, options: CaptureDecoderOptions = {}, chunks?: Uint8Array[]): Decoded {
  const decoder = new CaptureDecoder({ intMode: "bigint", ...options });
  const records: CaptureRecord[] = [];
  for (const chunk of chunks ?? [bytes]) records.push(...decoder.push(chunk));
  records.push(...decoder.end());
  return { records, lines: records.map((r) => captureRecordToJSON(r)), summary: decoder.summary() };
}

export function messages(decoded: Decoded): MessageRecord[] {
  return decoded.records.filter((r): r is MessageRecord => r.kind === "message");
}

/** What a conversation said, without where and when: direction, pairing and message JSON. */
export function conversationView(decoded: Decoded): string[] {
  return decoded.lines
    .filter((line) => line["ok"] === true)
    .map((line) =>
      JSON.stringify({
        conn: line["conn"],
        direction: line["direction"],
        request: line["request"],
        answers: line["answers"],
        handshake: line["handshake"],
        message: line["message"],
      }),
    );
}

export function problems(decoded: Decoded): Record<string, unknown>[] {
  return decoded.lines.filter((line) => line["ok"] === false);
}
