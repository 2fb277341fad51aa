// From a link-layer packet to the IP packet it carries. Link types (LINKTYPE_* numbers as pcap
// and pcapng record them):
//   0   BSD loopback/null: 4-byte address family in the capturing host's byte order
//   1   Ethernet, with any number (up to a cap) of 802.1Q / 802.1ad VLAN tags
//   101 raw IP (also 12 and 14, which some systems wrote for it), 228 raw IPv4, 229 raw IPv6
//   108 OpenBSD loopback: 4-byte address family in network byte order
//   113 Linux cooked v1 (`tcpdump -i any`), 276 Linux cooked v2 (`-y LINUX_SLL2`)

import type { CaptureLimits } from "../capture-limits.ts";

export const LinkType = {
  Null: 0,
  Ethernet: 1,
  RawLegacy12: 12,
  RawLegacy14: 14,
  Raw: 101,
  Loop: 108,
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
} as const;

export type NetworkLayer = { ipVersion: 4 | 6 | "either"; offset: number } | { skip: string };

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = new Set([0x8100, 0x88a8, 0x9100]);

const ETHERNET = { type: 12, header: 14, vlanTag: 4 } as const;
const SLL = { protocol: 14, header: 16 } as const;
const SLL2 = { protocol: 0, header: 20 } as const;
const NULL_HEADER_BYTES = 4;

/** Address family numbers of the BSD null/loop headers. */
const AF_INET = 2;
const AF_INET6 = new Set([10, 24, 28, 30]);

function ipFromEthertype(type: number, offset: number): NetworkLayer {
  if (type === ETHERTYPE_IPV4) return { ipVersion: 4, offset };
  if (type === ETHERTYPE_IPV6) return { ipVersion: 6, offset };
  return { skip: "not IP (ARP, LLDP, …)" };
}

function ipFromFamily(family: number): NetworkLayer {
  if (family === AF_INET) return { ipVersion: 4, offset: NULL_HEADER_BYTES };
  if (AF_INET6.has(family)) return { ipVersion: 6, offset: NULL_HEADER_BYTES };
  return { skip: "not IP (other address family)" };
}

function ethernet(data: Uint8Array, view: DataView, limits: Readonly<CaptureLimits>): NetworkLayer {
  let typeAt = ETHERNET.type;
  for (let tags = 0; ; tags++) {
    if (data.length < typeAt + 2) return { skip: "cut by the snap length before the IP header" };
    const type = view.getUint16(typeAt, false);
    if (!ETHERTYPE_VLAN.has(type)) return ipFromEthertype(type, typeAt + 2);
    if (tags >= limits.maxVlanTags) return { skip: "more VLAN tags than the cap" };
    typeAt += ETHERNET.vlanTag;
  }
}

/** Where the IP packet starts in `data`, or why the packet is skipped. */
export function networkLayer(linkType: number, data: Uint8Array, limits: Readonly<CaptureLimits>): NetworkLayer {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (linkType) {
    case LinkType.Ethernet:
      return ethernet(data, view, limits);
    case LinkType.LinuxSll:
      return data.length < SLL.header
        ? { skip: "cut by the snap length before the IP header" }
        : ipFromEthertype(view.getUint16(SLL.protocol, false), SLL.header);
    case LinkType.LinuxSll2:
      return data.length < SLL2.header
        ? { skip: "cut by the snap length before the IP header" }
        : ipFromEthertype(view.getUint16(SLL2.protocol, false), SLL2.header);
    case LinkType.Null: {
      if (data.length < NULL_HEADER_BYTES) return { skip: "cut by the snap length before the IP header" };
      // Host byte order of the machine that captured: a family number fits in the low 16 bits.
      const little = view.getUint32(0, true);
      return ipFromFamily(little > 0xffff ? view.getUint32(0, false) : little);
    }
    case LinkType.Loop:
      return data.length < NULL_HEADER_BYTES
        ? { skip: "cut by the snap length before the IP header" }
        : ipFromFamily(view.getUint32(0, false));
    case LinkType.Raw:
    case LinkType.RawLegacy12:
    case LinkType.RawLegacy14:
      return { ipVersion: "either", offset: 0 };
    case LinkType.Ipv4:
      return { ipVersion: 4, offset: 0 };
    case LinkType.Ipv6:
      return { ipVersion: 6, offset: 0 };
    default:
      return { skip: `link type ${linkType} is not read` };
  }
}
