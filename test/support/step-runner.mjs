// The small runner of the scripts that check a whole installation step by step (the end-to-end
// test, the packed-package test): named checks that pass or fail, cleanups run in reverse order,
// a watchdog for the whole run, and the closing line "N passed, N failed" (exit 1 when any
// failed, or when nothing passed).

export function createStepRunner({ name, overallTimeoutMs, errorLines = 6, stack = false }) {
  const results = [];
  const cleanups = [];
  const figures = [];

  async function test(title, body) {
    const started = Date.now();
    try {
      await body();
      results.push({ title, ok: true });
      console.log(`  ✓ ${title} (${Date.now() - started} ms)`);
    } catch (error) {
      results.push({ title, ok: false });
      const text = String((stack ? error?.stack : error?.message) ?? error);
      console.log(`  ✗ ${title}\n      ${text.split("\n").slice(0, errorLines).join("\n      ")}`);
    }
  }

  function fail(title) {
    results.push({ title, ok: false });
  }

  async function cleanup() {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        console.log(`  (cleanup: ${error.message})`);
      }
    }
    cleanups.length = 0;
  }

  function finish() {
    for (const line of figures) console.log(`  ${line}`);
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed > 0 || passed === 0 ? 1 : 0);
  }

  const watchdog = setTimeout(async () => {
    fail(`the whole ${name} finished within ${overallTimeoutMs / 1000} s`);
    console.log(`  ✗ the ${name} did not finish within ${overallTimeoutMs / 1000} s`);
    await cleanup();
    finish();
  }, overallTimeoutMs);
  watchdog.unref();
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, async () => {
      await cleanup();
      process.exit(130);
    });
  }

  return { test, fail, cleanup, finish, cleanups, figures };
}

export function assert(condition, message) {
  if (!condition) throw new Error(message);
}

export function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}:\n  expected ${e.slice(0, 800)}\n  got      ${a.slice(0, 800)}`);
}
