// FAILURE responses as typed errors, and the predicates callers use to decide what to do next.

import { ConnectionError, ServerError, isWireError } from "../errors.ts";
import { FailureCode } from "../messages/codes.ts";
import type { ResponseOf } from "../messages/types.ts";

/** The ServerError for a FAILURE response. `what` names the call ("exec", "open \"demo\""). */
export function serverErrorFrom(failure: ResponseOf<"FAILURE">, what: string): ServerError {
  // Codes are SQLite (extended) result codes or dqlite's own 1000+ codes: all fit a number.
  const code = Number(failure.errorCode);
  return new ServerError(code, `${what}: ${failure.message} (code ${code})`, { field: "FAILURE" });
}

function codeOf(error: unknown): number | undefined {
  if (error instanceof ServerError) return error.sqliteCode;
  if (isWireError(error) && error.name === "ServerError") return (error as unknown as { sqliteCode: number }).sqliteCode;
  return undefined;
}

/** The node is not the leader (SQLITE_IOERR_NOT_LEADER 10250, or the pre-1.0 8202). */
export function isNotLeader(error: unknown): boolean {
  const code = codeOf(error);
  return code === FailureCode.NotLeader || code === FailureCode.NotLeaderLegacy;
}

/**
 * Leadership was lost while the request ran (SQLITE_IOERR_LEADERSHIP_LOST 10506, or the pre-1.0
 * 8458): a write may or may not have been committed.
 */
export function isLeadershipLost(error: unknown): boolean {
  const code = codeOf(error);
  return code === FailureCode.LeadershipLost || code === FailureCode.LeadershipLostLegacy;
}

/** A write was sent and its reply never came: it may have run. Never resend it blindly. */
export function isOutcomeUnknown(error: unknown): boolean {
  return isWireError(error) && error.code === "OUTCOME_UNKNOWN";
}

/**
 * The error means the connection no longer reaches the leader: the client should find the
 * leader again before its next call (NOT_LEADER, LEADERSHIP_LOST, "no database opened" after a
 * leader change, or a broken connection).
 */
export function needsNewLeader(error: unknown): boolean {
  if (isNotLeader(error) || isLeadershipLost(error)) return true;
  if (error instanceof ConnectionError || (isWireError(error) && error.name === "ConnectionError")) return true;
  return false;
}
