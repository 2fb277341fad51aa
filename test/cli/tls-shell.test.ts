// `dqlite-wire shell` and `cluster` against a 3-node cluster that listens with mutual TLS, cross-
// checked byte for byte with the Go shell (/usr/bin/dqlite from go-dqlite 1.11) run with the
// same `-s`, `-c`, `-k` and `-f`, including the MicroK8s way: `-s file://…/cluster.yaml`.

import { execFile, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runClusterCommand } from "../../src/cli/cluster-command.ts";
import { type CommandIo, runShellCommand } from "../../src/cli/shell-command.ts";
import { connect } from "../../src/client/index.ts";
import { type TlsCluster, startTlsCluster } from "../../src/testing/tls-node.ts";
import { startCountingListener } from "../support/counting-listener.ts";

const GO_SHELL = "/usr/bin/dqlite";
const BIN = "bin/dqlite-wire.mjs";
const run = promisify(execFile);

let cluster: TlsCluster;
let leaderAddress: string;
let followerAddress: string;
let store: string;
let tlsArgs: string[];
let scratch: string;

beforeAll(async () => {
  try {
    accessSync(GO_SHELL, constants.X_OK);
  } catch {
    throw new Error(`${GO_SHELL} (the Go dqlite shell) is missing; install it with: apt-get install -y go-dqlite`);
  }
  cluster = await startTlsCluster(3);
  const leader = await cluster.leader();
  leaderAddress = leader.address;
  const follower = cluster.nodes.find((node) => node.address !== leaderAddress)!;
  followerAddress = follower.address;
  // go-dqlite's own node store, as MicroK8s operators point the Go shell at it.
  store = `file://${follower.dir}/cluster.yaml`;
  tlsArgs = ["-c", cluster.certificate.certFile, "-k", cluster.certificate.keyFile];
  scratch = mkdtempSync(join(tmpdir(), "dqlite-wire-tls-cli-"));
  const client = await connect({ addresses: cluster.addresses, tls: { cert: cluster.certificate.cert, key: cluster.certificate.key } });
  try {
    const db = await client.open("k8s");
    await db.exec("CREATE TABLE kine (id INTEGER PRIMARY KEY, name TEXT, value BLOB, ratio REAL, gone)");
    const rows: unknown[][] = [
      [1, "/registry/pods/default/web-0", Uint8Array.of(123, 34, 107, 34, 125), 0.5, null],
      [2, "/registry/services/kube-dns", new Uint8Array(0), { type: "FLOAT", value: 1e21 }, 1],
      [3, "héllo|wörld 😀", Uint8Array.of(0, 255), -1.5e-7, "x"],
    ];
    for (const row of rows) await db.exec("INSERT INTO kine VALUES (?, ?, ?, ?, ?)", row as never);
  } finally {
    await client.close();
  }
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

function captureIo(): CommandIo & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    input: Readable.from([]),
    interactive: false,
    out: (text) => void (out += text),
    err: (text) => void (err += text),
    stdout: () => out,
    stderr: () => err,
  };
}

async function goShell(args: string[]): Promise<string> {
  const { stdout } = await run(GO_SHELL, args, { timeout: 30_000 });
  return stdout;
}

async function ourShell(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const io = captureIo();
  const status = await runShellCommand(args, io);
  return { status, stdout: io.stdout(), stderr: io.stderr() };
}

describe("shell over TLS, byte for byte the Go shell", () => {
  const statements = [
    "SELECT id, name, value, ratio, gone FROM kine ORDER BY id",
    "SELECT count(*), sum(ratio), max(name) FROM kine",
    "SELECT name FROM kine WHERE 0",
    ".leader",
    ".cluster",
  ];
  for (const format of ["tabular", "json"]) {
    for (const sql of statements) {
      it(`-f ${format}: ${sql}`, async () => {
        const args = ["-s", store, ...tlsArgs, "-f", format, "k8s", sql];
        const expected = await goShell(args);
        const ours = await ourShell(args);
        expect(ours.stderr).toBe("");
        expect(ours.status).toBe(0);
        expect(ours.stdout).toBe(expected);
      });
    }
    it(`-f ${format}: .describe ADDRESS of a follower, over a TLS connection of its own`, async () => {
      const args = ["-s", leaderAddress, ...tlsArgs, "-f", format, "k8s", `.describe ${followerAddress}`];
      const expected = await goShell(args);
      const ours = await ourShell(args);
      expect(ours.status).toBe(0);
      expect(ours.stdout).toBe(expected);
      expect(ours.stdout).toContain(format === "json" ? `"FailureDomain": 0` : `${followerAddress}|0|0`);
    });
  }

  it("the built CLI, as an operator types it (MicroK8s style): file:// store, -c, -k, -f json", () => {
    expect(existsSync("dist/src/cli/main.js"), "dist/ is missing: run `npm run build` before the CLI tests").toBe(true);
    const args = ["shell", "-s", store, ...tlsArgs, "-f", "json", "k8s", "SELECT name FROM kine ORDER BY id"];
    const ours = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 30_000 });
    const go = spawnSync(GO_SHELL, args.slice(1), { encoding: "utf8", timeout: 30_000 });
    expect(ours.status).toBe(0);
    expect(ours.stdout).toBe("/registry/pods/default/web-0\n/registry/services/kube-dns\nhéllo|wörld 😀\n");
    expect(ours.stdout).toBe(go.stdout);
  });

  it("cluster lists the three members, the leader marked, from the node store over TLS", async () => {
    const io = captureIo();
    expect(await runClusterCommand(["-s", store, ...tlsArgs, "-f", "json"], io)).toBe(0);
    const listed = JSON.parse(io.stdout()) as {
      leader: { address: string };
      members: { address: string; role: string; leader: boolean }[];
    };
    expect(listed.leader.address).toBe(leaderAddress);
    expect(listed.members.map((member) => member.address).sort()).toEqual([...cluster.addresses].sort());
    expect(listed.members.filter((member) => member.leader).map((member) => member.address)).toEqual([leaderAddress]);
  });
});

