/// <reference types="node" />
// Who may open a bridged connection. Everything here is decided from the HTTP upgrade request
// alone, before the bridge opens any TCP connection: the caps first (cheap), then the Origin (a
// browser page from elsewhere), then the token, and only then the target, so a client without
// the token learns nothing about the allow-list.

import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { BRIDGE_TOKEN_SUBPROTOCOL_PREFIX, BridgeCloseCode } from "../transport/bridge-protocol.ts";
import type { ResolvedBridgeOptions } from "./options.ts";

export interface Admitted {
  admitted: true;
  client: string;
  origin: string | null;
  target: string;
}

export interface Refused {
  admitted: false;
  client: string;
  origin: string | null;
  /** The target the client asked for, or null when it asked for none. */
  requestedTarget: string | null;
  /** WebSocket close code for clients refused after the upgrade. */
  code: number;
  /** HTTP status for clients refused without an upgrade. */
  httpStatus: number;
  reason: string;
}

export type Admission = Admitted | Refused;

/** How many bridged connections exist, in total and per client address. */
export interface ConnectionCounts {
  total: number;
  fromClient(client: string): number;
}

export function admit(request: IncomingMessage, options: ResolvedBridgeOptions, counts: ConnectionCounts): Admission {
  const client = request.socket.remoteAddress ?? "unknown";
  const originHeader = request.headers.origin;
  const origin = typeof originHeader === "string" ? originHeader : null;
  const requestedTarget = targetFromUrl(request.url);
  const refuse = (code: number, httpStatus: number, reason: string): Refused => ({
    admitted: false,
    client,
    origin,
    requestedTarget,
    code,
    httpStatus,
    reason,
  });

  if (counts.total >= options.maxConnections) {
    return refuse(BridgeCloseCode.TooManyConnections, 503, `bridge connection limit reached (${options.maxConnections})`);
  }
  if (counts.fromClient(client) >= options.maxConnectionsPerClient) {
    return refuse(
      BridgeCloseCode.TooManyConnectionsFromClient,
      429,
      `connection limit per client reached (${options.maxConnectionsPerClient} from ${client})`,
    );
  }
  if (origin === null) {
    if (!options.allowMissingOrigin) return refuse(BridgeCloseCode.ForbiddenOrigin, 403, "an Origin header is required");
  } else if (!options.origins.has(origin)) {
    return refuse(BridgeCloseCode.ForbiddenOrigin, 403, `origin ${truncate(origin)} is not allowed`);
  }
  const offered = offeredToken(request.headers["sec-websocket-protocol"]);
  if (offered === undefined) {
    return refuse(BridgeCloseCode.Unauthorized, 401, `no token offered (subprotocol ${BRIDGE_TOKEN_SUBPROTOCOL_PREFIX}<token>)`);
  }
  if (!tokensEqual(offered, options.token)) return refuse(BridgeCloseCode.Unauthorized, 401, "wrong token");
  if (requestedTarget === null) return { admitted: true, client, origin, target: options.targets[0]! };
  if (!options.targets.includes(requestedTarget)) {
    return refuse(BridgeCloseCode.ForbiddenTarget, 403, `target ${truncate(requestedTarget)} is not allowed`);
  }
  return { admitted: true, client, origin, target: requestedTarget };
}

/** The `target` query parameter, or null if absent or empty. */
function targetFromUrl(url: string | undefined): string | null {
  if (url === undefined) return null;
  let parsed: URL;
  try {
    // Only the query matters; the base just makes a path-only URL parseable.
    parsed = new URL(url, "http://bridge.invalid");
  } catch {
    return null;
  }
  const target = parsed.searchParams.get("target");
  return target === null || target === "" ? null : target;
}

/** The token carried in the offered subprotocols, if any. */
function offeredToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const protocol of header.split(",")) {
    const name = protocol.trim();
    if (name.startsWith(BRIDGE_TOKEN_SUBPROTOCOL_PREFIX)) return name.slice(BRIDGE_TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}

/**
 * Compares in time independent of where the strings differ. Hashing first gives both sides the
 * same length, so the length of the real token does not leak either.
 */
function tokensEqual(offered: string, expected: string): boolean {
  const a = createHash("sha256").update(offered).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Keeps client-chosen strings short in close reasons (which are capped at 123 bytes) and logs. */
function truncate(text: string): string {
  const MAX_CHARS = 60;
  return JSON.stringify(text.length > MAX_CHARS ? text.slice(0, MAX_CHARS) + "…" : text);
}
