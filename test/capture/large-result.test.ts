// A 20,000-row result captured with tcpdump while the Go shell reads it from a real node: every
// row in the capture, in order, paired with its query; the capture rewritten with reordered and
// duplicated segments decodes the same; cut captures (starting mid-result, a lost segment, a
// file cut mid-record, a short snap length) report what is missing and decode the rest.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { MessageRecord } from "../../src/capture/index.ts";
import { type DqliteNode, startNode } from "../support/nodes.ts";
import { type Decoded, conversationView, decodeCaptureBytes, messages, problems } from "./decode-helpers.ts";
import { type PcapFile, firstPartCopy, readPcap, reorderAndDuplicate, segmentOf, writePcap } from "./pcap-edit.ts";
import { cleanCaptureDirs, goShell, startTcpdump } from "./tcpdump-rig.ts";

const ROWS = 20_000;
const QUERY = "SELECT id, name, amount FROM big ORDER BY id";

let node: DqliteNode;
let port: number;
let full: Uint8Array;
let snapped: Uint8Array;
let printed: string[];

beforeAll(async () => {
  node = await startNode();
  port = Number(node.address.split(":")[1]);
  await goShell(node.address, "demo", "CREATE TABLE big (id INTEGER PRIMARY KEY, name TEXT, amount REAL)");
  await goShell(
    node.address,
    "demo",
    `INSERT INTO big (id, name, amount) SELECT x, 'name-' || x, x * 0.5 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ${ROWS}) SELECT x FROM c)`,
  );
  const captures = await Promise.all([
    startTcpdump({ filter: `tcp port ${port}` }),
    startTcpdump({ filter: `tcp port ${port}`, extra: ["-s", "200"] }),
  ]);
  printed = (await goShell(node.address, "demo", QUERY)).trim().split("\n");
  [full, snapped] = (await Promise.all(captures.map((c) => c.stop()))).map((c) => c.bytes) as [Uint8Array, Uint8Array];
}, 120_000);

afterAll(async () => {
  await node?.stop();
  cleanCaptureDirs();
});

const rowIds = (records: MessageRecord[]) =>
  records.flatMap((r) => (r.message.type === "ROWS" ? r.message.rows.map((row) => Number(row.values[0])) : []));

function queryResult(decoded: Decoded) {
  const all = messages(decoded);
  const query = all.find((m) => m.direction === "request" && m.message.type === "QUERY_SQL")!;
  const frames = all.filter((m) => m.direction === "response" && m.answers?.request === query?.request && m.message.type === "ROWS");
  return { query, frames };
}

/** The server→client data segments of the capture, by record index (those sent once: a loopback capture has real retransmissions too). */
function serverSegments(file: PcapFile): number[] {
  const flow = `${port}>`;
  const seen = new Map<number, number>();
  const data = file.records.flatMap((record, index) => {
    const segment = segmentOf(record);
    if (segment === undefined || !segment.flow.startsWith(flow) || segment.payloadLength === 0) return [];
    seen.set(segment.seq, (seen.get(segment.seq) ?? 0) + 1);
    return [{ index, seq: segment.seq }];
  });
  return data.filter((d) => seen.get(d.seq) === 1).map((d) => d.index);
}

/** The server's data segments (sent once) after which no record of the file carries earlier bytes of the stream. */
function inOrderSegments(file: PcapFile): number[] {
  const flow = `${port}>`;
  const spans = file.records.map((record) => {
    const segment = segmentOf(record);
    return segment?.flow.startsWith(flow) && segment.payloadLength > 0
      ? { seq: segment.seq, end: (segment.seq + segment.payloadLength) | 0 }
      : undefined;
  });
  // Every segment before it in the file ends at or before its first byte, and every one after it
  // starts past its first byte: a loaded machine's capture can hold later bytes ahead of earlier
  // ones, and cutting such a segment short would leave a hole the decoder rightly calls a gap.
  return serverSegments(file).filter((index) => {
    const seq = spans[index]!.seq;
    return spans.every(
      (other, at) => other === undefined || at === index || (at < index ? ((seq - other.end) | 0) >= 0 : ((other.seq - seq) | 0) > 0),
    );
  });
}

const isRun = (ids: number[]) => ids.every((id, i) => i === 0 || id === ids[i - 1]! + 1);

