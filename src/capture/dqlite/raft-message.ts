// Raft's own messages, as libraft's libuv transport writes them after a CONNECT request hands
// the connection over (canonical/raft src/uv_encoding.c): a preamble `type u64 | header length
// u64`, the header, then the payload (AppendEntries: the entries' data, each padded to 8 bytes;
// InstallSnapshot: the snapshot data). A connection that began before the capture is
// recognised as raft traffic when these messages chain to the end of the bytes seen; nothing of
// them is decoded further.

import { WORD_BYTES } from "../../wire/constants.ts";
import type { Incomplete } from "./frame-resync.ts";

const PREAMBLE_BYTES = 16;
const RaftMessage = {
  appendEntries: 1,
  appendEntriesResult: 2,
  requestVote: 3,
  requestVoteResult: 4,
  installSnapshot: 5,
  timeoutNow: 6,
} as const;
/**
 * AppendEntries header: six words, then one 16-byte header per entry. libraft 0.11 (Debian's
 * dqlite 1.11) writes term, previous index, previous term, commit index, one more word and the
 * entry count (entries from byte 48); later versions write four words and the count (entries
 * from byte 40, the last word unused). Both are accepted.
 */
const APPEND_ENTRIES_FIXED_BYTES = 48;
const APPEND_ENTRIES_LAYOUTS = [
  { countAt: 40, entriesAt: 48 },
  { countAt: 32, entriesAt: 40 },
] as const;
const ENTRY_HEADER_BYTES = 16;
const ENTRY_TYPE_AT = 8;
const ENTRY_LENGTH_AT = 12;
const ENTRY_TYPES = new Set([1, 2, 3]);
/** InstallSnapshot header: term, last index, last term, conf index, conf length, …, data length. */
const INSTALL_SNAPSHOT_FIXED_BYTES = 48;
const MAX_HEADER_BYTES = 1 << 20;
const MAX_PAYLOAD_BYTES = 64 << 20;

const padded = (length: number) => Math.ceil(length / WORD_BYTES) * WORD_BYTES;

/** The size of the raft message at `at`, "incomplete" when it runs past `end`, or "invalid". */
export function checkRaftMessageAt(bytes: Uint8Array, at: number, end: number): number | Incomplete | "invalid" {
  if (end - at < PREAMBLE_BYTES) return { needs: PREAMBLE_BYTES };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = view.getBigUint64(at, true);
  const headerBig = view.getBigUint64(at + 8, true);
  if (headerBig > BigInt(MAX_HEADER_BYTES)) return "invalid";
  const header = Number(headerBig);
  if (header % WORD_BYTES !== 0 || !fixedHeaderFits(type, header)) return "invalid";
  const headerAt = at + PREAMBLE_BYTES;
  if (end - headerAt < header) return { needs: PREAMBLE_BYTES + header };
  let payload = 0;
  if (type === BigInt(RaftMessage.appendEntries)) {
    const entries = entriesPayload(bytes, view, headerAt, header);
    if (entries === undefined) return "invalid";
    payload = entries;
  } else if (type === BigInt(RaftMessage.installSnapshot)) {
    const data = view.getBigUint64(headerAt + header - WORD_BYTES, true);
    if (data > BigInt(MAX_PAYLOAD_BYTES)) return "invalid";
    payload = Number(data);
  }
  if (payload > MAX_PAYLOAD_BYTES) return "invalid";
  const size = PREAMBLE_BYTES + header + payload;
  return end - at < size ? { needs: size } : size;
}

/** The payload bytes an AppendEntries header announces, or undefined if it fits neither layout. */
function entriesPayload(bytes: Uint8Array, view: DataView, headerAt: number, header: number): number | undefined {
  const count = (header - APPEND_ENTRIES_FIXED_BYTES) / ENTRY_HEADER_BYTES;
  layouts: for (const layout of APPEND_ENTRIES_LAYOUTS) {
    if (view.getBigUint64(headerAt + layout.countAt, true) !== BigInt(count)) continue;
    let payload = 0;
    for (let i = 0; i < count; i++) {
      const entry = headerAt + layout.entriesAt + i * ENTRY_HEADER_BYTES;
      if (!ENTRY_TYPES.has(bytes[entry + ENTRY_TYPE_AT]!)) continue layouts;
      payload += padded(view.getUint32(entry + ENTRY_LENGTH_AT, true));
    }
    return payload;
  }
  return undefined;
}

function fixedHeaderFits(type: bigint, header: number): boolean {
  switch (Number(type)) {
    case RaftMessage.appendEntries:
      return header >= APPEND_ENTRIES_FIXED_BYTES && (header - APPEND_ENTRIES_FIXED_BYTES) % ENTRY_HEADER_BYTES === 0;
    case RaftMessage.appendEntriesResult:
      // Term, rejected, last index; raft from dqlite 1.17 on adds a word of feature flags.
      return header === 24 || header === 32;
    case RaftMessage.timeoutNow:
      return header === 24;
    case RaftMessage.requestVote:
      return header === 32 || header === 40;
    case RaftMessage.requestVoteResult:
      return header === 16 || header === 24;
    case RaftMessage.installSnapshot:
      return header >= INSTALL_SNAPSHOT_FIXED_BYTES;
    default:
      return false;
  }
}
