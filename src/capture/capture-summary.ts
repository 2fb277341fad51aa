// The figures of a decoded capture: what was read, what was decoded, what was skipped and why.

import type { WireError } from "../errors.ts";
import type { CaptureRecord, ConnectionInfo, ProblemKind } from "./capture-records.ts";
import type { ConnectionKind } from "./connection-kind.ts";
import type { RetiredConnection } from "./tcp-connections.ts";

/** Skipped connections listed by name in the summary; the rest are counted. */
const MAX_LISTED_CONNECTIONS = 100;

export interface CaptureSummary {
  format: "pcap" | "pcapng" | undefined;
  /** File bytes read (whole records). */
  fileBytes: number;
  packets: number;
  tcpPackets: number;
  /** Packets the snap length cut (captured shorter than they were on the wire). */
  snapCutPackets: number;
  /** Packets (and pcapng blocks) passed over, by reason. */
  skippedPackets: Record<string, number>;
  connections: Partial<Record<ConnectionKind, number>>;
  /** The connections that were not decoded, with why (the first 100). */
  skippedConnections: (ConnectionInfo & { kind: ConnectionKind; detail?: string })[];
  handshakes: number;
  requests: number;
  responses: number;
  /** TCP payload bytes of the dqlite conversations, both directions. */
  dqliteBytes: number;
  problems: Partial<Record<ProblemKind, number>>;
  /** Stream bytes not in the capture (lost segments, cut by the snap length). */
  lostBytes: number;
  /** Bytes seen twice or more (retransmissions, overlaps), delivered once. */
  duplicateBytes: number;
  /** Requests that got no response. */
  unansweredRequests: number;
  /** The most bytes the decoder held at once. */
  peakBufferedBytes: number;
  /** Set when the file itself could not be read to its end. */
  fileError?: WireError;
}

export class SummaryBuilder {
  readonly summary: CaptureSummary = {
    format: undefined,
    fileBytes: 0,
    packets: 0,
    tcpPackets: 0,
    snapCutPackets: 0,
    skippedPackets: {},
    connections: {},
    skippedConnections: [],
    handshakes: 0,
    requests: 0,
    responses: 0,
    dqliteBytes: 0,
    problems: {},
    lostBytes: 0,
    duplicateBytes: 0,
    unansweredRequests: 0,
    peakBufferedBytes: 0,
  };

  skippedPacket(reason: string, by = 1): void {
    this.summary.skippedPackets[reason] = (this.summary.skippedPackets[reason] ?? 0) + by;
  }

  record(record: CaptureRecord): void {
    const s = this.summary;
    if (record.kind === "handshake") s.handshakes++;
    else if (record.kind === "message") {
      if (record.direction === "request") s.requests++;
      else s.responses++;
    } else s.problems[record.problem] = (s.problems[record.problem] ?? 0) + 1;
  }

  connection(retired: RetiredConnection): void {
    const s = this.summary;
    s.connections[retired.kind] = (s.connections[retired.kind] ?? 0) + 1;
    s.duplicateBytes += retired.duplicateBytes;
    if (retired.kind === "dqlite") {
      s.dqliteBytes += retired.payloadBytes;
      s.lostBytes += retired.lostBytes;
      s.unansweredRequests += retired.unansweredRequests;
    } else if (retired.kind !== "empty" && s.skippedConnections.length < MAX_LISTED_CONNECTIONS) {
      s.skippedConnections.push({
        ...retired.info,
        kind: retired.kind,
        ...(retired.detail === undefined ? {} : { detail: retired.detail }),
      });
    }
  }
}