describe("a 20,000-row result", () => {
  test("every row is in the capture, in order, in ROWS frames that answer the QUERY_SQL", () => {
    const decoded = decodeCaptureBytes(full);
    expect(problems(decoded)).toEqual([]);
    const { query, frames } = queryResult(decoded);
    expect(query.message.type === "QUERY_SQL" && query.message.sql).toBe(QUERY);
    expect(frames.length).toBeGreaterThan(10);
    expect(frames.slice(0, -1).every((f) => f.message.type === "ROWS" && f.message.marker === "PART")).toBe(true);
    const lastFrame = frames.at(-1)!.message;
    expect(lastFrame.type === "ROWS" && lastFrame.marker).toBe("DONE");
    const ids = rowIds(frames);
    expect(ids).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
    // The shell printed the same rows: "id|name|amount".
    const last = frames.at(-1)!.message;
    const lastRow = last.type === "ROWS" ? last.rows.at(-1)!.values : [];
    expect(printed).toHaveLength(ROWS);
    expect(printed.at(-1)).toBe(`${lastRow[0]}|${lastRow[1]}|${lastRow[2]}`);
  });

  test("reordered, duplicated and partly retransmitted segments decode the same", () => {
    const file = readPcap(full);
    const shuffled = reorderAndDuplicate(file);
    expect(shuffled.records.length).toBeGreaterThan(file.records.length);
    const decoded = decodeCaptureBytes(writePcap(shuffled));
    expect(problems(decoded)).toEqual([]);
    expect(conversationView(decoded)).toEqual(conversationView(decodeCaptureBytes(full)));
    expect(decoded.summary.duplicateBytes).toBeGreaterThan(0);
    expect(decoded.summary.lostBytes).toBe(0);
  });
});

