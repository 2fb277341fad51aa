// Every link type and IP variant the reader supports, on real packets: the Go shell capture
// (Ethernet, IPv4 on loopback) rewritten record by record with the same IP packets under
// another link layer (VLAN tags, BSD loopback in both byte orders, OpenBSD loop, raw IP under
// its three link type numbers), and as IPv6 with extension headers. The conversations must
// decode the same. Damaged files end the reading with a typed error and keep what came before.

import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { conversationView, decodeCaptureBytes, problems } from "./decode-helpers.ts";
import { type PcapFile, type PcapRecord, readPcap, toPcapng, writePcap } from "./pcap-edit.ts";

const original = readPcap(new Uint8Array(readFileSync("test/capture/fixtures/go-shell.pcap")));
const ETHERNET_HEADER = 14;

function relink(file: PcapFile, linkType: number, wrap: (ip: Uint8Array) => Uint8Array): PcapFile {
  return {
    ...file,
    linkType,
    records: file.records.map((record): PcapRecord => {
      const data = wrap(record.data.subarray(ETHERNET_HEADER));
      return {
        ...record,
        data,
        originalLength: record.originalLength - ETHERNET_HEADER + (data.length - (record.data.length - ETHERNET_HEADER)),
      };
    }),
  };
}

const prefixed = (prefix: number[]) => (ip: Uint8Array) => Uint8Array.from([...prefix, ...ip]);

const NODE_PORT = 37051;

/**
 * IPv4 (20-byte header, no options: what loopback sends) → IPv6 with a hop-by-hop header; the
 * client becomes fd00::1 and the node fd00::2 (on loopback both were 127.0.0.1).
 */
function toIpv6(ip: Uint8Array): Uint8Array {
  const headerBytes = (ip[0]! & 0x0f) * 4;
  const transport = ip.subarray(headerBytes, (ip[2]! << 8) | ip[3]!);
  const hopByHop = [6, 0, 1, 4, 0, 0, 0, 0]; // next: TCP, length 0 (8 bytes), a PadN option
  const payloadLength = hopByHop.length + transport.length;
  const address = (last: number) => [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last];
  const fromNode = ((transport[0]! << 8) | transport[1]!) === NODE_PORT;
  const [source, destination] = fromNode ? [address(2), address(1)] : [address(1), address(2)];
  return Uint8Array.from([
    0x60,
    0,
    0,
    0,
    payloadLength >> 8,
    payloadLength & 0xff,
    0,
    64,
    ...source,
    ...destination,
    ...hopByHop,
    ...transport,
  ]);
}

const baseView = () => conversationView(decodeCaptureBytes(writePcap(original)));

describe("link types", () => {
  const cases: [string, number, (ip: Uint8Array) => Uint8Array][] = [
    [
      "Ethernet with an 802.1ad and an 802.1Q tag",
      1,
      prefixed([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00]),
    ],
    ["BSD loopback, little-endian family", 0, prefixed([2, 0, 0, 0])],
    ["BSD loopback, big-endian family", 0, prefixed([0, 0, 0, 2])],
    ["OpenBSD loop", 108, prefixed([0, 0, 0, 2])],
    ["raw IP (101)", 101, (ip) => ip],
    ["raw IP (12, as some systems wrote it)", 12, (ip) => ip],
    ["raw IPv4 (228)", 228, (ip) => ip],
  ];
  for (const [name, linkType, wrap] of cases) {
    test(`${name}: the same conversations`, () => {
      const decoded = decodeCaptureBytes(writePcap(relink(original, linkType, wrap)));
      expect(problems(decoded)).toEqual([]);
      expect(decoded.summary.skippedPackets).toEqual({});
      expect(conversationView(decoded)).toEqual(baseView());
    });
  }

  test("IPv6 with a hop-by-hop header, as raw IPv6 (229) and under Ethernet: the same messages, bracketed addresses", () => {
    for (const file of [
      relink(original, 229, toIpv6),
      relink(original, 1, (ip) => Uint8Array.from([...new Array(12).fill(0), 0x86, 0xdd, ...toIpv6(ip)])),
    ]) {
      const decoded = decodeCaptureBytes(toPcapng(file));
      expect(problems(decoded)).toEqual([]);
      const strip = (lines: string[]) => lines.map((line) => line.replace(/"conn":"c\d+"/, ""));
      expect(strip(conversationView(decoded))).toEqual(strip(baseView()));
      expect(decoded.lines[0]).toMatchObject({ client: "[fd00::1]:49932", server: "[fd00::2]:37051" });
    }
  });

  test("an unknown link type: every packet skipped and counted, no crash", () => {
    const decoded = decodeCaptureBytes(writePcap({ ...original, linkType: 147 }));
    expect(decoded.records).toEqual([]);
    expect(decoded.summary.skippedPackets).toEqual({ "link type 147 is not read": original.records.length });
  });
});

