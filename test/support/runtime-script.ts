// Runs a script under another runtime (Deno, Bun) as a child process, for the tests that check
// one source under every runtime. The binaries come from the npm packages `deno` and `bun`.

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Path of a binary installed by an npm package (node_modules/.bin). */
export const runtimeBinary = (name: "deno" | "bun"): string => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));

/** Runs `command args` with extra environment; never rejects: the status tells. */
export function runScript(command: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
