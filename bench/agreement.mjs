#!/usr/bin/env node
// Do two runs of the benchmark agree? `node bench/agreement.mjs RUN_A RUN_B` reads the JSON line
// that `npm run bench -- --json` prints last (each argument: a file holding a run's output) and
// puts every ratio of the two runs side by side: each case against JSON.parse of the same rows,
// against go-dqlite with the same retention, and its % of memcpy; each live path's % of the
// drain. A ratio agrees when run B is within ±15 % of run A. The last line says how many agree;
// the exit status is 1 when any does not. With --best, the offline ratios are taken from the
// best repetitions (case's best ÷ reference's best) instead of the medians of the pairs: on a
// shared machine noise only ever adds time, so the bests move less.

import { readFileSync } from "node:fs";

const TOLERANCE = 0.15;

function lastJson(path) {
  const line = readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("{"));
  if (line === undefined) throw new Error(`${path}: no JSON line (run npm run bench -- --json)`);
  return JSON.parse(line);
}

const best = process.argv.includes("--best");

/** Every ratio of one run, by a name that says what it is. */
function ratios(run) {
  const out = new Map();
  const key = (r) => `${r.data} ${r.engine} ${r.output} ${r.retention}`;
  for (const r of run.results) {
    if (r.pctOfDrain !== undefined) {
      if (r.engine !== "raw drain") out.set(`${key(r)}: % of the drain`, r.pctOfDrain / 100);
      continue;
    }
    const json = run.results.find((o) => o.data === r.data && o.engine === "JSON.parse" && o.pctOfDrain === undefined);
    const go = run.results.find((o) => o.data === r.data && o.engine === "go-dqlite" && o.retention === r.retention);
    // Paired runs carry their ratios (medians of pairs); otherwise the ratio of the medians.
    const rate = (o) => (best ? o.bestRowsPerSec : o.rowsPerSec);
    const vsJson = (best ? undefined : r.vsJsonParse) ?? (json !== undefined && r !== json ? rate(r) / rate(json) : undefined);
    const vsGo = (best ? undefined : r.vsGoDqlite) ?? (go !== undefined && r.engine !== "go-dqlite" ? rate(r) / rate(go) : undefined);
    if (vsJson !== undefined) out.set(`${key(r)}: vs JSON.parse`, vsJson);
    if (vsGo !== undefined) out.set(`${key(r)}: vs go-dqlite`, vsGo);
    if (r.pctOfMemcpy !== undefined && !best) out.set(`${key(r)}: % of memcpy`, r.pctOfMemcpy / 100);
  }
  return out;
}

const [pathA, pathB] = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
if (pathA === undefined || pathB === undefined) {
  console.error("usage: node bench/agreement.mjs [--best] RUN_A RUN_B");
  process.exit(2);
}
const a = ratios(lastJson(pathA));
const b = ratios(lastJson(pathB));
let agree = 0;
let differ = 0;
const width = Math.max(...[...a.keys()].map((k) => k.length));
for (const [name, ra] of a) {
  const rb = b.get(name);
  if (rb === undefined) continue;
  const change = rb / ra - 1;
  const ok = Math.abs(change) <= TOLERANCE;
  if (ok) agree++;
  else differ++;
  console.log(
    `${name.padEnd(width)}  ${ra.toFixed(3).padStart(8)}  ${rb.toFixed(3).padStart(8)}  ${(change >= 0 ? "+" : "") + (change * 100).toFixed(1)}%${ok ? "" : "  ← outside ±15 %"}`,
  );
}
console.log(`${agree} ratios agree within ±15 %, ${differ} do not`);
process.exitCode = differ === 0 ? 0 : 1;
