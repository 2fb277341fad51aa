// The capture decoder under fuzzing: arbitrary and mutated capture bytes may only yield records
// and typed errors (a damaged file ends in `summary.fileError`), never anything else thrown;
// what it holds and what it outputs stay bounded by the input; and the same file fed whole or
// cut anywhere gives the same records. Two kinds of capture are built from each input:
//
// - the input's bytes as one direction of a TCP conversation (a pcap of SYN, handshake, the
//   bytes cut into segments at the input's split points, some segments swapped and repeated,
//   FIN): when the stream decoder reads those bytes without an error, the capture decoder must
//   give the very same messages, in order;
// - a real tcpdump capture of the Go shell (test/capture/fixtures/go-shell.pcap) with the input
//   written over it at a place the input picks, as pcap or pcapng (one input in eight).
//
// The conversation is built for one input in two (the input's hash decides, so a run is still a
// pure function of its seed): the capture decoder costs as much as all the other oracles.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CaptureDecoder, type CaptureRecord, captureRecordToJSON } from "../src/capture/index.ts";
import { isWireError } from "../src/errors.ts";
import { messageToJSON } from "../src/json/message-json.ts";
import { FrameDecoder } from "../src/stream/frame-decoder.ts";
import { handshakeFor } from "../src/wire/handshake.ts";
import { type PcapRecord, readPcap, toPcapng, writePcap } from "../test/capture/pcap-edit.ts";
import { type FuzzInput, type Findings, attempt, describeThrown } from "./findings.ts";

const CONVERSATION_EVERY = 2;
const TEMPLATE_EVERY = 8;
/** Records a capture of N bytes may yield: never more than one per 8 bytes, plus a few. */
const recordBound = (bytes: number) => Math.ceil(bytes / 8) + 64;
/** What the decoder may hold at once: twice the file, plus the two frame decoders' first buffers per connection. */
const heldBound = (bytes: number, connections: number) => 2 * bytes + connections * 2 * 64 * 1024;

const FIXTURE = join("test", "capture", "fixtures", "go-shell.pcap");

let template: Uint8Array | undefined;
function templateCapture(): Uint8Array {
  if (template === undefined) {
    // From this module (fuzz/ or its build under dist/fuzz/fuzz/) up to the repository root.
    let dir = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(dir, FIXTURE)) && dirname(dir) !== dir) dir = dirname(dir);
    template = new Uint8Array(readFileSync(join(dir, FIXTURE)));
  }
  return template;
}

interface Run {
  lines: string[];
  records: CaptureRecord[];
  peak: number;
  connections: number;
}

function decodeCapture(bytes: Uint8Array, chunks: Uint8Array[], oracle: string, findings: Findings): Run | undefined {
  const result = attempt(() => {
    const decoder = new CaptureDecoder({ intMode: "bigint" });
    const records: CaptureRecord[] = [];
    for (const chunk of chunks) records.push(...decoder.push(chunk));
    records.push(...decoder.end());
    const summary = decoder.summary();
    const connections = Object.values(summary.connections).reduce((n, c) => n + (c ?? 0), 0);
    return { records, lines: records.map((r) => JSON.stringify(captureRecordToJSON(r))), peak: summary.peakBufferedBytes, connections };
  });
  if (findings.crashIf(result, oracle)) return undefined;
  if (!("ok" in result)) {
    findings.add("crash", oracle, `a WireError escaped the capture decoder: ${describeThrown(result.error)}`);
    return undefined;
  }
  const run = result.ok;
  if (run.records.length > recordBound(bytes.length))
    findings.add("unboundedAllocation", oracle, `${run.records.length} records from a ${bytes.length}-byte capture`);
  if (run.peak > heldBound(bytes.length, run.connections))
    findings.add("unboundedAllocation", oracle, `held ${run.peak} bytes for a ${bytes.length}-byte capture`);
  return run;
}

