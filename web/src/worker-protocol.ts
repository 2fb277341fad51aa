// The messages between the page and the decode worker. The worker owns the connection, the
// decoded rows and the frame log; the page asks it for what it shows (a window of rows, one
// frame's bytes), so a million-row result never crosses to the main thread at once.

/** Which row engine decodes ROWS frames. */
export type EngineName = "wasm" | "js";

/** Where the page reaches the node: the bridge, its token and the allow-listed node. */
export interface BridgeConfig {
  bridgeUrl: string;
  token: string;
  target: string;
  database: string;
}

/** A cell as the table shows it: its text and its kind (for styling). */
export type CellKind = "int" | "float" | "text" | "blob" | "null" | "bool" | "time";
export interface CellView {
  t: string;
  k: CellKind;
}

export type FrameDirection = "sent" | "received";

/** One entry of the frame log: a frame (or the handshake) that went one way. */
export interface FrameSummary {
  seq: number;
  direction: FrameDirection;
  /** Protocol name of the message type ("QUERY_SQL", "ROWS"…), or "HANDSHAKE". */
  name: string;
  /** Header and body, in bytes. */
  size: number;
  /** Where it came from: a live query/call, or an offline capture. */
  source: "live" | "offline";
  /** Set when the bytes could not be split into frames from here on. */
  error?: string;
}

/** A plain copy of an error (WireError fields survive, class identity does not). */
export interface ErrorView {
  name: string;
  message: string;
  /** WireError code ("SERVER_FAILURE", "CONNECTION_CLOSED"…). */
  code?: string;
  /** SQLite (extended) result code of a FAILURE. */
  sqliteCode?: number;
}

export interface Progress {
  resultId: number;
  columns: string[];
  rows: number;
  frames: number;
  bytes: number;
  elapsedMs: number;
  engine: string;
  done: boolean;
  /** The result ended with an error (reported separately). */
  failed: boolean;
  /** The person stopped it (or started another query) before its end. */
  stopped: boolean;
  /** Set for a statement that returns no rows (run with EXEC_SQL): what the node answered. */
  exec?: { rowsAffected: number; lastInsertId: string };
}

export interface EngineTiming {
  engine: EngineName;
  /** What ran: "wasm-simd", "wasm" or "js". */
  kind: string;
  /** Mean time of one decode of the whole result. */
  ms: number;
  /** How many decodes the mean is over. */
  runs: number;
  rows: number;
  rowsPerSecond: number;
}

/** A TCP connection of a loaded tcpdump capture (pcap-conversations.ts). */
export interface ConnectionView {
  /** "c1", "c2"… in order of appearance. */
  id: string;
  client: string;
  server: string;
  /** "dqlite", or why it was not decoded (TLS, raft traffic…). */
  kind: string;
  detail?: string;
  requests: number;
  responses: number;
  problems: number;
  /** The queries of the conversation, with their rows. */
  results: { request: number; sql: string; rows: number; failed: boolean }[];
}

export type ToWorker =
  | { kind: "configure"; config: BridgeConfig }
  | { kind: "query"; resultId: number; sql: string; engine: EngineName }
  | { kind: "cancel" }
  | { kind: "window"; resultId: number; start: number; count: number }
  | { kind: "frame"; seq: number }
  | { kind: "cluster" }
  | { kind: "compare" }
  | { kind: "offline"; resultId: number; engine: EngineName; bytes?: Uint8Array; text?: string }
  /** Open a connection of the loaded tcpdump capture; `request`: the query whose rows to show. */
  | { kind: "conversation"; resultId: number; engine: EngineName; conn: string; request?: number }
  | { kind: "export" }
  /** The shown result as an Arrow IPC stream, with a summary of each column read back from it. */
  | { kind: "arrow" };

/** One column of the Arrow download, read back from its bytes: its type, nulls, and for numbers min/max/sum. */
export interface ArrowColumnSummary {
  name: string;
  type: string;
  nulls: number;
  min?: string;
  max?: string;
  sum?: string;
}

export type FromWorker =
  | { kind: "ready"; wasm: string }
  | { kind: "connection"; state: "connecting" | "connected" | "closed"; detail: string }
  | { kind: "progress"; progress: Progress }
  | { kind: "frames"; frames: FrameSummary[]; dropped: number }
  | { kind: "window"; resultId: number; start: number; rows: CellView[][] }
  | { kind: "frame"; seq: number; direction: FrameDirection; bytes: Uint8Array | null; source: "live" | "offline" }
  | { kind: "cluster"; members: { id: string; address: string; role: string }[]; leader: { id: string; address: string } }
  | { kind: "compare"; timings: EngineTiming[]; identical: boolean; frames: number; bytes: number }
  | { kind: "offline"; resultId: number; frames: number; rowsFrames: number; note: string }
  | { kind: "connections"; connections: ConnectionView[]; summary: string }
  | { kind: "export"; text: string }
  | { kind: "arrow"; bytes: Uint8Array; rows: number; columns: ArrowColumnSummary[] }
  | { kind: "error"; context: "query" | "cluster" | "compare" | "offline" | "connection" | "worker" | "arrow"; error: ErrorView };
