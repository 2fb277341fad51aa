#!/usr/bin/env node
// Runs every test step of the project and sums their results into one closing line,
// "N passed, N failed". Each step is a command plus a way to count what it checked.
// Steps run one after another (2-core machines); all run even when one fails.
//
// Nothing is skipped quietly: a step whose files are missing, a step that crashes (no report,
// killed by a signal, cannot start) and a step that prints no counts each count as a failure,
// with a line saying why.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";

/** The folder every checkout shares (../shared, or beside the checkout this one was cloned from). */
const SHARED = execFileSync("bash", ["scripts/shared-dir.sh"], { encoding: "utf8" }).trim();

const only = (() => {
  const i = process.argv.indexOf("--only");
  return i > 0 ? new Set((process.argv[i + 1] ?? "").split(",").filter(Boolean)) : undefined;
})();

mkdirSync(".tmp", { recursive: true });

/** One check per step that passes when the command exits 0. */
const byExitCode = ({ status }) => (status === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 });

/**
 * Counts of a vitest JSON report. A test file that failed without a failing test (an import
 * error, a failing hook) counts as one failure; a skipped or todo test counts as a failure too,
 * since a skip must never read as a pass.
 */
function vitestCounts(file) {
  return ({ status }) => {
    if (!existsSync(file)) return { passed: 0, failed: 1, note: `no vitest report at ${file} (the run crashed)` };
    let report;
    try {
      report = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      return { passed: 0, failed: 1, note: `the vitest report ${file} is not JSON (${error.message})` };
    }
    const brokenFiles = (report.testResults ?? []).filter(
      (suite) => suite.status === "failed" && !(suite.assertionResults ?? []).some((t) => t.status === "failed"),
    ).length;
    const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    const counts = {
      passed: report.numPassedTests ?? 0,
      failed: (report.numFailedTests ?? 0) + brokenFiles + skipped,
    };
    const notes = [];
    if (skipped > 0) notes.push(`${skipped} skipped or todo tests counted as failures`);
    if (brokenFiles > 0) notes.push(`${brokenFiles} test files failed outside any test`);
    if (status !== 0 && counts.failed === 0) {
      counts.failed = 1; // an error outside any test (an unhandled rejection, a crashed worker)
      notes.push(`vitest exited ${status} with no failing test`);
    }
    if (counts.passed + counts.failed === 0) {
      counts.failed = 1;
      notes.push("vitest ran no tests");
    }
    return notes.length > 0 ? { ...counts, note: notes.join("; ") } : counts;
  };
}

/** Counts of a "N passed, N failed" last line (e2e, the package check and the like). */
function closingLine({ status, signal, output }) {
  const match = [...output.matchAll(/(\d+) passed, (\d+) failed/g)].pop();
  if (!match) return { passed: 0, failed: 1, note: `printed no "N passed, N failed" line${signal ? "" : ` (exit ${status})`}` };
  const counts = { passed: Number(match[1]), failed: Number(match[2]) };
  if (status !== 0 && counts.failed === 0) return { ...counts, failed: 1, note: `exited ${status} with no failure counted` };
  if (counts.passed + counts.failed === 0) return { ...counts, failed: 1, note: "counted no checks" };
  return counts;
}

