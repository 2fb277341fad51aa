// `dqlite-wire dump` against a real node that listens with mutual TLS: the files it writes open
// in the sqlite3 CLI with the node's rows; existing files are kept unless --force; names from
// the node are checked before anything is written.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmptyDumpError, ExistingFileError, UnsafeFileNameError, runDumpCommand, writeDump } from "../../src/cli/dump-command.ts";
import type { CommandIo } from "../../src/cli/shell-command.ts";
import { connect } from "../../src/client/index.ts";
import { type TlsNode, startTlsNode } from "../../src/testing/tls-node.ts";

const BIN = "bin/dqlite-wire.mjs";
let node: TlsNode;
let scratch: string;
let tlsArgs: string[];

beforeAll(async () => {
  try {
    execFileSync("sqlite3", ["-version"], { stdio: "ignore" });
  } catch {
    throw new Error("the sqlite3 CLI is missing; install it with: apt-get install -y sqlite3 (scripts/setup.sh does)");
  }
  node = await startTlsNode();
  scratch = mkdtempSync(join(tmpdir(), "dqlite-wire-dump-"));
  tlsArgs = ["-c", node.certificate.certFile, "-k", node.certificate.keyFile];
  const client = await connect({ addresses: node.address, tls: { cert: node.certificate.cert, key: node.certificate.key } });
  try {
    const db = await client.open("inventory");
    await db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, qty INTEGER)");
    for (let i = 1; i <= 200; i++) await db.exec("INSERT INTO items (name, qty) VALUES (?, ?)", [`item-${i}`, i * 3]);
    await db.exec("DELETE FROM items WHERE id % 10 = 0");
  } finally {
    await client.close();
  }
}, 60_000);

afterAll(async () => {
  await node?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function captureIo(): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    input: Readable.from([]),
    interactive: false,
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdout: () => out,
    stderr: () => err,
  };
}

async function dump(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await runDumpCommand(args, io);
  return { status, stdout: io.stdout(), stderr: io.stderr() };
}

function sqlite(path: string, sql: string): string {
  return execFileSync("sqlite3", [path, sql], { encoding: "utf8" });
}

describe("dump over TLS", () => {
  it("writes the database and its WAL; sqlite3 opens them and reads the node's rows", async () => {
    const out = join(scratch, "first");
    const result = await dump(["-s", node.address, ...tlsArgs, "inventory", "--out", out]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["inventory", "inventory-wal"]);
    expect(result.stdout).toMatch(/\/first\/inventory \d+ bytes\n.*\/first\/inventory-wal \d+ bytes\n$/);
    expect(statSync(join(out, "inventory")).mode & 0o777).toBe(0o600);
    expect(sqlite(join(out, "inventory"), "SELECT count(*), sum(qty), max(name) FROM items")).toBe("180|54000|item-99\n");
    expect(sqlite(join(out, "inventory"), "PRAGMA integrity_check")).toBe("ok\n");
  });

  it("keeps existing files unless --force (status 1, the files untouched), then overwrites with --force", async () => {
    const out = join(scratch, "second");
    expect((await dump(["-s", node.address, ...tlsArgs, "inventory", "--out", out])).status).toBe(0);
    writeFileSync(join(out, "inventory"), "mine");
    const refused = await dump(["-s", node.address, ...tlsArgs, "inventory", "--out", out]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^Error: .*second\/inventory, .*second\/inventory-wal already exist; --force overwrites\n$/);
    expect(readFileSync(join(out, "inventory"), "utf8")).toBe("mine");
    const forced = await dump(["-s", node.address, ...tlsArgs, "inventory", "--out", out, "--force"]);
    expect(forced.status).toBe(0);
    expect(sqlite(join(out, "inventory"), "SELECT count(*) FROM items")).toBe("180\n");
  });

  it("a database the node does not have (it sends empty files): status 1, nothing written", async () => {
    const out = join(scratch, "none");
    const result = await dump(["-s", node.address, ...tlsArgs, "no_such_db", "--out", out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/only empty files .*no such database.*nothing was written/);
    expect(existsSync(out)).toBe(false);
  });

  it("a certificate the node refuses: status 1, nothing written", async () => {
    const out = join(scratch, "refused");
    const result = await dump([
      "-s",
      node.address,
      "-c",
      node.certificate.certFile,
      "-k",
      node.certificate.keyFile,
      "--ca",
      join(scratch, "nope.crt"),
      "inventory",
      "--out",
      out,
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^Error: --ca .*nope\.crt: ENOENT/);
    const plain = await dump(["-s", node.address, "--timeout", "3000", "inventory", "--out", out]);
    expect(plain.status).toBe(1);
    expect(plain.stderr).toMatch(/TLS/);
    expect(existsSync(out)).toBe(false);
  });

  it("the built CLI: usage errors are status 2, a dump status 0", () => {
    expect(existsSync("dist/src/cli/main.js"), "dist/ is missing: run `npm run build` before the CLI tests").toBe(true);
    const noOut = spawnSync(process.execPath, [BIN, "dump", "-s", node.address, ...tlsArgs, "inventory"], { encoding: "utf8" });
    expect(noOut.status).toBe(2);
    expect(noOut.stderr).toMatch(/^dqlite-wire dump: --out DIR is required/);
    const noDb = spawnSync(process.execPath, [BIN, "dump", "-s", node.address, "--out", scratch], { encoding: "utf8" });
    expect(noDb.status).toBe(2);
    const out = join(scratch, "cli");
    const ok = spawnSync(process.execPath, [BIN, "dump", "-s", node.address, ...tlsArgs, "inventory", "--out", out], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(sqlite(join(out, "inventory"), "SELECT name FROM items WHERE id = 7")).toBe("item-7\n");
  });
});

describe("writeDump checks what the node sent before writing anything", () => {
  const good = { name: "db", content: new Uint8Array(8) };
  for (const name of ["", ".", "..", "../evil", "a/b", "/etc/passwd", "a\\b", "db\0.txt"]) {
    it(`refuses the name ${JSON.stringify(name)}, even beside a good file, and writes nothing`, () => {
      const dir = join(scratch, `names-${Buffer.from(name).toString("hex") || "empty"}`);
      expect(() => writeDump([good, { name, content: new Uint8Array(8) }], dir, true)).toThrow(UnsafeFileNameError);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it("refuses no files and all-empty files; refuses existing targets without force", () => {
    const dir = join(scratch, "checks");
    expect(() => writeDump([], dir, false)).toThrow(EmptyDumpError);
    expect(() => writeDump([{ name: "db", content: new Uint8Array(0) }], dir, false)).toThrow(EmptyDumpError);
    expect(existsSync(dir)).toBe(false);
    writeDump([good], dir, false);
    expect(() => writeDump([good], dir, false)).toThrow(ExistingFileError);
    expect(writeDump([good], dir, true)).toEqual([{ path: join(dir, "db"), bytes: 8 }]);
  });
});
