// Timing for the benchmark: each case runs `repeats` repetitions, each on a collected heap (a
// short case runs back to back for 200 ms in a repetition), and memcpy of the same bytes is timed
// right before every repetition, so that each case's ratio to memcpy uses a
// neighbour measured under the same load. Best and median are both kept: on a shared machine the
// best is what the code can do, the median what a run gets.

/** Collects garbage when Node runs with --expose-gc (bench/run.mjs does). */
export function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** Keeps a value alive (and observable) so that the work producing it cannot be dropped. */
let sink: unknown;
export function keep(value: unknown): void {
  sink = value;
}
export function release(): void {
  sink = undefined;
}
export function sunk(): unknown {
  return sink;
}

export interface Timing {
  /** Seconds of each repetition, in run order. */
  seconds: number[];
  best: number;
  median: number;
}

export function timing(seconds: number[]): Timing {
  const sorted = [...seconds].sort((a, b) => a - b);
  return { seconds, best: sorted[0]!, median: sorted[(sorted.length - 1) >> 1]! };
}

/**
 * One repetition: `fn` on a collected heap, run back to back until `minSeconds` have passed (at
 * least once), so that a short case is timed in the steady state a caller runs it in, not just
 * after a forced collection. Returns the seconds of one run. What `fn` returns stays alive until
 * its run is timed, and is dropped before the next run starts (so a kept result never shares the
 * heap with the next one).
 */
export function timeOnce(fn: () => unknown, minSeconds = 0.2): number {
  release();
  collect();
  const started = performance.now();
  let runs = 0;
  let elapsed = 0;
  do {
    release();
    keep(fn());
    runs++;
    elapsed = (performance.now() - started) / 1000;
  } while (elapsed < minSeconds);
  release();
  return elapsed / runs;
}

/**
 * memcpy of `bytes` into a buffer of the same size: the median of the copies made in 50 ms (at
 * least five), in seconds. One copy takes a few ms, so a handful alone would move with every
 * interruption of the machine.
 */
export function memcpySeconds(bytes: Uint8Array, target: Uint8Array): number {
  const copies: number[] = [];
  const started = performance.now();
  while (copies.length < 5 || performance.now() - started < 50) {
    const copyStarted = performance.now();
    target.set(bytes);
    copies.push((performance.now() - copyStarted) / 1000);
  }
  return timing(copies).median;
}

export interface CaseTiming {
  run: Timing;
  /** memcpy timed before each repetition. */
  memcpy: Timing;
  /** memcpy's time ÷ the case's time, per repetition (median and best). */
  pctOfMemcpy: { median: number; best: number };
}

/** Runs a case `repeats` times, each after a memcpy of `bytes` (interleaved). */
export function timeCase(fn: () => unknown, repeats: number, bytes: Uint8Array, target: Uint8Array): CaseTiming {
  timeOnce(fn, 0.3); // warm-up: compiled code and the engine's memory in place
  const runs: number[] = [];
  const copies: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const copy = memcpySeconds(bytes, target);
    const seconds = timeOnce(fn);
    copies.push(copy);
    runs.push(seconds);
    ratios.push((copy / seconds) * 100);
  }
  const pct = timing(ratios);
  return { run: timing(runs), memcpy: timing(copies), pctOfMemcpy: { median: pct.median, best: Math.max(...ratios) } };
}
