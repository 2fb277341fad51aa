// pcapng files: a sequence of blocks `type u32 | total_length u32 | body | total_length u32`,
// grouped in sections that each start with a Section Header Block (SHB) whose byte-order magic
// sets the byte order of the section. Read here: SHB, Interface Description (IDB: link type,
// snap length, if_tsresol, if_tsoffset), Enhanced Packet (EPB), Simple Packet (SPB) and the
// obsolete Packet Block; every other block is skipped by its length.

import { DecodeError } from "../../errors.ts";
import type { ByteQueue } from "./byte-queue.ts";
import type { CaptureLimits } from "../capture-limits.ts";
import { timeFromUnits } from "./capture-time.ts";
import { type CapturedPacket, type RecordReader, type SkipCounts, countSkip } from "./captured-packet.ts";

export const PCAPNG_SHB_TYPE = 0x0a0d0d0a;
/** Type, length, byte-order magic: what it takes to know a section's byte order. */
const SHB_PREFIX_BYTES = 12;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const MIN_BLOCK_BYTES = 12;

const BLOCK = { interface: 0x00000001, packet: 0x00000002, simplePacket: 0x00000003, enhancedPacket: 0x00000006 } as const;

/** Offsets inside the blocks, from the block's first byte. */
const IDB = { linkType: 8, snapLength: 12, options: 16 } as const;
const EPB = { interfaceId: 8, timestampHigh: 12, timestampLow: 16, capturedLength: 20, originalLength: 24, data: 28 } as const;
const SPB = { originalLength: 8, data: 12 } as const;

const OPTION = { end: 0, tsresol: 9, tsoffset: 14 } as const;
const MICROSECONDS = 1_000_000n;
/** if_tsresol beyond these is not a real clock; such an interface keeps microseconds. */
const MAX_DECIMAL_EXPONENT = 18;
const MAX_BINARY_EXPONENT = 62;

interface InterfaceInfo {
  linkType: number;
  snapLength: number;
  unitsPerSecond: bigint;
  offsetSeconds: bigint;
}

export class PcapngReader implements RecordReader {
  readonly format = "pcapng";
  private readonly queue: ByteQueue;
  private readonly limits: Readonly<CaptureLimits>;
  private readonly skipped: SkipCounts;
  private littleEndian = true;
  private inSection = false;
  private interfaces: InterfaceInfo[] = [];
  private count = 0;

  constructor(queue: ByteQueue, limits: Readonly<CaptureLimits>, skipped: SkipCounts) {
    this.queue = queue;
    this.limits = limits;
    this.skipped = skipped;
  }

  next(): CapturedPacket | undefined {
    for (;;) {
      const block = this.nextBlock();
      if (block === undefined) return undefined;
      const packet = this.readBlock(block.bytes, block.view, block.type);
      this.queue.skip(block.bytes.length);
      if (packet !== undefined) return packet;
    }
  }

