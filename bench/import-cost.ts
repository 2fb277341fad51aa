// `npm run bench -- --import-cost [--runs N] [--json]`: what importing the package costs a
// program that starts cold. Builds dist/ (npm run build), then times fresh Node processes: each
// entry point imported by its package name (`node --input-type=module -e 'await
// import("dqlite-wire/client")'`, resolved through the exports map as a user's import is), the
// command line decoding one frame, and `node -e ''` beside them. The cases take turns, round
// after round, in an order shuffled each round (a fixed order gave the first case of a round a
// bias of its own), so that a busy machine slows them alike. Each case's figure is the median of
// N processes (5 by default); its cost over bare Node is the median of its differences to the
// bare Node of the same round, which a burst of load shifts less than a difference of medians.
// Two figures per case: the wall time of the process, and the CPU time it used (user + system,
// every thread, read at exit by a CommonJS preload that costs nothing measurable), which a
// machine busy with other work disturbs far less than the wall time.

import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ImportCostCase {
  name: string;
  /** Median wall time of the process, in ms. */
  medianMs: number;
  /** The median above the bare `node -e ''` of the same rounds. */
  overBareMs: number;
  runsMs: number[];
  /** Median CPU time of the process (user + system), in ms, and above the bare Node's. */
  cpuMedianMs: number;
  cpuOverBareMs: number;
}

/** Written into .tmp: prints the process's CPU time on stderr as it exits. */
const CPU_AT_EXIT = `process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write("\\ncpu-us " + (u.user + u.system) + "\\n"); });\n`;

/** What the cases run; each is a fresh `node` process started in the project root. */
const CASES: readonly { name: string; args: string[] }[] = [
  { name: "node -e ''", args: ["-e", ""] },
  { name: "an empty ES module", args: ["--input-type=module", "-e", "await 0"] },
  ...["dqlite-wire", "dqlite-wire/client", "dqlite-wire/rows", "dqlite-wire/transport", "dqlite-wire/arrow", "dqlite-wire/capture"].map(
    (entry) => ({
      name: `import("${entry}")`,
      args: ["--input-type=module", "-e", `await import(${JSON.stringify(entry)})`],
    }),
  ),
  {
    name: "dqlite-wire decode (one frame)",
    args: ["bin/dqlite-wire.mjs", "decode", "--side", "response", "0100000004000000", "0100000000000000"],
  },
];

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/**
 * Times the cases in each of `roots` (checkouts with node_modules), their rounds interleaved so
 * that two versions of the package meet the same machine: the first root is built first, the
 * others are measured with their dist/ as it is.
 */
export function importCost(roots: readonly string[], runs = 5): ImportCostCase[][] {
  execFileSync(process.execPath, ["scripts/build.mjs"], { cwd: roots[0], stdio: ["ignore", "ignore", "inherit"] });
  const times = roots.map(() => CASES.map(() => [] as number[]));
  const cpu = roots.map(() => CASES.map(() => [] as number[]));
  const preloads = roots.map((root) => {
    mkdirSync(join(root, ".tmp"), { recursive: true });
    writeFileSync(join(root, ".tmp/cpu-at-exit.cjs"), CPU_AT_EXIT);
    return join(root, ".tmp/cpu-at-exit.cjs");
  });
  const random = seededRandom(runs);
  // One warm-up round: the files in the page cache, as for any program started twice.
  for (let round = -1; round < runs; round++) {
    const order = shuffled(
      roots.flatMap((_, r) => CASES.map((_, i) => [r, i] as const)),
      random,
    );
    for (const [r, i] of order) {
      const root = roots[r]!;
      const { name, args } = CASES[i]!;
      const start = process.hrtime.bigint();
      const run = spawnSync(process.execPath, ["-r", preloads[r]!, ...args], {
        cwd: root,
        stdio: ["ignore", "ignore", "pipe"],
        encoding: "utf8",
      });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const cpuUs = /cpu-us (\d+)/.exec(run.stderr)?.[1];
      if (run.status !== 0 || cpuUs === undefined) throw new Error(`${root}: ${name}: exit ${run.status}: ${run.stderr}`);
      if (round < 0) continue;
      times[r]![i]!.push(ms);
      cpu[r]![i]!.push(Number(cpuUs) / 1000);
    }
  }
  /** Per round, the case minus the bare Node of the same root and round. */
  const overBare = (values: number[][], i: number) => median(values[i]!.map((value, round) => value - values[0]![round]!));
  return roots.map((_, r) =>
    CASES.map(({ name }, i) => ({
      name,
      medianMs: median(times[r]![i]!),
      overBareMs: overBare(times[r]!, i),
      runsMs: times[r]![i]!,
      cpuMedianMs: median(cpu[r]![i]!),
      cpuOverBareMs: overBare(cpu[r]!, i),
    })),
  );
}

/** A small deterministic generator (mulberry32), so that a run's order can be told again. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function shuffled<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

export function importCostTable(cases: readonly ImportCostCase[]): string {
  const width = Math.max(...cases.map((c) => c.name.length));
  const ms = (value: number, signed: boolean) => `${signed && value >= 0 ? "+" : ""}${value.toFixed(1)}`.padStart(7);
  const lines = cases.map(
    (c, i) =>
      `${c.name.padEnd(width)}  ${ms(c.medianMs, false)} ${i === 0 ? "       " : ms(c.overBareMs, true)}   ${ms(c.cpuMedianMs, false)} ${i === 0 ? "" : ms(c.cpuOverBareMs, true)}`,
  );
  return [
    `cold start, median of ${cases[0]!.runsMs.length} fresh processes per case (the cases take turns, shuffled each round; "vs bare" is the median of each round's difference), ms:`,
    `${"".padEnd(width)}     wall  vs bare       cpu  vs bare`,
    ...lines,
  ].join("\n");
}
