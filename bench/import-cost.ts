// `npm run bench -- --import-cost [--runs N] [--json]`: what importing the package costs a
// program that starts cold. Builds dist/ (npm run build), then times fresh Node processes: each
// entry point imported by its package name (`node --input-type=module -e 'await
// import("dqlite-wire/client")'`, resolved through the exports map as a user's import is), the
// command line decoding one frame, and `node -e ''` beside them. The cases take turns, round
// after round, so that a busy machine slows them alike; each figure is the median of N processes
// (5 by default), printed beside the bare Node's median of the same rounds. Two figures per case:
// the wall time of the process, and the CPU time it used (user + system, every thread, read at
// exit by a CommonJS preload that costs nothing measurable), which a machine busy with other work
// disturbs far less than the wall time.

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
  // One warm-up round: the files in the page cache, as for any program started twice.
  for (let round = -1; round < runs; round++) {
    roots.forEach((root, r) => {
      CASES.forEach(({ name, args }, i) => {
        const start = process.hrtime.bigint();
        const run = spawnSync(process.execPath, ["-r", preloads[r]!, ...args], {
          cwd: root,
          stdio: ["ignore", "ignore", "pipe"],
          encoding: "utf8",
        });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const cpuUs = /cpu-us (\d+)/.exec(run.stderr)?.[1];
        if (run.status !== 0 || cpuUs === undefined) throw new Error(`${root}: ${name}: exit ${run.status}: ${run.stderr}`);
        if (round < 0) return;
        times[r]![i]!.push(ms);
        cpu[r]![i]!.push(Number(cpuUs) / 1000);
      });
    });
  }
  return roots.map((_, r) => {
    const bare = median(times[r]![0]!);
    const bareCpu = median(cpu[r]![0]!);
    return CASES.map(({ name }, i) => ({
      name,
      medianMs: median(times[r]![i]!),
      overBareMs: median(times[r]![i]!) - bare,
      runsMs: times[r]![i]!,
      cpuMedianMs: median(cpu[r]![i]!),
      cpuOverBareMs: median(cpu[r]![i]!) - bareCpu,
    }));
  });
}

export function importCostTable(cases: readonly ImportCostCase[]): string {
  const width = Math.max(...cases.map((c) => c.name.length));
  const ms = (value: number, signed: boolean) => `${signed && value >= 0 ? "+" : ""}${value.toFixed(1)}`.padStart(7);
  const lines = cases.map(
    (c, i) =>
      `${c.name.padEnd(width)}  ${ms(c.medianMs, false)} ${i === 0 ? "       " : ms(c.overBareMs, true)}   ${ms(c.cpuMedianMs, false)} ${i === 0 ? "" : ms(c.cpuOverBareMs, true)}`,
  );
  return [
    `cold start, median of ${cases[0]!.runsMs.length} fresh processes per case (the cases take turns), ms:`,
    `${"".padEnd(width)}     wall  vs bare       cpu  vs bare`,
    ...lines,
  ].join("\n");
}
