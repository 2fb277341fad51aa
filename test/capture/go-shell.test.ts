// tcpdump captures of the Go client's shell (Debian's go-dqlite `dqlite`) against a real node,
// made by the test: every message decoded, every response paired with its request, and the
// values the same as the shell printed. The same traffic captured on -i lo (Ethernet), -i any
// (Linux cooked v1) and -y LINUX_SLL2 with nanosecond timestamps decodes the same, and so do
// its rewrites as pcapng and as big-endian pcap.

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DqliteNode, startNode } from "../support/nodes.ts";
import { type Decoded, conversationView, decodeCaptureBytes, messages, problems } from "./decode-helpers.ts";
import { oddChunks, readPcap, toPcapng, writePcap } from "./pcap-edit.ts";
import { cleanCaptureDirs, goShell, startTcpdump } from "./tcpdump-rig.ts";

let node: DqliteNode;
let port: number;
/** The -i lo capture of the session below, and what the shell printed. */
let lo: Uint8Array;
let any: Uint8Array;
let sll2: Uint8Array;
const printed: string[] = [];
let failure = "";

const STATEMENTS = [
  "CREATE TABLE shell_t (id INTEGER PRIMARY KEY, name TEXT, score REAL, data BLOB, flag BOOLEAN)",
  "INSERT INTO shell_t (name, score, data, flag) VALUES ('alice', 1.5, x'00ff', 1), ('bob', NULL, NULL, 0), ('carol ☃', -2.25, x'', 1)",
  "SELECT id, name, score, flag FROM shell_t ORDER BY id",
];

beforeAll(async () => {
  node = await startNode();
  port = Number(node.address.split(":")[1]);
  const filter = `tcp port ${port}`;
  const captures = await Promise.all([
    startTcpdump({ filter }),
    startTcpdump({ filter, iface: "any", extra: ["-y", "LINUX_SLL"] }),
    startTcpdump({ filter, iface: "any", extra: ["-y", "LINUX_SLL2", "--time-stamp-precision", "nano"] }),
  ]);
  for (const sql of STATEMENTS) printed.push(await goShell(node.address, "demo", sql));
  failure = await goShell(node.address, "demo", "SELEC 1").then(
    () => "",
    (error: Error) => error.message,
  );
  const stopped = await Promise.all(captures.map((c) => c.stop()));
  [lo, any, sll2] = stopped.map((c) => c.bytes) as [Uint8Array, Uint8Array, Uint8Array];
});

afterAll(async () => {
  await node?.stop();
  cleanCaptureDirs();
});

function requestsAndAnswers(decoded: Decoded) {
  const all = messages(decoded);
  const requests = all.filter((m) => m.direction === "request");
  const responses = all.filter((m) => m.direction === "response");
  return { requests, responses };
}

describe("the Go shell on -i lo", () => {
  test("four conversations, each with its handshake, no problem, nothing skipped", () => {
    const decoded = decodeCaptureBytes(lo);
    expect(problems(decoded)).toEqual([]);
    expect(decoded.summary.format).toBe("pcap");
    expect(decoded.summary.connections).toEqual({ dqlite: 4 });
    expect(decoded.summary.handshakes).toBe(4);
    expect(decoded.summary.skippedPackets).toEqual({});
    expect(decoded.summary.lostBytes).toBe(0);
    expect(decoded.records.filter((r) => r.kind === "handshake").every((r) => r.kind === "handshake" && r.version === 1n)).toBe(true);
  });

  test("every request gets exactly one answer of the matching type, in order", () => {
    const decoded = decodeCaptureBytes(lo);
    const { requests, responses } = requestsAndAnswers(decoded);
    expect(requests.length).toBeGreaterThanOrEqual(4 * 5);
    expect(responses.length).toBe(requests.length);
    const expected: Record<string, string[]> = {
      LEADER: ["LEADER"],
      CLIENT: ["WELCOME"],
      OPEN: ["DB"],
      EXEC_SQL: ["RESULT", "FAILURE"],
      QUERY_SQL: ["ROWS", "FAILURE"],
    };
    for (const response of responses) {
      const request = requests.find((r) => r.connection.id === response.connection.id && r.request === response.answers?.request);
      expect(request, JSON.stringify(response.answers)).toBeDefined();
      expect(response.answers!.type).toBe(request!.message.type);
      expect(expected[request!.message.type]).toContain(response.message.type);
      // A response comes after its request, in capture time.
      expect(response.packet).toBeGreaterThan(request!.packet);
    }
    const answered = responses.map((r) => `${r.connection.id}#${r.answers!.request}`);
    expect(new Set(answered).size).toBe(answered.length);
  });

  test("the SQL the shell sent and the rows it printed are in the capture", () => {
    const { requests, responses } = requestsAndAnswers(decodeCaptureBytes(lo));
    const sqls = requests.flatMap((r) => ("sql" in r.message ? [r.message.sql] : []));
    for (const sql of [...STATEMENTS, "SELEC 1"]) expect(sqls).toContain(sql);
    const rows = responses.find((r) => r.message.type === "ROWS")!;
    expect(rows.message.type === "ROWS" && rows.message.columns).toEqual(["id", "name", "score", "flag"]);
    const shown =
      rows.message.type === "ROWS"
        ? rows.message.rows.map((row) => row.values.map((value) => (value === null ? "<nil>" : String(value))).join("|"))
        : [];
    // The Go shell prints one row per line, cells joined by "|".
    expect(shown).toEqual(printed[2]!.trim().split("\n"));
    const failed = responses.find((r) => r.message.type === "FAILURE")!;
    expect(failed.message.type === "FAILURE" && failure).toContain(failed.message.type === "FAILURE" ? failed.message.message : "?");
    expect(failed.message.type === "FAILURE" && failed.message.errorCode).toBe(1n);
  });
});

