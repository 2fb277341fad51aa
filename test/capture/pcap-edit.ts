// Rewrites of real pcap files for the capture tests: the records of a tcpdump capture read and
// written back, reordered, duplicated, cut, converted to the other byte order or to pcapng. The
// packets themselves are never invented: every byte of packet data comes from the real capture.

export interface PcapRecord {
  seconds: number;
  fraction: number;
  data: Uint8Array;
  originalLength: number;
}

export interface PcapFile {
  littleEndian: boolean;
  nanoseconds: boolean;
  snapLength: number;
  linkType: number;
  records: PcapRecord[];
}

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;

export function readPcap(bytes: Uint8Array): PcapFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let littleEndian = true;
  let magic = view.getUint32(0, true);
  if (magic !== MAGIC_MICROS && magic !== MAGIC_NANOS) {
    littleEndian = false;
    magic = view.getUint32(0, false);
  }
  if (magic !== MAGIC_MICROS && magic !== MAGIC_NANOS) throw new Error("not a pcap file");
  const file: PcapFile = {
    littleEndian,
    nanoseconds: magic === MAGIC_NANOS,
    snapLength: view.getUint32(16, littleEndian),
    linkType: view.getUint32(20, littleEndian),
    records: [],
  };
  for (let at = 24; at + 16 <= bytes.length; ) {
    const included = view.getUint32(at + 8, littleEndian);
    file.records.push({
      seconds: view.getUint32(at, littleEndian),
      fraction: view.getUint32(at + 4, littleEndian),
      originalLength: view.getUint32(at + 12, littleEndian),
      data: bytes.slice(at + 16, at + 16 + included),
    });
    at += 16 + included;
  }
  return file;
}

export function writePcap(file: PcapFile, options: { littleEndian?: boolean } = {}): Uint8Array {
  const le = options.littleEndian ?? file.littleEndian;
  const size = 24 + file.records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, file.nanoseconds ? MAGIC_NANOS : MAGIC_MICROS, le);
  view.setUint16(4, 2, le);
  view.setUint16(6, 4, le);
  view.setUint32(16, file.snapLength, le);
  view.setUint32(20, file.linkType, le);
  let at = 24;
  for (const record of file.records) {
    view.setUint32(at, record.seconds, le);
    view.setUint32(at + 4, record.fraction, le);
    view.setUint32(at + 8, record.data.length, le);
    view.setUint32(at + 12, record.originalLength, le);
    out.set(record.data, at + 16);
    at += 16 + record.data.length;
  }
  return out;
}

export interface PcapngOptions {
  littleEndian?: boolean;
  /** if_tsresol byte of the interface (default 6: microseconds, as the pcap); 9 for nanoseconds. */
  tsresol?: number;
  /** Write Simple Packet Blocks (no timestamps) instead of Enhanced Packet Blocks. */
  simple?: boolean;
  /** Start a new section (SHB + IDB) before this record index. */
  newSectionAt?: number;
  /** Put a block of an unknown type (and a name resolution block) between packets. */
  unknownBlocks?: boolean;
}

class BlockWriter {
  private parts: Uint8Array[] = [];
  constructor(private readonly le: boolean) {}

