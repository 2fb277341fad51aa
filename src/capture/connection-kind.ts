// What a TCP connection of the capture turned out to be, for the summary.

export type ConnectionKind =
  /** A dqlite client conversation, decoded. */
  | "dqlite"
  /** TLS: the client's first bytes are a ClientHello. Not decoded. */
  | "tls"
  /** Raft traffic between nodes: a CONNECT request, then raft's own protocol. Not decoded. */
  | "raft"
  /** Some other protocol: the client's first bytes are not a dqlite handshake. */
  | "other"
  /** Began before the capture, on a port not known to be dqlite's (give --port). */
  | "unknown-start"
  /** No payload in either direction. */
  | "empty"
  /** The connection table was full when it began. */
  | "untracked";

export const CONNECTION_KIND_TEXT: Record<ConnectionKind, string> = {
  dqlite: "dqlite conversations",
  tls: "TLS (not decoded)",
  raft: "raft traffic between nodes (CONNECT, then raft's protocol; not decoded)",
  other: "not dqlite (no dqlite handshake)",
  "unknown-start": "began before the capture on a port not known to be dqlite's (pass --port)",
  empty: "no payload",
  untracked: "not tracked: the connection cap was reached",
};