describe("cut captures", () => {
  test("starting in the middle of the result: with --port, decoding starts at a proven frame boundary", () => {
    const file = readPcap(full);
    const segments = serverSegments(file);
    const from = segments[Math.floor(segments.length / 2)]!;
    const cut = writePcap({ ...file, records: file.records.slice(from) });
    const decoded = decodeCaptureBytes(cut, { ports: [port] });
    const reported = problems(decoded);
    expect(reported.map((p) => [p["direction"], p["problem"], p["then"]])).toContainEqual(["response", "mid-stream", "continues"]);
    expect(reported.every((p) => p["problem"] === "mid-stream")).toBe(true);
    const frames = messages(decoded).filter((m) => m.message.type === "ROWS");
    const ids = rowIds(frames);
    // A contiguous run up to the last row: nothing invented, nothing out of order.
    expect(ids.length).toBeGreaterThan(ROWS / 4);
    expect(ids.length).toBeLessThan(ROWS);
    expect(isRun(ids)).toBe(true);
    expect(ids.at(-1)).toBe(ROWS);
    // The query itself is not in the capture: the rows answer an unknown request.
    expect(frames.every((f) => f.answers === null)).toBe(true);
  });

  test("starting in the middle, without --port and without another connection to learn from: not decoded, and said so", () => {
    const file = readPcap(full);
    const segments = serverSegments(file);
    const cut = writePcap({ ...file, records: file.records.slice(segments[Math.floor(segments.length / 2)]!) });
    const decoded = decodeCaptureBytes(cut);
    expect(messages(decoded)).toEqual([]);
    expect(decoded.summary.connections).toEqual({ "unknown-start": 1 });
    expect(decoded.summary.skippedConnections[0]!.kind).toBe("unknown-start");
  });

  test("a lost segment mid-result: a gap, then decoding resumes at a proven boundary, still answering the query", () => {
    const file = readPcap(full);
    const segments = serverSegments(file);
    const lost = segments[Math.floor(segments.length / 3)]!;
    const lostBytes = segmentOf(file.records[lost]!)!.payloadLength;
    const decoded = decodeCaptureBytes(writePcap({ ...file, records: file.records.filter((_, i) => i !== lost) }));
    const reported = problems(decoded);
    expect(reported.map((p) => [p["direction"], p["problem"], p["then"]])).toEqual([
      ["response", "gap", "resyncing"],
      ["response", "resynced", "continues"],
    ]);
    expect(decoded.summary.lostBytes).toBe(lostBytes);
    const { query, frames } = queryResult(decoded);
    expect(query).toBeDefined();
    const ids = rowIds(frames);
    const split = ids.findIndex((id, i) => i > 0 && id !== ids[i - 1]! + 1);
    expect(split).toBeGreaterThan(0);
    expect(ids.slice(0, split)).toEqual(Array.from({ length: split }, (_, i) => i + 1));
    expect(isRun(ids.slice(split))).toBe(true);
    expect(ids.at(-1)).toBe(ROWS);
    // What is missing is the rows of the lost bytes and of the two frames they cut (a row is 40 bytes here).
    expect((ROWS - ids.length) * 40).toBeLessThanOrEqual(lostBytes + 2 * 8192);
    // The request after the result (the shell's COMMIT) is still answered correctly.
    const last = messages(decoded).at(-1)!;
    expect(last.answers?.type).toBe("EXEC_SQL");
  });

  test("the file cut inside a record: the records before it decode as in the whole file, and the cut is reported", () => {
    const cutAt = Math.floor(full.length * 0.6);
    const decoded = decodeCaptureBytes(full.subarray(0, cutAt));
    expect(decoded.summary.fileError).toMatchObject({ name: "DecodeError", code: "TRUNCATED" });
    const whole = conversationView(decodeCaptureBytes(full));
    const view = conversationView(decoded);
    expect(view.length).toBeGreaterThan(5);
    expect(whole.slice(0, view.length)).toEqual(view);
    // Where the file stops the result is open; a partial frame there (if the last whole record
    // ended inside one) is reported as incomplete, and nothing else is.
    expect(problems(decoded).every((p) => p["direction"] === "response" && p["problem"] === "incomplete")).toBe(true);
  });

  test("the capture ends inside a frame: the partial frame is reported as incomplete", () => {
    const file = readPcap(full);
    // Cut after a segment that every earlier byte of the stream precedes in the file (a loaded
    // machine's capture can hold a segment after one of later bytes): the cut then loses no byte
    // before it, and only the frame it ends inside is incomplete.
    // Of those, one longer than the bytes kept of it (a loaded machine sends segments of any size).
    const segments = inOrderSegments(file).filter((index) => segmentOf(file.records[index]!)!.payloadLength > 1_002);
    expect(segments.length).toBeGreaterThan(0);
    const last = segments[Math.floor(segments.length / 2)]!;
    // The records before that segment, then its first bytes, so many that the stream ends off a
    // word boundary (frames are whole words long): it cannot end between two frames.
    const synAck = file.records.map(segmentOf).find((s) => s?.flow.startsWith(`${port}>`))!;
    const offset = (segmentOf(file.records[last]!)!.seq - synAck.seq - 1) >>> 0;
    const keep = (offset + 1_001) % 8 === 0 ? 1_002 : 1_001;
    const records = [...file.records.slice(0, last), firstPartCopy(file.records[last]!, keep)];
    const decoded = decodeCaptureBytes(writePcap({ ...file, records }));
    expect(decoded.summary.fileError).toBeUndefined();
    expect(problems(decoded).map((p) => [p["direction"], p["problem"], p["then"]])).toEqual([["response", "incomplete", "stopped"]]);
    const ids = rowIds(queryResult(decoded).frames);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i + 1));
  });

  test("a snap length of 200 bytes (tcpdump -s 200): cut segments are gaps, the requests and small responses still decode", () => {
    const decoded = decodeCaptureBytes(snapped);
    expect(decoded.summary.lostBytes).toBeGreaterThan(100_000);
    expect(decoded.summary.snapCutPackets).toBeGreaterThan(10);
    expect(decodeCaptureBytes(full).summary.snapCutPackets).toBe(0);
    expect(
      problems(decoded).some((p) => p["problem"] === "gap" && String((p["error"] as { message: string }).message).includes("snap length")),
    ).toBe(true);
    const requests = (d: Decoded) =>
      messages(d)
        .filter((m) => m.direction === "request")
        .map((m) => JSON.stringify(m.message, (_, v) => (typeof v === "bigint" ? String(v) : v)));
    expect(requests(decoded)).toEqual(requests(decodeCaptureBytes(full)));
    // Every row that did decode is a real row (its id, name and amount agree).
    for (const frame of messages(decoded).filter((m) => m.message.type === "ROWS")) {
      if (frame.message.type !== "ROWS") continue;
      for (const row of frame.message.rows) {
        const id = Number(row.values[0]);
        expect(row.values.slice(1)).toEqual([`name-${id}`, id * 0.5]);
      }
    }
  });
});
