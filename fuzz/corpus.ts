// Regression cases: failing inputs (minimised) saved as JSON under test/corpus/regressions/,
// replayed by test/fuzz/corpus.test.ts in CI through the same oracles.

import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Finding, FuzzInput } from "./oracles.ts";
import { fromHex, toHex } from "./same.ts";

export interface SerializedInput {
  side: FuzzInput["side"];
  legacy: boolean;
  allowInternal: boolean;
  splits: number[];
  hex: string;
}

export interface RegressionCase extends SerializedInput {
  /** What the fuzzer saw when it found the input. */
  finding: Finding;
  /** How the input was made (seed name and mutations) and where in the run. */
  origin: string;
  run: { seed: number; index: number };
  /** The input before minimisation. */
  originalHex?: string;
}

export function serializeInput(input: FuzzInput): SerializedInput {
  return { side: input.side, legacy: input.legacy, allowInternal: input.allowInternal, splits: [...input.splits], hex: toHex(input.bytes) };
}

export function deserializeInput(data: SerializedInput): FuzzInput {
  return { side: data.side, legacy: data.legacy, allowInternal: data.allowInternal, splits: [...data.splits], bytes: fromHex(data.hex) };
}

/** A stable short name for a finding, with numbers blanked so one defect maps to one name. */
export function signatureOf(finding: Finding): string {
  return `${finding.kind}|${finding.oracle}|${finding.detail
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/\d+/g, "#")
    .slice(0, 120)}`;
}

function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

export function saveCase(dir: string, entry: RegressionCase): string {
  mkdirSync(dir, { recursive: true });
  const slug = entry.finding.oracle
    .replace(/[^a-z0-9]+/gi, "-")
    .replace(/^-|-$/g, "")
    .toLowerCase()
    .slice(0, 40);
  const file = join(dir, `${entry.finding.kind}-${slug}-${hash(entry.hex)}.json`);
  if (!existsSync(file)) writeFileSync(file, `${JSON.stringify(entry, null, 2)}\n`);
  return file;
}

export function loadCases(dir: string): { file: string; entry: RegressionCase }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .sort()
    .map((file) => ({ file, entry: JSON.parse(readFileSync(join(dir, file), "utf8")) as RegressionCase }));
}
