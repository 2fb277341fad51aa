// Caps of the capture decoder. A capture file is input like any other: every length read from
// it is checked against one of these before it is used, and every buffer the decoder keeps
// (out-of-order TCP segments, a partial dqlite frame, bytes held while looking for a frame
// boundary) is bounded by one of them, so memory follows the caps, not the size of the file.

const KiB = 1024;
const MiB = 1024 * KiB;

export interface CaptureLimits {
  /** Largest pcap record or pcapng block, headers included. A larger one ends the file. */
  maxRecordBytes: number;
  /** Connections tracked at the same time; further new connections are skipped (and counted). */
  maxConnections: number;
  /** Bytes of out-of-order segments held per direction before the hole is declared lost. */
  maxOutOfOrderBytes: number;
  /** Out-of-order segments held per direction (same rule). */
  maxOutOfOrderSegments: number;
  /** Bytes held per direction while looking for a provable frame boundary (after a gap or a mid-stream start). */
  maxResyncBytes: number;
  /**
   * Bytes held over all directions together: partial frames and the frame decoders' buffers,
   * out-of-order segments, resync windows. A direction that would pass it stops, reported.
   */
  maxBufferedBytes: number;
  /** Requests of one connection still waiting for their response. */
  maxPendingRequests: number;
  /** IPv6 extension headers followed before a packet is skipped. */
  maxExtensionHeaders: number;
  /** Stacked 802.1Q/802.1ad VLAN tags followed before a packet is skipped. */
  maxVlanTags: number;
  /** Interfaces described in one pcapng section. */
  maxInterfaces: number;
}

export const DEFAULT_CAPTURE_LIMITS: Readonly<CaptureLimits> = Object.freeze({
  maxRecordBytes: 4 * MiB,
  maxConnections: 10_000,
  maxOutOfOrderBytes: 4 * MiB,
  maxOutOfOrderSegments: 4_096,
  maxResyncBytes: 1 * MiB,
  maxBufferedBytes: 256 * MiB,
  maxPendingRequests: 1_024,
  maxExtensionHeaders: 16,
  maxVlanTags: 4,
  maxInterfaces: 1_024,
});

export function resolveCaptureLimits(limits: Partial<CaptureLimits> = {}): Readonly<CaptureLimits> {
  const resolved = { ...DEFAULT_CAPTURE_LIMITS, ...limits };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new RangeError(`capture limit ${name} must be a positive integer, got ${String(value)}`);
  }
  return Object.freeze(resolved);
}