describe("other link types and resolutions of the same traffic", () => {
  test("-i any (Linux cooked v1) and LINUX_SLL2 with nanoseconds decode to the same conversations", () => {
    const base = decodeCaptureBytes(lo);
    for (const [bytes, linkType] of [
      [any, 113],
      [sll2, 276],
    ] as const) {
      expect(readPcap(bytes).linkType).toBe(linkType);
      const decoded = decodeCaptureBytes(bytes);
      expect(problems(decoded)).toEqual([]);
      expect(conversationView(decoded)).toEqual(conversationView(base));
    }
    const nano = decodeCaptureBytes(sll2).lines.find((line) => line["handshake"] !== undefined)!["time"] as string;
    expect(nano).toMatch(/\.\d{9}Z$/);
    expect(base.lines[0]!["time"]).toMatch(/\.\d{6}Z$/);
  });

  test("pcapng in both byte orders, nanosecond if_tsresol, two sections and unknown blocks; big-endian pcap", () => {
    const file = readPcap(lo);
    const base = decodeCaptureBytes(lo);
    const variants = {
      "pcapng little-endian": toPcapng(file),
      "pcapng big-endian, nanoseconds, two sections, unknown blocks": toPcapng(file, {
        littleEndian: false,
        tsresol: 9,
        newSectionAt: 40,
        unknownBlocks: true,
      }),
      "pcap big-endian": writePcap(file, { littleEndian: false }),
    };
    for (const [name, bytes] of Object.entries(variants)) {
      const decoded = decodeCaptureBytes(bytes);
      expect(problems(decoded), name).toEqual([]);
      expect(conversationView(decoded), name).toEqual(conversationView(base));
      // Times agree to the microsecond whatever the resolution the file used.
      expect(
        decoded.lines.map((l) => String(l["time"]).slice(0, 26)),
        name,
      ).toEqual(base.lines.map((l) => String(l["time"]).slice(0, 26)));
    }
    expect(decodeCaptureBytes(variants["pcapng little-endian"]).summary.format).toBe("pcapng");
  });

  test("Simple Packet Blocks carry no time, and still the same conversations", () => {
    const decoded = decodeCaptureBytes(toPcapng(readPcap(lo), { simple: true }));
    expect(conversationView(decoded)).toEqual(conversationView(decodeCaptureBytes(lo)));
    expect(decoded.lines[0]!["time"]).toBe("1970-01-01T00:00:00Z");
  });

  test("the file fed in chunks of every size from 1 byte up gives the same records", () => {
    const whole = decodeCaptureBytes(lo);
    const chunked = decodeCaptureBytes(lo, {}, oddChunks(lo, 3000));
    expect(chunked.lines).toEqual(whole.lines);
    const pcapng = toPcapng(readPcap(lo), { littleEndian: false });
    expect(decodeCaptureBytes(pcapng, {}, oddChunks(pcapng, 700)).lines).toEqual(decodeCaptureBytes(pcapng).lines);
  });
});
