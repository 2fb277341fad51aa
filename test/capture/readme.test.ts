// README's "Captures and the proxy" examples, run: the capture commands print exactly what
// README shows (on the committed real capture), and the proxy session, run against a real node
// on free ports, prints what README shows once times, ports and the node id are set aside.

import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type DqliteNode, startNode } from "../support/nodes.ts";
import { startProxyCli } from "../proxy/proxy-helpers.ts";
import { goShell } from "./tcpdump-rig.ts";

interface Step {
  command: string;
  output: string[];
}

/** The ```console blocks of README's section: each "$ command" and the lines after it. */
function consoleBlocks(): Step[][] {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.indexOf("## Captures and the proxy");
  if (start < 0) throw new Error("README has no 'Captures and the proxy' section");
  const section = readme.slice(start, readme.indexOf("\n## ", start + 3));
  return [...section.matchAll(/```console\n([\s\S]*?)```/g)].map((block) => {
    const steps: Step[] = [];
    for (const line of block[1]!.split("\n")) {
      if (line.startsWith("$ ")) steps.push({ command: line.slice(2), output: [] });
      else if (line !== "") steps.at(-1)!.output.push(line);
    }
    return steps;
  });
}

const run = (command: string) =>
  execFileSync("bash", ["-c", `{ ${command.replace(/^dqlite-wire /, "node bin/dqlite-wire.mjs ")} ; } 2>&1`], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line !== "");

let node: DqliteNode;
let dir: string;

beforeAll(async () => {
  if (!existsSync("dist/src/cli/pcap-command.js")) throw new Error("dist/ is missing: run `npm run build` before the README tests");
  node = await startNode();
  dir = mkdtempSync(join(tmpdir(), "dqlite-wire-readme-"));
});

afterAll(async () => {
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the decode --pcap examples print what README shows", () => {
  const [captureBlock] = consoleBlocks();
  expect(captureBlock!.length).toBe(2);
  for (const step of captureBlock!) expect(run(step.command), step.command).toEqual(step.output);
});

test("the proxy session prints what README shows (times, ports and the node id aside)", async () => {
  const [, proxyBlock] = consoleBlocks();
  const [proxyStep, shellStep, grepStep] = proxyBlock!;
  const shown = /--listen (\S+) --target (\S+) --log (\S+)/.exec(proxyStep!.command)!;
  const [, shownListen, shownNode] = shown;
  const logFile = join(dir, "proxy.jsonl");
  const proxy = await startProxyCli(["--listen", "127.0.0.1:0", "--target", node.address, "--log", logFile]);
  const listen = proxy.listens[0]!;
  const sql = /demo "(.*)"$/.exec(shellStep!.command)![1]!;
  const printed = (await goShell(listen, "demo", sql)).trim().split("\n");
  const { stderr } = await proxy.stop();
  const pattern = /grep -E '(.*)' /.exec(grepStep!.command)![1]!;
  const grepped = execFileSync("grep", ["-E", pattern, logFile], { encoding: "utf8" }).trim().split("\n");
  const normal = (lines: string[], listenAddress: string, nodeAddress: string) =>
    lines.map((line) =>
      line
        .replaceAll(listenAddress, "LISTEN")
        .replaceAll(nodeAddress, "NODE")
        .replace(/127\.0\.0\.1:\d+/g, "CLIENT")
        .replace(/"time":"[^"]+"/g, '"time":"T"')
        .replace(/"id":"?\d+"?/g, '"id":"ID"'),
    );
  expect(normal(stderr.trim().split("\n"), listen, node.address)).toEqual(normal(proxyStep!.output, shownListen!, shownNode!));
  expect(printed).toEqual(shellStep!.output);
  expect(normal(grepped, listen, node.address)).toEqual(normal(grepStep!.output, shownListen!, shownNode!));
}, 60_000);
