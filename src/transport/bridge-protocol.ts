// What the WebSocket transport (websocket.ts, portable) and the bridge server (src/bridge/, Node
// only) agree on, defined once: the subprotocol a client offers, how it carries the token, and
// the close codes and reasons the bridge ends a connection with.
//
// It lives in src/transport/ because the client side is portable and must not reach a node:*
// module: the bridge depends downward on this file, never the WebSocket client on the bridge.
// It imports nothing.
//
// The protocol:
// - The client offers the subprotocols "dqlite-wire" and "dqlite-wire.token.<token>"; the bridge
//   answers "dqlite-wire" and never echoes the token. A subprotocol is the one header a browser
//   lets a page set on a WebSocket request, which is why the token travels there and not in the
//   URL (URLs end up in logs and history).
// - The node is chosen with `?target=HOST:PORT`, which the bridge accepts only if allow-listed.
// - Each binary message carries dqlite bytes, split anywhere; text messages are refused.
// - Browsers cannot read the HTTP status of a failed WebSocket upgrade, so the bridge completes
//   the upgrade of a client it refuses and closes it at once with one of the codes below
//   (4000–4999 is the range RFC 6455 leaves to applications) and a reason a page can show: the
//   code says what happened, the reason adds the detail (which Origin, which target, which
//   request type).

export const BridgeCloseCode = {
  /** The client or the bridge ended the connection normally. */
  Normal: 1000,
  /** The bridge is shutting down. */
  GoingAway: 1001,
  /** A text message: the bridge carries binary dqlite frames only. */
  UnsupportedData: 1003,
  /** A WebSocket message larger than the bridge's `maxMessageBytes` (sent by `ws` itself). */
  MessageTooBig: 1009,
  /** No token offered, or not the bridge's token. */
  Unauthorized: 4001,
  /** The page's Origin is not in the bridge's allow-list. */
  ForbiddenOrigin: 4003,
  /** The `?target=` is not in the bridge's allow-list. */
  ForbiddenTarget: 4004,
  /** The bridge already carries its maximum number of connections. */
  TooManyConnections: 4008,
  /** This client address already has its maximum number of connections. */
  TooManyConnectionsFromClient: 4009,
  /** Nothing moved either way for `idleTimeoutMs`. */
  Idle: 4010,
  /** The bytes sent are not valid dqlite request frames (bad handshake, header or body). */
  MalformedFrame: 4011,
  /** A request type the bridge does not forward (cluster changes without allowAdmin, raft-internal). */
  ForbiddenRequest: 4012,
  /** The bridge could not open the TCP connection to the target node. */
  TargetUnreachable: 4013,
  /** The node closed the TCP connection (or it broke). */
  TargetClosed: 4014,
  /** A frame (or the handshake) was started and not finished within `frameTimeoutMs`. */
  SlowFrame: 4015,
  /** A frame larger than the bridge's `maxFrameBytes`. */
  FrameTooLarge: 4016,
} as const;
export type BridgeCloseCode = (typeof BridgeCloseCode)[keyof typeof BridgeCloseCode];

const DESCRIPTIONS: Record<number, string> = {
  [BridgeCloseCode.Normal]: "connection closed",
  [BridgeCloseCode.GoingAway]: "bridge shutting down",
  [BridgeCloseCode.UnsupportedData]: "text messages are not accepted; send binary frames",
  [BridgeCloseCode.MessageTooBig]: "WebSocket message too big",
  [BridgeCloseCode.Unauthorized]: "missing or wrong bridge token",
  [BridgeCloseCode.ForbiddenOrigin]: "page origin not allowed by the bridge",
  [BridgeCloseCode.ForbiddenTarget]: "target not allowed by the bridge",
  [BridgeCloseCode.TooManyConnections]: "bridge connection limit reached",
  [BridgeCloseCode.TooManyConnectionsFromClient]: "per-client connection limit reached",
  [BridgeCloseCode.Idle]: "idle timeout",
  [BridgeCloseCode.MalformedFrame]: "malformed dqlite frame",
  [BridgeCloseCode.ForbiddenRequest]: "request type not allowed through the bridge",
  [BridgeCloseCode.TargetUnreachable]: "cannot reach the dqlite node",
  [BridgeCloseCode.TargetClosed]: "the dqlite node closed the connection",
  [BridgeCloseCode.SlowFrame]: "frame not completed in time",
  [BridgeCloseCode.FrameTooLarge]: "dqlite frame too large",
};

/** A short description of a bridge close code, for messages shown to people. */
export function describeBridgeCloseCode(code: number): string | undefined {
  return DESCRIPTIONS[code];
}

/** True for the codes that mean the bridge refused the client before any byte reached a node. */
export function isBridgeRefusal(code: number): boolean {
  return (
    code === BridgeCloseCode.Unauthorized ||
    code === BridgeCloseCode.ForbiddenOrigin ||
    code === BridgeCloseCode.ForbiddenTarget ||
    code === BridgeCloseCode.TooManyConnections ||
    code === BridgeCloseCode.TooManyConnectionsFromClient
  );
}

/**
 * The refusal close code (isBridgeRefusal) a bridge's close left in `error` or its causes, if any:
 * a connection error whose cause is the close frame (the WebSocket transport's WebSocketCloseInfo).
 */
export function bridgeRefusalOf(error: unknown): BridgeCloseCode | undefined {
  for (let cause = error, depth = 0; typeof cause === "object" && cause !== null && depth < 8; depth++) {
    const code = (cause as { code?: unknown; reason?: unknown }).code;
    if (typeof code === "number" && typeof (cause as { reason?: unknown }).reason === "string" && isBridgeRefusal(code))
      return code as BridgeCloseCode;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The WebSocket subprotocol the bridge speaks; clients offer it first. */
export const BRIDGE_SUBPROTOCOL = "dqlite-wire";

/** Clients carry the bridge token as a second subprotocol: this prefix, then the token. */
export const BRIDGE_TOKEN_SUBPROTOCOL_PREFIX = "dqlite-wire.token.";

/** The subprotocols a client offers to a bridge that uses `token`. */
export function bridgeSubprotocols(token: string): string[] {
  return [BRIDGE_SUBPROTOCOL, BRIDGE_TOKEN_SUBPROTOCOL_PREFIX + token];
}
