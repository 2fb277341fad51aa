#!/usr/bin/env node
// Runs every test step of the project and sums their results into one closing line,
// "N passed, N failed". Each step is a command plus a way to count what it checked.
// Steps run one after another (2-core machines); all run even when one fails.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

const only = (() => {
  const i = process.argv.indexOf("--only");
  return i > 0 ? new Set(process.argv[i + 1].split(",")) : undefined;
})();

mkdirSync(".tmp", { recursive: true });

/** One check per step that passes when the command exits 0. */
const byExitCode = (status) => (status === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 });

/**
 * Counts of a vitest JSON report. A test file that failed without a failing test (an import
 * error, a failing hook) counts as one failure; a skipped or todo test counts as a failure too,
 * since a skip must never read as a pass.
 */
function vitestCounts(file) {
  return (status) => {
    if (!existsSync(file)) return { passed: 0, failed: 1, note: "no vitest report (the run crashed)" };
    const report = JSON.parse(readFileSync(file, "utf8"));
    const brokenFiles = (report.testResults ?? []).filter(
      (suite) => suite.status === "failed" && !(suite.assertionResults ?? []).some((t) => t.status === "failed"),
    ).length;
    const counts = {
      passed: report.numPassedTests,
      failed: report.numFailedTests + brokenFiles + report.numPendingTests + report.numTodoTests,
    };
    if (status !== 0 && counts.failed === 0) counts.failed = 1; // an error outside any test
    return counts;
  };
}

/** Counts of a "N passed, N failed" last line (fuzz, runtime scripts and the like). */
function closingLine(status, output) {
  const match = [...output.matchAll(/(\d+) passed, (\d+) failed/g)].pop();
  if (!match) return byExitCode(status);
  const counts = { passed: Number(match[1]), failed: Number(match[2]) };
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

const steps = [
  { name: "typecheck", command: ["npm", "run", "--silent", "typecheck"], count: byExitCode },
  {
    name: "vitest",
    command: ["npx", "vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=.tmp/vitest.json"],
    before: () => rmSync(".tmp/vitest.json", { force: true }),
    count: vitestCounts(".tmp/vitest.json"),
  },
  {
    name: "cli-contract",
    command: ["node", "../shared/tools/cli-contract.mjs"],
    when: () => existsSync("../shared/tools/cli-contract.mjs"),
    count: byExitCode,
  },
  { name: "runtimes", command: ["node", "scripts/test-runtimes.mjs"], when: () => existsSync("scripts/test-runtimes.mjs"), count: closingLine },
  { name: "e2e", command: ["node", "test/e2e/run.mjs"], when: () => existsSync("test/e2e/run.mjs"), count: closingLine },
  // The packed tarball installed into an empty project: CLI, entry points, types, bundle sizes.
  { name: "package", command: ["node", "scripts/test-package.mjs"], when: () => existsSync("scripts/test-package.mjs"), count: closingLine },
  // A short fixed-seed fuzz run; it counts as one check (its own line counts inputs).
  { name: "fuzz", command: ["npm", "run", "--silent", "fuzz", "--", "--quick", "--seed", "1", "--no-save"], when: () => existsSync("fuzz/main.ts"), count: byExitCode },
];

function run(command) {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
    let output = "";
    child.stdout.on("data", (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      output += d;
      process.stderr.write(d);
    });
    child.on("close", (status) => resolve({ status: status ?? 1, output }));
  });
}

let passed = 0;
let failed = 0;
const summary = [];
for (const step of steps) {
  if (only && !only.has(step.name)) continue;
  if (step.when && !step.when()) continue;
  step.before?.();
  const started = Date.now();
  process.stdout.write(`\n=== ${step.name}: ${step.command.join(" ")}\n`);
  const { status, output } = await run(step.command);
  const counts = step.count(status, output);
  passed += counts.passed;
  failed += counts.failed;
  summary.push(`${step.name}: ${counts.passed} passed, ${counts.failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)${counts.note ? ` — ${counts.note}` : ""}`);
}
process.stdout.write(`\n${summary.join("\n")}\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
