// Classic pcap files (libpcap, tcpdump's default): a 24-byte file header, then records of a
// 16-byte header and the captured bytes. Both byte orders, microsecond and nanosecond magic.
//
//   file header: magic u32 | version u16 u16 | thiszone i32 | sigfigs u32 | snaplen u32 | linktype u32
//   record:      ts_sec u32 | ts_frac u32 | incl_len u32 | orig_len u32 | incl_len bytes

import { DecodeError } from "../../errors.ts";
import type { ByteQueue } from "./byte-queue.ts";
import type { CaptureLimits } from "../capture-limits.ts";
import { timeFromParts } from "./capture-time.ts";
import type { CapturedPacket, RecordReader } from "./captured-packet.ts";

export const PCAP_FILE_HEADER_BYTES = 24;
const RECORD_HEADER_BYTES = 16;
const LINKTYPE_OFFSET = 20;
/** The link type is the low 16 bits; the high bits may carry FCS information. */
const LINKTYPE_MASK = 0xffff;

const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;

export interface PcapMagic {
  littleEndian: boolean;
  nanoseconds: boolean;
}

/** The byte order and resolution a pcap magic number means, or undefined if it is not one. */
export function pcapMagic(first4: Uint8Array): PcapMagic | undefined {
  const view = new DataView(first4.buffer, first4.byteOffset, 4);
  for (const littleEndian of [true, false]) {
    const magic = view.getUint32(0, littleEndian);
    if (magic === MAGIC_MICROS) return { littleEndian, nanoseconds: false };
    if (magic === MAGIC_NANOS) return { littleEndian, nanoseconds: true };
  }
  return undefined;
}

export class PcapReader implements RecordReader {
  readonly format = "pcap";
  private readonly queue: ByteQueue;
  private readonly limits: Readonly<CaptureLimits>;
  private readonly littleEndian: boolean;
  private readonly digits: 6 | 9;
  private linkType = -1;
  private count = 0;

  constructor(queue: ByteQueue, magic: PcapMagic, limits: Readonly<CaptureLimits>) {
    this.queue = queue;
    this.limits = limits;
    this.littleEndian = magic.littleEndian;
    this.digits = magic.nanoseconds ? 9 : 6;
  }

  next(): CapturedPacket | undefined {
    if (this.linkType < 0 && !this.readFileHeader()) return undefined;
    const header = this.queue.peek(RECORD_HEADER_BYTES);
    if (header === undefined) return undefined;
    const view = new DataView(header.buffer, header.byteOffset, RECORD_HEADER_BYTES);
    const at = this.queue.position;
    const seconds = view.getUint32(0, this.littleEndian);
    const fraction = view.getUint32(4, this.littleEndian);
    const included = view.getUint32(8, this.littleEndian);
    const original = view.getUint32(12, this.littleEndian);
    if (RECORD_HEADER_BYTES + included > this.limits.maxRecordBytes) {
      throw new DecodeError(
        "LIMIT",
        `pcap record ${this.count + 1}: incl_len ${included} exceeds the record cap of ${this.limits.maxRecordBytes} bytes at file offset ${at + 8} (the file is damaged or not pcap)`,
        { offset: at + 8, field: "pcap.record.incl_len" },
      );
    }
    const record = this.queue.peek(RECORD_HEADER_BYTES + included);
    if (record === undefined) return undefined;
    this.queue.skip(RECORD_HEADER_BYTES + included);
    this.count++;
    const scale = this.digits === 6 ? 1_000_000 : 1_000_000_000;
    return {
      number: this.count,
      time: timeFromParts(seconds + Math.floor(fraction / scale), fraction % scale, this.digits),
      linkType: this.linkType,
      data: record.subarray(RECORD_HEADER_BYTES),
      originalLength: Math.max(original, included),
    };
  }

  private readFileHeader(): boolean {
    const header = this.queue.peek(PCAP_FILE_HEADER_BYTES);
    if (header === undefined) return false;
    const view = new DataView(header.buffer, header.byteOffset, PCAP_FILE_HEADER_BYTES);
    this.linkType = view.getUint32(LINKTYPE_OFFSET, this.littleEndian) & LINKTYPE_MASK;
    this.queue.skip(PCAP_FILE_HEADER_BYTES);
    return true;
  }
}
