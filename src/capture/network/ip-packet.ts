// IPv4 and IPv6 headers: addresses, the transport protocol and where its bytes are. IPv4
// options are passed over by the header length; IPv6 extension headers are followed (up to a
// cap). Fragments are not reassembled: a fragmented packet is reported and skipped (its TCP
// bytes then show up as a gap in the stream). Checksums are not verified: captures on the
// sending host carry checksums the NIC fills in later.

import type { CaptureLimits } from "../capture-limits.ts";

export interface IpPacket {
  version: 4 | 6;
  source: string;
  destination: string;
  /** Transport protocol number (6 is TCP). */
  protocol: number;
  /** Transport bytes present in the capture: [payloadStart, payloadEnd) of the given data. */
  payloadStart: number;
  payloadEnd: number;
  /** Transport bytes the packet carried on the wire (more than present when the snap length cut it). */
  payloadLength: number;
}

export type IpResult = { packet: IpPacket } | { skip: string };

export const IP_PROTOCOL_TCP = 6;

const IPV4 = { minHeader: 20, totalLength: 2, fragment: 6, protocol: 9, source: 12, destination: 16 } as const;
const IPV4_MORE_FRAGMENTS = 0x2000;
const IPV4_FRAGMENT_OFFSET = 0x1fff;
const IPV6 = { header: 40, payloadLength: 4, nextHeader: 6, source: 8, destination: 24 } as const;

/** IPv6 extension headers whose length is `(byte 1 + 1) * 8`. */
const IPV6_GENERIC_EXTENSIONS = new Set([0, 43, 60, 135, 139, 140]);
const IPV6_FRAGMENT = 44;
const IPV6_AUTHENTICATION = 51;
const IPV6_ESP = 50;
const IPV6_NO_NEXT = 59;

const CUT = "cut by the snap length inside the IP header";

/** Reads the IP header at `at`; `wireLength` is the packet's length on the wire from `at`. */
export function readIp(
  data: Uint8Array,
  at: number,
  expected: 4 | 6 | "either",
  wireLength: number,
  limits: Readonly<CaptureLimits>,
): IpResult {
  if (data.length <= at) return { skip: CUT };
  const version = data[at]! >> 4;
  if (version === 4 && expected !== 6) return readIpv4(data, at, wireLength);
  if (version === 6 && expected !== 4) return readIpv6(data, at, wireLength, limits);
  return { skip: `not an IPv${expected === "either" ? "4/6" : expected} header (version nibble ${version})` };
}

function readIpv4(data: Uint8Array, at: number, wireLength: number): IpResult {
  if (data.length < at + IPV4.minHeader) return { skip: CUT };
  const view = new DataView(data.buffer, data.byteOffset + at, data.length - at);
  const headerBytes = (data[at]! & 0x0f) * 4;
  if (headerBytes < IPV4.minHeader) return { skip: "IPv4 header length below 20" };
  if (data.length < at + headerBytes) return { skip: CUT };
  // A total length of 0 is what segmentation offload leaves in captures of outgoing packets.
  const total = view.getUint16(IPV4.totalLength, false) || wireLength;
  if (total < headerBytes) return { skip: "IPv4 total length shorter than its header" };
  const fragment = view.getUint16(IPV4.fragment, false);
  if ((fragment & (IPV4_MORE_FRAGMENTS | IPV4_FRAGMENT_OFFSET)) !== 0) return { skip: "IPv4 fragments (not reassembled)" };
  return {
    packet: {
      version: 4,
      source: ipv4Text(data, at + IPV4.source),
      destination: ipv4Text(data, at + IPV4.destination),
      protocol: data[at + IPV4.protocol]!,
      payloadStart: at + headerBytes,
      // Ethernet pads short frames: the IP total length, not the frame, says where the packet ends.
      payloadEnd: Math.min(data.length, at + total),
      payloadLength: total - headerBytes,
    },
  };
}

function readIpv6(data: Uint8Array, at: number, wireLength: number, limits: Readonly<CaptureLimits>): IpResult {
  if (data.length < at + IPV6.header) return { skip: CUT };
  const view = new DataView(data.buffer, data.byteOffset + at, data.length - at);
  const declared = view.getUint16(IPV6.payloadLength, false);
  // 0: a jumbogram or an offloaded segment; the wire length is then the only measure.
  const payloadLength = declared === 0 ? Math.max(0, wireLength - IPV6.header) : declared;
  let next = data[at + IPV6.nextHeader]!;
  let offset = at + IPV6.header;
  for (let count = 0; ; count++) {
    if (next === IPV6_FRAGMENT) return { skip: "IPv6 fragments (not reassembled)" };
    if (next === IPV6_ESP) return { skip: "IPv6 ESP (encrypted)" };
    if (next === IPV6_NO_NEXT) return { skip: "IPv6 packets without payload" };
    if (!IPV6_GENERIC_EXTENSIONS.has(next) && next !== IPV6_AUTHENTICATION) break;
    if (count >= limits.maxExtensionHeaders) return { skip: "more IPv6 extension headers than the cap" };
    if (data.length < offset + 2) return { skip: CUT };
    const length = next === IPV6_AUTHENTICATION ? (data[offset + 1]! + 2) * 4 : (data[offset + 1]! + 1) * 8;
    next = data[offset]!;
    offset += length;
  }
  const headersBytes = offset - at - IPV6.header;
  if (headersBytes > payloadLength) return { skip: "IPv6 extension headers longer than the payload" };
  return {
    packet: {
      version: 6,
      source: ipv6Text(data, at + IPV6.source),
      destination: ipv6Text(data, at + IPV6.destination),
      protocol: next,
      payloadStart: offset,
      payloadEnd: Math.min(data.length, at + IPV6.header + payloadLength),
      payloadLength: payloadLength - headersBytes,
    },
  };
}

function ipv4Text(data: Uint8Array, at: number): string {
  return `${data[at]}.${data[at + 1]}.${data[at + 2]}.${data[at + 3]}`;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as "::". */
export function ipv6Text(data: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((data[at + 2 * i]! << 8) | data[at + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = (list: number[]) => list.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