describe("TCP and IP cases on real packets", () => {
  test("sequence numbers that wrap past 2^32 in the middle of a conversation", () => {
    // Number each direction from 2^32 - 8, so that each stream wraps after its first 8 bytes.
    const shifted = { ...original };
    const bases = new Map<string, number>();
    let wrapped = 0;
    shifted.records = original.records.map((record) => {
      const data = record.data.slice();
      const view = new DataView(data.buffer);
      const tcp = ETHERNET_HEADER + 20;
      const source = view.getUint16(tcp);
      const destination = view.getUint16(tcp + 2);
      // Each connection uses its own client port: a port pair names a direction of one connection.
      if ((data[tcp + 13]! & 0x02) !== 0) bases.set(`${source}>${destination}`, view.getUint32(tcp + 4));
      const own = bases.get(`${source}>${destination}`)!;
      const peer = bases.get(`${destination}>${source}`);
      const seq = (view.getUint32(tcp + 4) - own + 0xfffffff8) >>> 0;
      view.setUint32(tcp + 4, seq);
      if (seq < 0x100) wrapped++;
      if (peer !== undefined && (data[tcp + 13]! & 0x10) !== 0)
        view.setUint32(tcp + 8, (view.getUint32(tcp + 8) - peer + 0xfffffff8) >>> 0);
      return { ...record, data };
    });
    expect(wrapped).toBeGreaterThan(20);
    const decoded = decodeCaptureBytes(writePcap(shifted));
    expect(problems(decoded)).toEqual([]);
    expect(conversationView(decoded)).toEqual(baseView());
  });

  test("a fragmented IPv4 packet is skipped, counted, and its bytes reported as a gap", () => {
    // Mark the QUERY_SQL's body segment as a first fragment (more fragments follow).
    const records = original.records.map((record) => ({ ...record, data: record.data.slice() }));
    const target = records.findIndex((r) => new TextDecoder().decode(r.data).includes("SELECT * FROM t"));
    records[target]!.data[ETHERNET_HEADER + 6] = 0x20;
    const decoded = decodeCaptureBytes(writePcap({ ...original, records }));
    expect(decoded.summary.skippedPackets).toEqual({ "IPv4 fragments (not reassembled)": 1 });
    expect(problems(decoded).map((p) => [p["conn"], p["direction"], p["problem"]])).toContainEqual(["c3", "request", "gap"]);
    expect(decoded.summary.lostBytes).toBeGreaterThan(0);
  });
});

describe("damaged files", () => {
  const pcap = writePcap(original);

  test("a record longer than the cap ends the reading with LIMIT; the records before it stay decoded", () => {
    const bytes = pcap.slice();
    // The 50th record's incl_len: 2^31.
    let at = 24;
    for (let i = 0; i < 49; i++) at += 16 + new DataView(bytes.buffer).getUint32(at + 8, true);
    new DataView(bytes.buffer).setUint32(at + 8, 0x80000000, true);
    const decoded = decodeCaptureBytes(bytes);
    expect(decoded.summary.fileError).toMatchObject({ name: "DecodeError", code: "LIMIT", field: "pcap.record.incl_len" });
    expect(decoded.summary.packets).toBe(49);
    expect(conversationView(decoded)).toEqual(baseView().slice(0, conversationView(decoded).length));
  });

  test("pcapng: a block whose trailing length differs, and a block before any section header", () => {
    const pcapng = toPcapng(original);
    const damaged = pcapng.slice();
    const view = new DataView(damaged.buffer);
    const shb = view.getUint32(4, true);
    const idb = view.getUint32(shb + 4, true);
    const epb = shb + idb;
    view.setUint32(epb + view.getUint32(epb + 4, true) - 4, 12345, true);
    expect(decodeCaptureBytes(damaged).summary.fileError).toMatchObject({ code: "BAD_LENGTH", field: "pcapng.block.total_length" });
    expect(decodeCaptureBytes(pcapng.slice(shb)).summary.fileError).toMatchObject({ code: "BAD_HEADER", field: "capture.magic" });
    const noSection = pcapng.slice(0, 4).fill(0);
    expect(decodeCaptureBytes(Uint8Array.from([...noSection, ...pcapng.slice(4, 8)])).summary.fileError?.code).toBe("BAD_HEADER");
  });

  test("neither pcap nor pcapng, and a file too short for a header", () => {
    expect(decodeCaptureBytes(new TextEncoder().encode("> 0100000000000000\n")).summary.fileError).toMatchObject({ code: "BAD_HEADER" });
    expect(decodeCaptureBytes(Uint8Array.of(0xd4, 0xc3)).summary.fileError).toMatchObject({ code: "TRUNCATED" });
  });
});