describe("shell's TLS and node-store errors", () => {
  it("a plain shell to TLS nodes: status 1, and the error suggests -c/-k", async () => {
    const ours = await ourShell(["-s", leaderAddress, "--timeout", "4000", "k8s", "SELECT 1"]);
    expect(ours.status).toBe(1);
    expect(ours.stderr).toMatch(
      /^Error: no leader found .*closed the connection.*if the nodes listen with TLS.*-c\/-k on the command line/,
    );
  });

  it("-c without -k, or --ca without -c, is a usage error (status 2 in main)", async () => {
    await expect(
      runShellCommand(["-s", leaderAddress, "-c", cluster.certificate.certFile, "k8s", "SELECT 1"], captureIo()),
    ).rejects.toThrow(/both TLS certificate and key must be given/);
    await expect(
      runShellCommand(["-s", leaderAddress, "--ca", cluster.certificate.certFile, "k8s", "SELECT 1"], captureIo()),
    ).rejects.toThrow(/--ca needs -c and -k/);
    const status = spawnSync(process.execPath, [BIN, "shell", "-s", leaderAddress, "-k", cluster.certificate.keyFile, "k8s", "SELECT 1"], {
      encoding: "utf8",
    });
    expect(status.status).toBe(2);
    expect(status.stderr).toBe("dqlite-wire shell: both TLS certificate and key must be given (-c and -k)\n");
  });

  it("certificate files that cannot be read or used: status 1, the file named, nothing dialled", async () => {
    const garbage = join(scratch, "garbage.crt");
    writeFileSync(garbage, "not a certificate\n");
    const cases: [string[], RegExp][] = [
      [["-c", join(scratch, "missing.crt"), "-k", cluster.certificate.keyFile], /^Error: -c .*missing\.crt: ENOENT/],
      [["-c", garbage, "-k", cluster.certificate.keyFile], /^Error: cannot use .*garbage\.crt, .*: TLS: tls\.cert holds no PEM block/],
      [
        ["-c", cluster.certificate.certFile, "-k", cluster.certificate.certFile],
        /^Error: cannot use .*: TLS: tls\.key holds other PEM blocks/,
      ],
      [
        ["-c", cluster.certificate.certFile, "-k", cluster.certificate.keyFile, "--ca", garbage],
        /^Error: cannot use .*: TLS: tls\.ca\[0\] holds no PEM block/,
      ],
    ];
    // The refusal comes before any dial: the listener the shell is pointed at sees no connection.
    const listener = await startCountingListener();
    try {
      for (const [files, message] of cases) {
        const ours = await ourShell(["-s", listener.address, ...files, "k8s", "SELECT 1"]);
        expect(ours.status).toBe(1);
        expect(ours.stderr).toMatch(message);
        expect(listener.connections).toBe(0);
      }
    } finally {
      await listener.close();
    }
  });

  it("node stores: missing, not YAML, not a list, without Address: status 1; mixed with addresses: usage error", async () => {
    const notYaml = join(scratch, "store.yaml");
    writeFileSync(notYaml, "- Address: [unclosed\n");
    const notList = join(scratch, "map.yaml");
    writeFileSync(notList, "Address: 127.0.0.1:1\n");
    const noAddress = join(scratch, "noaddress.yaml");
    writeFileSync(noAddress, "- ID: 1\n  Role: 0\n");
    const empty = join(scratch, "empty.yaml");
    writeFileSync(empty, "");
    const cases: [string, RegExp][] = [
      [`file://${join(scratch, "missing.yaml")}`, /^Error: cannot read node store .*missing\.yaml: ENOENT/],
      [`file://${join(scratch, "store.db")}`, /^Error: node store .*store\.db: not a YAML node store/],
      [`file://${notYaml}`, /^Error: .*store\.yaml is not valid YAML/],
      [`file://${notList}`, /^Error: .*map\.yaml must be a YAML list of \{ Address, ID, Role \}/],
      [`file://${noAddress}`, /^Error: .*noaddress\.yaml\[0\]\.Address must be a HOST:PORT text/],
      [`file://${empty}`, /^Error: node store file:\/\/.*empty\.yaml lists no node/],
    ];
    for (const [servers, message] of cases) {
      const ours = await ourShell(["-s", servers, ...tlsArgs, "k8s", "SELECT 1"]);
      expect(ours.status, servers).toBe(1);
      expect(ours.stderr).toMatch(message);
    }
    await expect(runShellCommand(["-s", `${store},127.0.0.1:1`, "k8s", "SELECT 1"], captureIo())).rejects.toThrow(
      /can't mix a file:\/\/ node store and explicit addresses/,
    );
  });
});
