// How a plain (non-TLS) connection that broke is reported, the same under every runtime.

import { ConnectionError } from "../errors.ts";
import { describe } from "./connect-deadline.ts";

/**
 * A plain connection that broke after it was established. A reset is the node closing the
 * connection while our bytes were unread (a TLS node given plain bytes does that), so it is worded
 * as the close it is: the session's TLS hint looks for "closed the connection".
 */
export function plainBrokenError(peer: string, error: unknown): ConnectionError {
  return new ConnectionError("CONNECTION_CLOSED", `connection to ${peer} broke: ${brokenReason(error)}`, { cause: error });
}

function brokenReason(error: unknown): string {
  return isReset(error) ? `the node closed the connection (${describe(error)})` : describe(error);
}

/**
 * A reset, or a write into a connection the node already closed: ECONNRESET / EPIPE as `code` in
 * Node, Bun and Deno 2, ConnectionReset / BrokenPipe as Deno's error `name`.
 */
function isReset(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return code === "ECONNRESET" || code === "EPIPE" || error.name === "ConnectionReset" || error.name === "BrokenPipe";
}