/** The file decoded whole and cut at `splits`: the same records, and both bounded. */
function decodeBothWays(bytes: Uint8Array, splits: readonly number[], oracle: string, findings: Findings): Run | undefined {
  const whole = decodeCapture(bytes, [bytes], oracle, findings);
  const cuts = [...new Set(splits.map((s) => s % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const at of cuts) {
    if (at <= from) continue;
    chunks.push(bytes.subarray(from, at));
    from = at;
  }
  chunks.push(bytes.subarray(from));
  const split = decodeCapture(bytes, chunks, `${oracle}, split`, findings);
  if (whole !== undefined && split !== undefined) {
    const at = whole.lines.findIndex((line, i) => line !== split.lines[i]);
    if (at >= 0 || whole.lines.length !== split.lines.length)
      findings.add("mismatch", oracle, `record ${at} differs fed whole and cut: ${whole.lines[at]} / ${split.lines[at]}`);
  }
  return whole;
}

// Ethernet + IPv4 + TCP, for the conversation built around the input (only what the decoder reads).
function packet(fromClient: boolean, seq: number, ack: number, flags: number, payload: Uint8Array): PcapRecord {
  const data = new Uint8Array(14 + 20 + 20 + payload.length);
  const view = new DataView(data.buffer);
  view.setUint16(12, 0x0800);
  data[14] = 0x45;
  view.setUint16(16, 40 + payload.length);
  data[14 + 8] = 64;
  data[14 + 9] = 6;
  data.set(fromClient ? [10, 0, 0, 1, 10, 0, 0, 2] : [10, 0, 0, 2, 10, 0, 0, 1], 14 + 12);
  view.setUint16(34, fromClient ? 40000 : 9001);
  view.setUint16(36, fromClient ? 9001 : 40000);
  view.setUint32(38, seq >>> 0);
  view.setUint32(42, ack >>> 0);
  data[46] = 0x50;
  data[47] = flags;
  data.set(payload, 54);
  return { seconds: 1_700_000_000, fraction: 0, data, originalLength: data.length };
}

const SYN = 0x02;
const ACK = 0x10;
const FIN = 0x01;
const PSH_ACK = 0x18;
/** A LEADER request, so that a response stream has something to answer. */
const LEADER_REQUEST = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

/** The input as the client's (request side) or the node's (response side) stream of a TCP conversation. */
function conversation(input: FuzzInput): { bytes: Uint8Array; stream: Uint8Array } {
  const clientIsn = 0xfffff000; // wraps around 2^32 within the conversation
  const serverIsn = 1000;
  const handshake = handshakeFor(input.legacy);
  const request = input.side === "request";
  const clientBytes = request ? concat(handshake, input.bytes) : concat(handshake, LEADER_REQUEST);
  const serverBytes = request ? new Uint8Array(0) : input.bytes;
  const records: PcapRecord[] = [
    packet(true, clientIsn, 0, SYN, new Uint8Array(0)),
    packet(false, serverIsn, clientIsn + 1, SYN | ACK, new Uint8Array(0)),
  ];
  const segments = (bytes: Uint8Array, fromClient: boolean, base: number, peerNext: number) => {
    const cuts = [
      0,
      ...input.splits.filter((s) => s > 0 && s < input.bytes.length).map((s) => s + (request ? handshake.length : 0)),
      bytes.length,
    ];
    const out: PcapRecord[] = [];
    for (let i = 0; i + 1 < cuts.length; i++)
      if (cuts[i + 1]! > cuts[i]!) out.push(packet(fromClient, base + cuts[i]!, peerNext, PSH_ACK, bytes.subarray(cuts[i]!, cuts[i + 1]!)));
    // Swap pairs and repeat one, the way a lossy path delivers them (the input decides).
    const key = input.bytes[0] ?? 0;
    if (key & 1) for (let i = 0; i + 1 < out.length; i += 2) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
    if (key & 2 && out.length > 0) out.push(out[key % out.length]!);
    return out;
  };
  records.push(...segments(clientBytes, true, clientIsn + 1, serverIsn + 1));
  records.push(...segments(serverBytes, false, serverIsn + 1, clientIsn + 1 + clientBytes.length));
  records.push(packet(true, clientIsn + 1 + clientBytes.length, serverIsn + 1 + serverBytes.length, FIN | ACK, new Uint8Array(0)));
  records.push(packet(false, serverIsn + 1 + serverBytes.length, clientIsn + 2 + clientBytes.length, FIN | ACK, new Uint8Array(0)));
  const bytes = writePcap({ littleEndian: true, nanoseconds: false, snapLength: 262144, linkType: 1, records });
  return { bytes, stream: request ? input.bytes : serverBytes };
}

/** The stream decoder's messages when it reads all of `stream` without an error, else undefined. */
function cleanMessages(input: FuzzInput, stream: Uint8Array): string[] | undefined {
  try {
    const decoder = new FrameDecoder({ side: input.side, handshake: false, intMode: "bigint", legacy: input.legacy, allowInternal: false });
    decoder.push(stream);
    const out: string[] = [];
    for (let m = decoder.next(); m !== undefined; m = decoder.next()) out.push(JSON.stringify(messageToJSON(input.side, m)));
    decoder.end();
    return out;
  } catch (error) {
    if (isWireError(error)) return undefined;
    throw error;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export function checkCapture(input: FuzzInput, findings: Findings): void {
  // The input as a capture file itself: almost always "not a capture", which must be a typed error.
  decodeCapture(input.bytes, [input.bytes], "CaptureDecoder(raw input)", findings);
  let hash = 0;
  for (const byte of input.bytes) hash = (hash * 31 + byte) >>> 0;
  if (hash % CONVERSATION_EVERY === 0) checkConversation(input, findings);
  if (hash % TEMPLATE_EVERY === 1) checkMutatedCapture(input, hash, findings);
}

/** The input as one direction of a TCP conversation (see the header). */
function checkConversation(input: FuzzInput, findings: Findings): void {
  const built = conversation(input);
  const run = decodeBothWays(built.bytes, input.splits, `CaptureDecoder(${input.side} stream)`, findings);
  const expected = cleanMessages(input, built.stream);
  if (run !== undefined && expected !== undefined && expected.length > 0) {
    const side = input.side;
    const got = run.records.flatMap((r) =>
      r.kind === "message" && r.direction === side ? [JSON.stringify(messageToJSON(side, r.message))] : [],
    );
    const first = expected.findIndex((m, i) => m !== got[i]);
    if (first >= 0 || got.length !== expected.length)
      findings.add(
        "mismatch",
        "CaptureDecoder vs FrameDecoder",
        `message ${first}: ${expected[first]} / ${got[first]} (${expected.length} vs ${got.length})`,
      );
  }
}

/** A real capture with the input written over it. */
function checkMutatedCapture(input: FuzzInput, hash: number, findings: Findings): void {
  const base = templateCapture();
  const mutated = base.slice();
  const at = hash % mutated.length;
  mutated.set(input.bytes.subarray(0, mutated.length - at), at);
  const asPcapng = (hash >> 3) % 2 === 1;
  const bytes = asPcapng ? mutatedPcapng(mutated) : mutated;
  decodeBothWays(
    bytes,
    input.splits.map((s) => (s * 37) % bytes.length),
    `CaptureDecoder(mutated real ${asPcapng ? "pcapng" : "pcap"})`,
    findings,
  );
}

/** The mutated pcap as pcapng when its records still parse; else the pcap bytes as they are. */
function mutatedPcapng(pcap: Uint8Array): Uint8Array {
  try {
    return toPcapng(readPcap(pcap), { littleEndian: pcap[0]! % 2 === 0 });
  } catch {
    return pcap;
  }
}
