/// <reference types="node" />
// Makes sure no dqlite-demo process and no data directory outlives the program that started it.
//
// Two layers, because either alone leaves holes:
// 1. An `exit` hook kills every tracked child synchronously. It runs on a normal exit and on
//    `process.exit()`, but not when this process dies from a signal or SIGKILL.
// 2. A watchdog: one small `sh` per process that reads "pid N"/"dir PATH" lines on its stdin.
//    When this process dies for any reason the pipe closes, `read` sees end-of-file, and the
//    watchdog kills what is still listed and removes the directories. It ignores INT/TERM/HUP
//    so that a Ctrl-C or a test runner's group kill does not take it down before it has
//    cleaned up.

import { spawn, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";

const WATCHDOG_SCRIPT = `
trap '' INT TERM HUP
pids=' '
dirs=' '
while read -r op arg; do
  case "$op" in
    pid) pids="$pids$arg " ;;
    unpid) case "$pids" in *" $arg "*) pids="\${pids%% $arg *} \${pids#* $arg }" ;; esac ;;
    dir) dirs="$dirs$arg " ;;
    undir) case "$dirs" in *" $arg "*) dirs="\${dirs%% $arg *} \${dirs#* $arg }" ;; esac ;;
  esac
done
for p in $pids; do kill -KILL "$p" 2>/dev/null; done
for d in $dirs; do rm -rf -- "$d"; done
`;

const trackedPids = new Set<number>();
const trackedDirs = new Set<string>();
let watchdog: ChildProcess | undefined;
let exitHookInstalled = false;

/** Registers a child process; it is killed if this process exits before `untrackPid`. */
export function trackPid(pid: number): void {
  installExitHook();
  trackedPids.add(pid);
  tellWatchdog(`pid ${pid}`);
}

export function untrackPid(pid: number): void {
  trackedPids.delete(pid);
  tellWatchdog(`unpid ${pid}`);
}

/** Registers a directory to remove if this process exits before `untrackDir`. */
export function trackDir(dir: string): void {
  installExitHook();
  trackedDirs.add(dir);
  // The watchdog splits on whitespace; a path with blanks is left to the exit hook alone.
  if (!/\s/.test(dir)) tellWatchdog(`dir ${dir}`);
}

export function untrackDir(dir: string): void {
  trackedDirs.delete(dir);
  if (!/\s/.test(dir)) tellWatchdog(`undir ${dir}`);
}

/** Kills every tracked process and removes every tracked directory, synchronously. */
export function reapAllNow(): void {
  for (const pid of trackedPids) {
    try {
      process.kill(pid, "SIGKILL"); // also ends a paused (SIGSTOP) process
    } catch {
      // Already gone.
    }
  }
  trackedPids.clear();
  for (const dir of trackedDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort at exit; the watchdog retries.
    }
  }
  trackedDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", reapAllNow);
}

function tellWatchdog(line: string): void {
  const stdin = ensureWatchdog()?.stdin;
  if (stdin === undefined || stdin === null || stdin.destroyed) return;
  stdin.write(`${line}\n`);
}

function ensureWatchdog(): ChildProcess | undefined {
  if (watchdog !== undefined) return watchdog;
  try {
    watchdog = spawn("/bin/sh", ["-c", WATCHDOG_SCRIPT], {
      stdio: ["pipe", "ignore", "ignore"],
      // Its own process group: a signal sent to ours (Ctrl-C) must not reach it.
      detached: true,
    });
  } catch {
    return undefined;
  }
  watchdog.on("error", () => {
    // No /bin/sh: the exit hook still covers normal exits.
  });
  watchdog.stdin?.on("error", () => {});
  // The watchdog must never keep this process alive.
  watchdog.unref();
  (watchdog.stdin as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}