  /** The next whole block (checked lengths), or undefined when more bytes are needed. */
  private nextBlock(): { bytes: Uint8Array; view: DataView; type: number } | undefined {
    const at = this.queue.position;
    const prefix = this.queue.peek(SHB_PREFIX_BYTES);
    if (prefix === undefined) return undefined;
    const prefixView = new DataView(prefix.buffer, prefix.byteOffset, SHB_PREFIX_BYTES);
    // The SHB type reads the same in both byte orders; its byte-order magic decides the section's.
    if (prefixView.getUint32(0, true) === PCAPNG_SHB_TYPE) {
      if (prefixView.getUint32(8, true) === BYTE_ORDER_MAGIC) this.littleEndian = true;
      else if (prefixView.getUint32(8, false) === BYTE_ORDER_MAGIC) this.littleEndian = false;
      else
        throw new DecodeError("BAD_HEADER", `pcapng: section header at file offset ${at} has no byte-order magic`, {
          offset: at + 8,
          field: "pcapng.shb.byte_order_magic",
        });
    } else if (!this.inSection) {
      throw new DecodeError(
        "BAD_HEADER",
        `pcapng: a block of type 0x${prefixView.getUint32(0, this.littleEndian).toString(16)} comes before any section header at file offset ${at}`,
        { offset: at, field: "pcapng.block.type" },
      );
    }
    const type = prefixView.getUint32(0, this.littleEndian);
    const length = prefixView.getUint32(4, this.littleEndian);
    if (length < MIN_BLOCK_BYTES || length % 4 !== 0 || length > this.limits.maxRecordBytes) {
      const why =
        length > this.limits.maxRecordBytes
          ? `exceeds the record cap of ${this.limits.maxRecordBytes} bytes`
          : "is not a multiple of 4 of at least 12";
      throw new DecodeError(
        length > this.limits.maxRecordBytes ? "LIMIT" : "BAD_LENGTH",
        `pcapng: block length ${length} ${why} at file offset ${at + 4} (the file is damaged)`,
        {
          offset: at + 4,
          field: "pcapng.block.total_length",
        },
      );
    }
    const bytes = this.queue.peek(length);
    if (bytes === undefined) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, length);
    if (view.getUint32(length - 4, this.littleEndian) !== length) {
      throw new DecodeError(
        "BAD_LENGTH",
        `pcapng: block at file offset ${at} ends with length ${view.getUint32(length - 4, this.littleEndian)}, not ${length}`,
        {
          offset: at + length - 4,
          field: "pcapng.block.total_length",
        },
      );
    }
    return { bytes, view, type };
  }

  private readBlock(bytes: Uint8Array, view: DataView, type: number): CapturedPacket | undefined {
    switch (type) {
      case PCAPNG_SHB_TYPE:
        this.inSection = true;
        this.interfaces = [];
        return undefined;
      case BLOCK.interface:
        this.readInterface(bytes, view);
        return undefined;
      case BLOCK.enhancedPacket:
        return this.readPacket(bytes, view, view.getUint32(EPB.interfaceId, this.littleEndian), EPB);
      case BLOCK.packet:
        // The obsolete Packet Block has EPB's offsets, with a 16-bit interface id and a drops count.
        return this.readPacket(bytes, view, view.getUint16(EPB.interfaceId, this.littleEndian), EPB);
      case BLOCK.simplePacket:
        return this.readSimplePacket(bytes, view);
      default:
        countSkip(this.skipped, "pcapng blocks of other types (statistics, name resolution, …)");
        return undefined;
    }
  }

  private readInterface(bytes: Uint8Array, view: DataView): void {
    if (bytes.length < IDB.options + 4) return this.skip("pcapng interface blocks too short");
    if (this.interfaces.length >= this.limits.maxInterfaces) return this.skip("pcapng interfaces beyond the cap");
    const info: InterfaceInfo = {
      linkType: view.getUint16(IDB.linkType, this.littleEndian),
      snapLength: view.getUint32(IDB.snapLength, this.littleEndian),
      unitsPerSecond: MICROSECONDS,
      offsetSeconds: 0n,
    };
    this.interfaces.push(info);
    for (let at = IDB.options; at + 4 <= bytes.length - 4; ) {
      const code = view.getUint16(at, this.littleEndian);
      const length = view.getUint16(at + 2, this.littleEndian);
      if (code === OPTION.end || at + 4 + length > bytes.length - 4) break;
      if (code === OPTION.tsresol && length === 1) info.unitsPerSecond = resolution(bytes[at + 4]!) ?? MICROSECONDS;
      if (code === OPTION.tsoffset && length === 8) info.offsetSeconds = view.getBigInt64(at + 4, this.littleEndian);
      at += 4 + Math.ceil(length / 4) * 4;
    }
  }

  private readPacket(bytes: Uint8Array, view: DataView, interfaceId: number, layout: typeof EPB): CapturedPacket | undefined {
    const info = this.interfaces[interfaceId];
    if (info === undefined) return this.skip("pcapng packets naming an undescribed interface");
    const captured = view.getUint32(layout.capturedLength, this.littleEndian);
    if (layout.data + captured > bytes.length - 4) return this.skip("pcapng packet blocks whose data overruns the block");
    const units =
      (BigInt(view.getUint32(layout.timestampHigh, this.littleEndian)) << 32n) |
      BigInt(view.getUint32(layout.timestampLow, this.littleEndian));
    this.count++;
    return {
      number: this.count,
      time: timeFromUnits(units, info.unitsPerSecond, info.offsetSeconds),
      linkType: info.linkType,
      data: bytes.subarray(layout.data, layout.data + captured),
      originalLength: Math.max(view.getUint32(layout.originalLength, this.littleEndian), captured),
    };
  }

  private readSimplePacket(bytes: Uint8Array, view: DataView): CapturedPacket | undefined {
    const info = this.interfaces[0];
    if (info === undefined) return this.skip("pcapng simple packets without an interface");
    const original = view.getUint32(SPB.originalLength, this.littleEndian);
    let captured = Math.min(original, bytes.length - 4 - SPB.data);
    if (info.snapLength > 0) captured = Math.min(captured, info.snapLength);
    this.count++;
    // A Simple Packet Block has no timestamp.
    return {
      number: this.count,
      time: { seconds: 0, nanoseconds: 0, digits: 0 },
      linkType: info.linkType,
      data: bytes.subarray(SPB.data, SPB.data + captured),
      originalLength: Math.max(original, captured),
    };
  }

  private skip(reason: string): undefined {
    countSkip(this.skipped, reason);
    return undefined;
  }
}

/** if_tsresol: bit 7 clear, 10^-v seconds; set, 2^-v seconds. */
function resolution(value: number): bigint | undefined {
  const exponent = value & 0x7f;
  if ((value & 0x80) === 0) return exponent <= MAX_DECIMAL_EXPONENT ? 10n ** BigInt(exponent) : undefined;
  return exponent <= MAX_BINARY_EXPONENT ? 1n << BigInt(exponent) : undefined;
}
