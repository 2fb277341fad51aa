// How int64 cells reach JavaScript. `number` (the default) never rounds: an integer outside
// ±(2^53 - 1) is an UNSAFE_INTEGER error, never a nearby value. Same modes as @libsql/client.

export type IntMode = "number" | "bigint" | "string";

export const INT_MODES: readonly IntMode[] = ["number", "bigint", "string"];

export function isIntMode(value: unknown): value is IntMode {
  return value === "number" || value === "bigint" || value === "string";
}

export const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);
export const MIN_SAFE_BIGINT = -MAX_SAFE_BIGINT;