  block(type: number, body: Uint8Array): void {
    const padded = Math.ceil(body.length / 4) * 4;
    const out = new Uint8Array(12 + padded);
    const view = new DataView(out.buffer);
    view.setUint32(0, type, this.le);
    view.setUint32(4, out.length, this.le);
    out.set(body, 8);
    view.setUint32(out.length - 4, out.length, this.le);
    this.parts.push(out);
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

function fields(_le: boolean, build: (view: DataView) => void, size: number): Uint8Array {
  const out = new Uint8Array(size);
  build(new DataView(out.buffer));
  return out;
}

/** The same packets as a pcapng file (what Wireshark and dumpcap write). */
export function toPcapng(file: PcapFile, options: PcapngOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const tsresol = options.tsresol ?? (file.nanoseconds ? 9 : 6);
  const w = new BlockWriter(le);
  const section = () => {
    w.block(
      0x0a0d0d0a,
      fields(
        le,
        (v) => {
          v.setUint32(0, 0x1a2b3c4d, le);
          v.setUint16(4, 1, le);
          v.setBigInt64(8, -1n, le);
        },
        16,
      ),
    );
    // IDB: link type, snap length, if_tsresol option, end of options.
    w.block(
      0x00000001,
      fields(
        le,
        (v) => {
          v.setUint16(0, file.linkType, le);
          v.setUint32(4, file.snapLength, le);
          v.setUint16(8, 9, le);
          v.setUint16(10, 1, le);
          v.setUint8(12, tsresol);
        },
        20,
      ),
    );
  };
  section();
  const unitsPerSecond = 10n ** BigInt(tsresol);
  const fileUnits = file.nanoseconds ? 1_000_000_000n : 1_000_000n;
  file.records.forEach((record, index) => {
    if (index === options.newSectionAt) section();
    if (options.unknownBlocks && index % 5 === 0) {
      w.block(0x00000bad, Uint8Array.of(1, 2, 3, 4, 5));
      w.block(0x00000004, new Uint8Array(4));
    }
    if (options.simple) {
      const body = new Uint8Array(4 + record.data.length);
      new DataView(body.buffer).setUint32(0, record.originalLength, le);
      body.set(record.data, 4);
      w.block(0x00000003, body);
      return;
    }
    const units = ((BigInt(record.seconds) * fileUnits + BigInt(record.fraction)) * unitsPerSecond) / fileUnits;
    const body = new Uint8Array(20 + record.data.length);
    const v = new DataView(body.buffer);
    v.setUint32(0, 0, le);
    v.setUint32(4, Number(units >> 32n), le);
    v.setUint32(8, Number(units & 0xffffffffn), le);
    v.setUint32(12, record.data.length, le);
    v.setUint32(16, record.originalLength, le);
    body.set(record.data, 20);
    w.block(0x00000006, body);
  });
  return w.bytes();
}

/** Splits bytes into chunks of growing and shrinking sizes (1, 2, 3 … then down again). */
export function oddChunks(bytes: Uint8Array, largest = 4096): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let size = 1;
  let step = 1;
  for (let at = 0; at < bytes.length; at += size) {
    size = Math.max(1, Math.min(largest, size + step * 97));
    if (size >= largest || size <= 1) step = -step;
    chunks.push(bytes.subarray(at, at + size));
  }
  return chunks;
}

/** A TCP segment in an Ethernet/IPv4 record (tcpdump -i lo), read independently of the library. */
export interface SegmentView {
  flow: string;
  seq: number;
  payloadStart: number;
  payloadLength: number;
  ipAt: number;
  tcpAt: number;
}

export function segmentOf(record: PcapRecord): SegmentView | undefined {
  const d = record.data;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (d.length < 14 + 20 || view.getUint16(12) !== 0x0800) return undefined;
  const ipAt = 14;
  const ihl = (d[ipAt]! & 0x0f) * 4;
  if (d[ipAt + 9] !== 6) return undefined;
  const total = view.getUint16(ipAt + 2);
  const tcpAt = ipAt + ihl;
  const doff = (d[tcpAt + 12]! >> 4) * 4;
  return {
    flow: `${view.getUint16(tcpAt)}>${view.getUint16(tcpAt + 2)}`,
    seq: view.getUint32(tcpAt + 4),
    payloadStart: tcpAt + doff,
    payloadLength: total - ihl - doff,
    ipAt,
    tcpAt,
  };
}

/** A copy of a data segment carrying only its second half (a partial retransmission). */
export function secondHalfCopy(record: PcapRecord): PcapRecord {
  const segment = segmentOf(record)!;
  const half = Math.floor(segment.payloadLength / 2);
  const data = new Uint8Array(record.data.length - half);
  data.set(record.data.subarray(0, segment.payloadStart));
  data.set(record.data.subarray(segment.payloadStart + half), segment.payloadStart);
  const view = new DataView(data.buffer);
  view.setUint16(segment.ipAt + 2, view.getUint16(segment.ipAt + 2) - half);
  view.setUint32(segment.tcpAt + 4, (segment.seq + half) >>> 0);
  return { ...record, data, originalLength: record.originalLength - half };
}

/** A copy of a data segment carrying only its first `keep` payload bytes (as if the rest were never sent). */
export function firstPartCopy(record: PcapRecord, keep: number): PcapRecord {
  const segment = segmentOf(record)!;
  // Keeping as many bytes as the segment holds (or more) would make the IP header claim bytes the
  // record does not have: a different capture from the one the caller asked for.
  if (keep <= 0 || keep >= segment.payloadLength)
    throw new RangeError(`firstPartCopy: keep ${keep} of a ${segment.payloadLength}-byte segment`);
  const cut = segment.payloadLength - keep;
  const data = record.data.slice(0, record.data.length - cut);
  const view = new DataView(data.buffer);
  view.setUint16(segment.ipAt + 2, view.getUint16(segment.ipAt + 2) - cut);
  return { ...record, data, originalLength: record.originalLength - cut };
}

/**
 * The capture with its TCP data segments shuffled the way a lossy path delivers them: each pair
 * of consecutive data segments of one flow swapped, every third data segment sent twice (the
 * copy one packet later), and every fifth followed by a copy of its second half.
 */
export function reorderAndDuplicate(file: PcapFile): PcapFile {
  const records = [...file.records];
  for (let i = 0; i + 1 < records.length; i++) {
    const a = segmentOf(records[i]!);
    const b = segmentOf(records[i + 1]!);
    if (a && b && a.flow === b.flow && a.payloadLength > 0 && b.payloadLength > 0) {
      [records[i], records[i + 1]] = [records[i + 1]!, records[i]!];
      i++;
    }
  }
  const out: PcapRecord[] = [];
  let data = 0;
  const later: PcapRecord[] = [];
  for (const record of records) {
    out.push(record, ...later.splice(0));
    const segment = segmentOf(record);
    if (segment === undefined || segment.payloadLength === 0) continue;
    data++;
    if (data % 3 === 0) later.push(record);
    if (data % 5 === 0 && segment.payloadLength >= 2) later.push(secondHalfCopy(record));
  }
  out.push(...later);
  return { ...file, records: out };
}