// `needs`: the files a step runs; a missing one fails the step (never a quiet skip).
const steps = [
  { name: "typecheck", command: ["npm", "run", "--silent", "typecheck"], count: byExitCode },
  // The formatter's and the linter's verdict on the whole tree (biome.jsonc): `npm run format` fixes the first.
  { name: "lint", command: ["npx", "biome", "ci", "--colors=off", "."], count: byExitCode },
  {
    // Includes the runtime tests (test/runtimes, test/session/runtimes, test/rows/runtimes,
    // test/arrow/runtimes run Deno, Bun and Node 22/24 from vitest files).
    name: "vitest",
    command: ["npx", "vitest", "run", "--reporter=default", "--reporter=json", "--outputFile.json=.tmp/vitest.json"],
    needs: ["vitest.config.ts"],
    before: () => rmSync(".tmp/vitest.json", { force: true }),
    count: vitestCounts(".tmp/vitest.json"),
  },
  // The CLI contract lives in the folder every checkout shares (scripts/shared-dir.sh).
  {
    name: "cli-contract",
    command: ["node", `${SHARED}/tools/cli-contract.mjs`],
    needs: [`${SHARED}/tools/cli-contract.mjs`],
    count: byExitCode,
  },
  { name: "e2e", command: ["node", "test/e2e/run.mjs"], needs: ["test/e2e/run.mjs"], count: closingLine },
  // The packed tarball installed into an empty project: CLI, entry points, types, bundle sizes.
  { name: "package", command: ["node", "scripts/test-package.mjs"], needs: ["scripts/test-package.mjs"], count: closingLine },
  // A short fixed-seed fuzz run; it counts as one check (its own line counts inputs).
  {
    name: "fuzz",
    command: ["npm", "run", "--silent", "fuzz", "--", "--quick", "--seed", "1", "--no-save"],
    needs: ["fuzz/main.ts"],
    count: byExitCode,
  },
];

/** Runs a command; `status` is its exit code, or null with `signal` or `error` when it had none. */
function run(command) {
  return new Promise((resolve) => {
    let output = "";
    let error;
    const child = spawn(command[0], command.slice(1), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: "0" } });
    child.stdout.on("data", (d) => {
      output += d;
      process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      output += d;
      process.stderr.write(d);
    });
    child.on("error", (e) => (error = e)); // could not start; "close" still follows
    child.on("close", (status, signal) => resolve({ status, signal, error, output }));
  });
}

/** Why a run is a crash rather than a result, or undefined. */
function crashOf({ status, signal, error }) {
  if (error) return `could not run: ${error.message}`;
  if (signal) return `killed by ${signal}`;
  if (status === null) return "ended without an exit status";
  return undefined;
}

const results = [];
if (only) {
  for (const name of only) {
    if (!steps.some((s) => s.name === name)) {
      process.stdout.write(`\n=== ${name}: FAILED — no such step (steps: ${steps.map((s) => s.name).join(", ")})\n`);
      results.push({ name, passed: 0, failed: 1, seconds: 0, note: "no such step" });
    }
  }
}
for (const step of steps) {
  if (only && !only.has(step.name)) continue;
  const missing = (step.needs ?? []).filter((file) => !existsSync(file));
  if (missing.length > 0) {
    const note = `missing ${missing.join(", ")} (from ${process.cwd()})`;
    process.stdout.write(`\n=== ${step.name}: FAILED — ${note}\n`);
    results.push({ name: step.name, passed: 0, failed: 1, seconds: 0, note });
    continue;
  }
  step.before?.();
  const started = Date.now();
  process.stdout.write(`\n=== ${step.name}: ${step.command.join(" ")}\n`);
  const outcome = await run(step.command);
  const crash = crashOf(outcome);
  const counted = step.count({ ...outcome, status: outcome.status ?? 1 });
  const counts = crash
    ? { passed: counted.passed, failed: Math.max(1, counted.failed), note: [...new Set([crash, counted.note].filter(Boolean))].join("; ") }
    : counted;
  results.push({ name: step.name, ...counts, seconds: (Date.now() - started) / 1000 });
}

const passed = results.reduce((n, r) => n + r.passed, 0);
const failed = results.reduce((n, r) => n + r.failed, 0);
process.stdout.write("\n");
for (const r of results) {
  process.stdout.write(`${r.name}: ${r.passed} passed, ${r.failed} failed (${r.seconds.toFixed(1)} s)${r.note ? ` — ${r.note}` : ""}\n`);
}
// One line with every step's counts (passed/failed), then the closing line scripts parse.
process.stdout.write(`steps (passed/failed): ${results.map((r) => `${r.name} ${r.passed}/${r.failed}`).join(", ") || "none"}\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
