// The figures of one bridged connection, apart from the connection itself: the public
// declarations of dqlite-wire/bridge name this type, and so reach no module that needs the ws
// package's types (ws is the bridge's runtime dependency; its types are not the package's).

/** Live figures of one connection, for tests and monitoring. */
export interface BridgeConnectionStats {
  id: number;
  client: string;
  target: string;
  bytesToTarget: number;
  bytesToClient: number;
  frames: number;
  /** Bytes queued toward the client now (WebSocket `bufferedAmount`). */
  bufferedToClient: number;
  /** Bytes queued toward the node now (TCP write buffer). */
  bufferedToTarget: number;
  /** Bytes of an incomplete frame held back from the node. */
  heldBytes: number;
  peakBufferedToClient: number;
  peakBufferedToTarget: number;
  /** True while reading from the node is paused because the client is slow. */
  targetPaused: boolean;
  /** True while reading from the client is paused because the node is slow. */
  clientPaused: boolean;
}
