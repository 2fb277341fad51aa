// `dqlite-wire decode --pcap` as scripts use it (the built bin): one JSON line per record, the
// summary on stderr, exit statuses, stdin, a damaged file, usage errors, --help.

import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { readPcap, writePcap } from "./pcap-edit.ts";

const FIXTURE = "test/capture/fixtures/go-shell.pcap";

function cli(args: string[], input?: Uint8Array) {
  if (!existsSync("dist/src/cli/pcap-command.js")) throw new Error("dist/ is missing: run `npm run build` before the CLI tests");
  return spawnSync(process.execPath, ["bin/dqlite-wire.mjs", ...args], {
    input,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
}

const lines = (text: string) =>
  text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test("a real capture: handshakes, requests and responses as JSON lines, exit 0, a summary on stderr", () => {
  const r = cli(["decode", "--pcap", FIXTURE]);
  expect(r.status, r.stderr).toBe(0);
  const out = lines(r.stdout);
  expect(out).toHaveLength(4 + 24 + 24);
  expect(out.every((line) => line["ok"] === true)).toBe(true);
  expect(out.filter((line) => line["handshake"] !== undefined)).toHaveLength(4);
  expect(out.filter((line) => line["answers"] !== undefined).every((line) => line["answers"] !== null)).toBe(true);
  expect(r.stderr).toContain("dqlite: 4 conversations, 24 requests, 24 responses");
});

test("--summary json, --pcap - (stdin), --int-mode number", () => {
  const r = cli(["decode", "--pcap", "-", "--summary", "json", "--int-mode", "number"], new Uint8Array(readFileSync(FIXTURE)));
  expect(r.status, r.stderr).toBe(0);
  const summary = JSON.parse(r.stderr) as Record<string, unknown>;
  expect(summary).toMatchObject({ format: "pcap", packets: 139, requests: 24, responses: 24, connections: { dqlite: 4 }, lostBytes: 0 });
  const leader = lines(r.stdout).find(
    (line) => (line["message"] as { type?: string } | undefined)?.type === "LEADER" && line["direction"] === "response",
  )!;
  expect(typeof (leader["message"] as { id: unknown }).id).toBe("string"); // beyond 2^53: a string even with --int-mode number
});

test("a damaged file: what came before is printed, the damage reported on stderr, exit 1", () => {
  const bytes = new Uint8Array(readFileSync(FIXTURE));
  const cut = bytes.slice(0, 6000);
  const r = cli(["decode", "--pcap", "-"], cut);
  expect(r.status).toBe(1);
  expect(lines(r.stdout).length).toBeGreaterThan(10);
  expect(r.stderr).toMatch(/the file could not be read to its end: pcap: the file ends inside a record/);
  const text = cli(["decode", "--pcap", "-"], new TextEncoder().encode("> 0100000000000000\n"));
  expect(text.status).toBe(1);
  expect(text.stdout).toBe("");
  expect(text.stderr).toContain("neither pcap nor pcapng");
});

test("usage errors exit 2; --help exits 0 with the options", () => {
  expect(cli(["decode", "--pcap", FIXTURE, "--port", "http"]).status).toBe(2);
  expect(cli(["decode", "--pcap", FIXTURE, "--summary", "loud"]).status).toBe(2);
  expect(cli(["decode", "--pcap", "/nonexistent/capture.pcap"]).status).toBe(2);
  const help = cli(["decode", "--pcap", "--help"]);
  expect(help.status).toBe(0);
  expect(help.stdout).toContain("--port N");
  expect(cli(["help", "proxy"]).stdout).toContain("--listen HOST:PORT");
  expect(cli(["proxy", "--target", "127.0.0.1:9001"]).status).toBe(2);
});

test("a capture of more than a few MB reports its progress on stderr", () => {
  // The real capture's packets repeated 500 times, each copy on other client ports (5 MB).
  const file = readPcap(new Uint8Array(readFileSync(FIXTURE)));
  const records = [];
  for (let copy = 0; copy < 500; copy++) {
    for (const record of file.records) {
      const data = record.data.slice();
      const view = new DataView(data.buffer);
      const tcp = 14 + 20;
      for (const at of [tcp, tcp + 2]) if (view.getUint16(at) !== 37051) view.setUint16(at, 1024 + copy * 4 + (view.getUint16(at) % 4));
      records.push({ ...record, data });
    }
  }
  const dir = mkdtempSync(join(tmpdir(), "dqlite-wire-cli-"));
  try {
    const path = join(dir, "big.pcap");
    writeFileSync(path, writePcap({ ...file, records }));
    const r = cli(["decode", "--pcap", path]);
    expect(r.status, r.stderr).toBe(0);
    const progress = r.stderr.split("\n").filter((line) => /^decode --pcap: \d+% \(/.test(line));
    expect(progress.length).toBeGreaterThanOrEqual(5);
    expect(r.stderr).toContain("dqlite: 2,000 conversations, 12,000 requests, 12,000 responses");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
