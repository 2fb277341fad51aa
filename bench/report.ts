// What the benchmark prints: a table per section for people, one JSON object for machines.

export interface BenchResult {
  data: string;
  engine: string;
  output: string;
  retention: "kept" | "dropped";
  /** Median of the repetitions. */
  rowsPerSec: number;
  bestRowsPerSec: number;
  bytesPerSec: number;
  /** Offline cases: memcpy's time for the same bytes ÷ the case's time (median of repetitions), in %. */
  pctOfMemcpy?: number;
  /** Paired offline cases: median over repetitions of JSON.parse's time ÷ the case's (bench/paired.ts). */
  vsJsonParse?: number;
  /** Paired offline cases: median over repetitions of go-dqlite's time (same retention) ÷ the case's. */
  vsGoDqlite?: number;
  /** Live cases: the raw drain's time ÷ the case's time, in % (medians; best in bestPctOfDrain). */
  pctOfDrain?: number;
  bestPctOfDrain?: number;
  /** Live cases: the raw drain's rate in the same run (a ratio holds only with the node at full speed). */
  drainRowsPerSec?: number;
}

const fmt = (n: number, digits: number) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function printTable(headers: string[], rows: string[][], log: (line: string) => void): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  log(headers.map((h, i) => h.padEnd(widths[i]!)).join("  "));
  for (const row of rows) log(row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "));
}

/** The offline table: rates, % of memcpy, and ratios to JSON.parse and to go-dqlite (same retention). */
export function offlineTable(results: BenchResult[], log: (line: string) => void): void {
  const rows: string[][] = [];
  for (const r of results) {
    const json = results.find((o) => o.data === r.data && o.engine === "JSON.parse");
    const go = results.find((o) => o.data === r.data && o.engine === "go-dqlite" && o.retention === r.retention);
    // Paired runs carry their ratios (medians of pairs); otherwise the ratio of the medians.
    const vsJson = r.vsJsonParse ?? (json === undefined || r === json ? undefined : r.rowsPerSec / json.rowsPerSec);
    const vsGo = r.vsGoDqlite ?? (go === undefined || r.engine === "go-dqlite" ? undefined : r.rowsPerSec / go.rowsPerSec);
    rows.push([
      r.data,
      r.engine,
      r.output,
      r.retention,
      fmt(r.rowsPerSec / 1e6, 2),
      fmt(r.bestRowsPerSec / 1e6, 2),
      r.pctOfMemcpy === undefined ? "" : fmt(r.pctOfMemcpy, 2),
      vsJson === undefined ? "" : `${fmt(vsJson, 2)}×`,
      vsGo === undefined ? "" : `${fmt(vsGo, 2)}×`,
    ]);
  }
  printTable(["data", "engine", "output", "retention", "Mrows/s median", "best", "% memcpy", "vs JSON.parse", "vs go-dqlite"], rows, log);
}

/**
 * The live table: rates and % of the raw drain of the same query, with the drain's own rate on
 * every line: a live ratio holds only with the node draining at full speed (a slow node hides
 * the client's decoding behind it).
 */
export function liveTable(results: BenchResult[], log: (line: string) => void): void {
  const rows = results.map((r) => [
    r.data,
    r.engine,
    r.output,
    r.retention,
    fmt(r.rowsPerSec / 1e6, 2),
    fmt(r.bestRowsPerSec / 1e6, 2),
    r.pctOfDrain === undefined ? "" : fmt(r.pctOfDrain, 1),
    r.bestPctOfDrain === undefined ? "" : fmt(r.bestPctOfDrain, 1),
    r.drainRowsPerSec === undefined ? "" : fmt(r.drainRowsPerSec / 1e6, 2),
  ]);
  printTable(["data", "path", "output", "retention", "Mrows/s median", "best", "% drain median", "best", "drain Mrows/s"], rows, log);
}
