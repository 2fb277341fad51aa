// What the oracles report, and the small helpers every oracle shares: running a call and
// telling a WireError from anything else thrown, and the caps under which inputs are also tried.

import { isWireError, type WireError } from "../src/errors.ts";
import type { Limits } from "../src/limits.ts";
import type { Side } from "../src/messages/codes.ts";

export type FindingKind = "crash" | "hang" | "mismatch" | "unboundedAllocation";

export interface Finding {
  kind: FindingKind;
  /** Which check failed, e.g. "decodeFrame(response)" or "engines js/wasm". */
  oracle: string;
  detail: string;
}

const SEVERITY: Record<FindingKind, number> = { crash: 0, hang: 1, unboundedAllocation: 2, mismatch: 3 };

/** The finding to minimise and file an input under: crashes first, mismatches last. */
export function gravest(findings: readonly Finding[]): Finding | undefined {
  let out: Finding | undefined;
  for (const finding of findings) if (out === undefined || SEVERITY[finding.kind] < SEVERITY[out.kind]) out = finding;
  return out;
}

export interface FuzzInput {
  /** The side the bytes were made for; the stateless decoder is tried on both sides. */
  side: Side;
  bytes: Uint8Array;
  legacy: boolean;
  allowInternal: boolean;
  /** Where the incremental decoders get the bytes cut, ascending, within [0, bytes.length]. */
  splits: number[];
}

/** Caps small enough that generated and recorded frames hit them. */
export const TIGHT_LIMITS: Readonly<Limits> = Object.freeze({
  maxMessageBytes: 4096,
  maxValueBytes: 24,
  maxParams: 4,
  maxColumns: 3,
  maxRowsPerFrame: 3,
  maxFramesPerResult: 2,
  maxRowsPerResult: 4,
  maxFiles: 2,
  maxNodes: 2,
  maxRowsAffected: 100,
  maxTailOffset: 100,
  maxFailureMessageBytes: 16,
  maxNameBytes: 8,
  maxAddressBytes: 12,
  maxDumpNameBytes: 8,
});

/** The largest allocation one input may cause: a few times its size, plus the stream buffer. */
export function allocationBound(inputBytes: number): number {
  return 4 * inputBytes + 64 * 1024 + 1024;
}

export type Attempt<T> = { ok: T } | { error: WireError } | { crash: unknown };

export function attempt<T>(run: () => T): Attempt<T> {
  try {
    return { ok: run() };
  } catch (error) {
    return isWireError(error) ? { error } : { crash: error };
  }
}

export function describeThrown(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`.slice(0, 300);
  return String(value).slice(0, 300);
}

export function errorKey(error: WireError): string {
  return `${error.name}/${error.code}@${error.offset}`;
}

export class Findings {
  readonly list: Finding[] = [];
  add(kind: FindingKind, oracle: string, detail: string): void {
    this.list.push({ kind, oracle, detail: detail.slice(0, 500) });
  }
  crashIf<T>(result: Attempt<T>, oracle: string): result is { crash: unknown } {
    if ("crash" in result) {
      this.add("crash", oracle, describeThrown(result.crash));
      return true;
    }
    return false;
  }
}
