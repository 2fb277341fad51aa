/// <reference types="node" />
// What the bridge reports: one entry when a bridged connection ends and one per refused client.
// The default logger writes each as one JSON line on stderr, ready for `jq` or a log shipper.

/** A bridged connection ended. */
export interface BridgeConnectionLogEntry {
  event: "connection";
  /** Bridge-wide sequence number of the connection. */
  id: number;
  /** Remote address of the WebSocket client. */
  client: string;
  /** The Origin header, or null for clients that sent none. */
  origin: string | null;
  /** The dqlite node address the connection was piped to. */
  target: string;
  /** Bytes forwarded from the client to the node (handshake and whole frames). */
  bytesToTarget: number;
  /** Bytes forwarded from the node to the client. */
  bytesToClient: number;
  /** Request frames forwarded. */
  frames: number;
  durationMs: number;
  /** The WebSocket close code the connection ended with (see BridgeCloseCode). */
  code: number;
  /** Why it closed, in words. */
  reason: string;
  /** Who ended it: the client, the node, or the bridge (a limit, a refusal, shutdown). */
  closedBy: "client" | "target" | "bridge";
}

/** A client was refused before any TCP connection was opened. */
export interface BridgeRefusalLogEntry {
  event: "refused";
  client: string;
  origin: string | null;
  /** The `?target=` the client asked for, or null for the default. */
  target: string | null;
  code: number;
  reason: string;
  /** "close" when refused with a WebSocket close code, "http" when refused with a bare HTTP status. */
  via: "close" | "http";
}

/** The bridge started listening. */
export interface BridgeListeningLogEntry {
  event: "listening";
  url: string;
  targets: readonly string[];
  origins: readonly string[];
  allowAdmin: boolean;
}

export type BridgeLogEntry = BridgeConnectionLogEntry | BridgeRefusalLogEntry | BridgeListeningLogEntry;

export type BridgeLogger = (entry: BridgeLogEntry) => void;

/** Writes each entry as one JSON line (with an ISO timestamp) on stderr. */
export const stderrJsonLogger: BridgeLogger = (entry) => {
  process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + "\n");
};

/** Discards every entry. */
export const silentLogger: BridgeLogger = () => {};
