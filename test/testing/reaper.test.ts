// "Leaves no process behind" even when the program that started a node does not stop it: the
// exit hook covers a plain exit, the watchdog covers SIGKILL. The fixture program runs under Bun
// because Node 20 cannot run the .ts sources directly; the reaper code is the same.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const BUN = fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));
const FIXTURE = fileURLToPath(new URL("./fixtures/start-and-linger.ts", import.meta.url));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

/** Runs the fixture and resolves with the node it started, plus its own process. */
async function runFixture(mode: "exit" | "wait") {
  const child = spawn(BUN, [FIXTURE, mode], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]!);
    });
    child.once("exit", (code) => reject(new Error(`fixture exited with ${code} before printing (output: ${out})`)));
  });
  const [pidText, dir] = line.split(" ");
  return { child, pid: Number(pidText), dir: dir! };
}

describe("process reaper", () => {
  it("kills the node and removes its directory when the program exits without stopping it", async () => {
    const { child, pid, dir } = await runFixture("exit");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(await until(() => !isAlive(pid), 20_000)).toBe(true);
    expect(await until(() => !existsSync(dir), 20_000)).toBe(true);
  });

  it("kills the node and removes its directory when the program is SIGKILLed", async () => {
    const { child, pid, dir } = await runFixture("wait");
    expect(isAlive(pid)).toBe(true);
    expect(existsSync(dir)).toBe(true);
    child.kill("SIGKILL");
    expect(await until(() => !isAlive(pid), 20_000)).toBe(true);
    expect(await until(() => !existsSync(dir), 20_000)).toBe(true);
  });
});
