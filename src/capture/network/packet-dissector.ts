// One captured packet, from the link layer down to its TCP segment, or the reason it is skipped
// (counted in the summary: not IP, not TCP, fragments, cut by the snap length…).

import type { CaptureLimits } from "../capture-limits.ts";
import type { CapturedPacket } from "../files/captured-packet.ts";
import { IP_PROTOCOL_TCP, readIp } from "./ip-packet.ts";
import { networkLayer } from "./link-layer.ts";
import { type TcpPacket, readTcp } from "./tcp-segment.ts";

export type { TcpPacket };

export type Dissection = TcpPacket | { skip: string };

export function dissect(packet: CapturedPacket, limits: Readonly<CaptureLimits>): Dissection {
  const link = networkLayer(packet.linkType, packet.data, limits);
  if ("skip" in link) return link;
  const wireLength = packet.originalLength - link.offset;
  const ip = readIp(packet.data, link.offset, link.ipVersion, wireLength, limits);
  if ("skip" in ip) return ip;
  const { packet: header } = ip;
  if (header.protocol !== IP_PROTOCOL_TCP) return { skip: "not TCP (UDP, ICMP, …)" };
  return readTcp(packet.data, header.payloadStart, header.payloadEnd, header.payloadLength, {
    source: header.source,
    destination: header.destination,
    ipVersion: header.version,
  });
}

/** "1.2.3.4:5" or "[::1]:5". */
export function endpoint(address: string, port: number, ipVersion: 4 | 6): string {
  return ipVersion === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
