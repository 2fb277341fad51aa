// A tcpdump capture (pcap or pcapng) dropped on the page, read in the worker by the library's
// capture decoder (dqlite-wire/capture): its TCP connections, and for each dqlite conversation
// its frames in capture order (for the frame list and the inspector) and its query results (for
// the table). Frame bytes are kept up to a budget; past it, later frames keep their summary only.

import {
  CONNECTION_KIND_TEXT,
  CaptureDecoder,
  type CaptureRecord,
  type CaptureSummary,
  type ConnectionKind,
  captureFormatOf,
} from "./library.ts";
import type { ConnectionView, FrameDirection } from "./worker-protocol.ts";

/** Frame bytes a loaded capture keeps for the inspector and the tables. */
const KEPT_BYTES_BUDGET = 256 * 1024 * 1024;
/** The decoder reads the file in chunks of this size. */
const CHUNK_BYTES = 1024 * 1024;

export interface ConversationEntry {
  direction: FrameDirection;
  name: string;
  bytes: Uint8Array | null;
  /** For a problem line: what the decoder reported. */
  error?: string;
}

interface Conversation {
  view: ConnectionView;
  entries: ConversationEntry[];
  /** The ROWS frames answering each query request, by request number. */
  rows: Map<number, Uint8Array[]>;
}

/** True for the bytes of a pcap or pcapng file (by their magic number). */
export function isPcapCapture(bytes: Uint8Array): boolean {
  return captureFormatOf(bytes) !== undefined;
}

export class PcapConversations {
  readonly #conversations = new Map<string, Conversation>();
  #kept = 0;
  summary: CaptureSummary | undefined;

  static read(bytes: Uint8Array): PcapConversations {
    const out = new PcapConversations();
    const decoder = new CaptureDecoder({ intMode: "string", keepFrameBytes: true });
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES)
      for (const record of decoder.push(bytes.subarray(at, at + CHUNK_BYTES))) out.#add(record);
    for (const record of decoder.end()) out.#add(record);
    out.summary = decoder.summary();
    for (const skipped of out.summary.skippedConnections) {
      out.#conversation(skipped).view.kind = CONNECTION_KIND_TEXT[skipped.kind as ConnectionKind];
      if (skipped.detail !== undefined) out.#conversation(skipped).view.detail = skipped.detail;
    }
    return out;
  }

  /** Every connection, in order of appearance (dqlite conversations and skipped ones). */
  get connections(): ConnectionView[] {
    return [...this.#conversations.values()].map((c) => c.view).sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  }

  entries(id: string): ConversationEntry[] {
    return this.#conversations.get(id)?.entries ?? [];
  }

  /** The ROWS frames of a result, back to back, or undefined when none (or not all) were kept. */
  rowsOf(id: string, request: number): Uint8Array[] | undefined {
    const frames = this.#conversations.get(id)?.rows.get(request);
    return frames !== undefined && frames.length > 0 ? frames : undefined;
  }

  /** One line for the page: what the capture held. */
  describe(): string {
    const s = this.summary!;
    const skipped = s.skippedConnections.length;
    const problems = Object.values(s.problems).reduce((n: number, c) => n + (c ?? 0), 0);
    return (
      `${s.format}: ${s.packets} packets, ${s.connections.dqlite ?? 0} dqlite conversations (${s.requests} requests, ${s.responses} responses)` +
      (skipped > 0 ? `, ${skipped} other connections` : "") +
      (problems > 0 ? `, ${problems} problems` : "") +
      (s.fileError !== undefined ? `; the file ends early: ${s.fileError.message}` : "")
    );
  }

  #conversation(info: { id: string; client: string; server: string }): Conversation {
    let found = this.#conversations.get(info.id);
    if (found === undefined) {
      found = {
        view: {
          id: info.id,
          client: info.client,
          server: info.server,
          kind: "dqlite",
          requests: 0,
          responses: 0,
          problems: 0,
          results: [],
        },
        entries: [],
        rows: new Map(),
      };
      this.#conversations.set(info.id, found);
    }
    return found;
  }

  #keep(bytes: Uint8Array | undefined): Uint8Array | null {
    if (bytes === undefined || this.#kept + bytes.length > KEPT_BYTES_BUDGET) return null;
    this.#kept += bytes.length;
    return bytes;
  }

  #add(record: CaptureRecord): void {
    const conversation = this.#conversation(record.connection);
    const { view } = conversation;
    if (record.kind === "handshake") {
      conversation.entries.push({ direction: "sent", name: "HANDSHAKE", bytes: this.#keep(record.bytes) });
      return;
    }
    const direction: FrameDirection = record.direction === "response" ? "received" : "sent";
    if (record.kind === "problem") {
      view.problems++;
      conversation.entries.push({ direction, name: `⚠ ${record.problem}`, bytes: null, error: record.error.message });
      return;
    }
    const bytes = this.#keep(record.bytes);
    conversation.entries.push({ direction, name: record.message.type, bytes });
    if (record.direction === "request") {
      view.requests++;
      const message = record.message as { type: string; sql?: string };
      if (message.type === "QUERY_SQL" || message.type === "QUERY")
        view.results.push({ request: record.request!, sql: message.sql ?? `statement (${message.type})`, rows: 0, failed: false });
      return;
    }
    view.responses++;
    const result =
      record.answers === null || record.answers === undefined ? undefined : view.results.find((r) => r.request === record.answers!.request);
    if (result === undefined) return;
    if (record.message.type === "FAILURE") result.failed = true;
    if (record.message.type !== "ROWS") return;
    result.rows += record.message.rows.length;
    const frames = conversation.rows.get(result.request) ?? [];
    // A result whose frames are not all kept is not shown as a table (it would be partial).
    if (bytes === null) frames.length = 0;
    else frames.push(bytes);
    conversation.rows.set(result.request, frames);
  }
}
