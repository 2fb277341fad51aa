// The TCP header: ports, sequence and acknowledgement numbers, flags, and where the payload is.

export const TcpFlag = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10 } as const;

export interface TcpSegment {
  sourcePort: number;
  destinationPort: number;
  /** Sequence number of the first payload byte (of the SYN itself when SYN is set), uint32. */
  seq: number;
  /** Acknowledgement number, uint32; meaningful only with the ACK flag. */
  ack: number;
  flags: number;
  /** The payload bytes present in the capture (a view). */
  payload: Uint8Array;
  /** The payload length on the wire; more than `payload.length` when the snap length cut it. */
  payloadLength: number;
}

const TCP = { sourcePort: 0, destinationPort: 2, seq: 4, ack: 8, dataOffset: 12, flags: 13, minHeader: 20 } as const;

/** The addresses the IP header gave, carried along with the segment. */
export interface IpEndpoints {
  source: string;
  destination: string;
  ipVersion: 4 | 6;
}

export interface TcpPacket extends TcpSegment, IpEndpoints {}

/** Reads a TCP header from `data[start, end)`; `wireLength` counts the header and payload on the wire. */
export function readTcp(data: Uint8Array, start: number, end: number, wireLength: number, ip: IpEndpoints): TcpPacket | { skip: string } {
  if (end - start < TCP.minHeader) return { skip: "cut by the snap length inside the TCP header" };
  const view = new DataView(data.buffer, data.byteOffset + start, end - start);
  const headerBytes = (data[start + TCP.dataOffset]! >> 4) * 4;
  if (headerBytes < TCP.minHeader) return { skip: "TCP header length below 20" };
  if (headerBytes > wireLength) return { skip: "TCP header longer than the segment" };
  if (end - start < headerBytes) return { skip: "cut by the snap length inside the TCP header" };
  return {
    sourcePort: view.getUint16(TCP.sourcePort, false),
    destinationPort: view.getUint16(TCP.destinationPort, false),
    seq: view.getUint32(TCP.seq, false),
    ack: view.getUint32(TCP.ack, false),
    flags: data[start + TCP.flags]!,
    payload: data.subarray(start + headerBytes, end),
    payloadLength: wireLength - headerBytes,
    source: ip.source,
    destination: ip.destination,
    ipVersion: ip.ipVersion,
  };
}
