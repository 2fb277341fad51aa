// The proxy in front of a go-dqlite node that listens with mutual TLS (the rig's tls-node,
// built from go-dqlite's app package): with the cluster certificate the proxy terminates the
// client's TLS, decodes what passes, and dials the node with TLS, and the Go shell (-c/-k)
// prints the same through it as straight to the node; without the certificate, TLS passes
// through undecoded (the node's addresses too: they cannot be rewritten inside TLS).

import { execFile } from "node:child_process";
import { connect as connectTls } from "node:tls";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startProxy } from "../../src/proxy/index.ts";
import { probeLeader } from "../../src/testing/raw-probe.ts";
import { type TlsNode, probeTlsFor, startTlsNode } from "../../src/testing/tls-node.ts";

let node: TlsNode;

beforeAll(async () => {
  node = await startTlsNode();
}, 60_000);

afterAll(async () => {
  await node?.stop();
});

function tlsShell(address: string, sql: string): Promise<string> {
  const { certFile, keyFile } = node.certificate;
  return new Promise((resolve, reject) => {
    execFile(
      "/usr/bin/dqlite",
      ["-s", address, "-c", certFile, "-k", keyFile, "demo", sql],
      { timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`dqlite shell failed: ${stderr || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

test("with the cluster certificate: TLS ends at the proxy, the conversation is decoded, LEADER rewritten", async () => {
  const lines: Record<string, unknown>[] = [];
  const proxy = await startProxy({
    routes: [{ listen: "127.0.0.1:0", target: node.address }],
    tls: { cert: node.certificate.cert, key: node.certificate.key },
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  try {
    const listen = proxy.routes[0]!.listen;
    await tlsShell(node.address, "CREATE TABLE IF NOT EXISTS tls_t (v TEXT)");
    await tlsShell(listen, "INSERT INTO tls_t VALUES ('through the proxy')");
    const through = await tlsShell(listen, "SELECT v FROM tls_t");
    expect(through).toBe(await tlsShell(node.address, "SELECT v FROM tls_t"));
    expect(through.trim()).toBe("through the proxy");
    const sqls = lines.flatMap((l) => ((l["message"] as { sql?: string } | undefined)?.sql ? [(l["message"] as { sql: string }).sql] : []));
    expect(sqls).toContain("INSERT INTO tls_t VALUES ('through the proxy')");
    const leader = lines.find((l) => l["direction"] === "response" && (l["message"] as { type: string }).type === "LEADER")!;
    expect(leader["rewritten"]).toEqual({ [node.address]: listen });
    expect(lines.filter((l) => l["ok"] === false)).toEqual([]);
  } finally {
    await proxy.close();
  }
}, 60_000);

test("without certificates: TLS passes through untouched (addresses too) and is logged as TLS", async () => {
  const lines: Record<string, unknown>[] = [];
  const proxy = await startProxy({
    routes: [{ listen: "127.0.0.1:0", target: node.address }],
    log: (line) => lines.push(JSON.parse(line) as Record<string, unknown>),
  });
  try {
    // A LEADER request over TLS through the proxy: the node's own address comes back, since the
    // proxy cannot read (or rewrite) what TLS carries.
    const leader = await probeLeader(proxy.routes[0]!.listen, 5_000, probeTlsFor(node.certificate));
    expect(leader.address).toBe(node.address);
    expect(lines.find((l) => l["event"] === "undecoded")).toMatchObject({ ok: true, kind: "tls" });
    expect(lines.filter((l) => l["message"] !== undefined)).toEqual([]);
  } finally {
    await proxy.close();
  }
}, 60_000);

test("a client without the cluster certificate is refused by the terminating proxy", async () => {
  const proxy = await startProxy({
    routes: [{ listen: "127.0.0.1:0", target: node.address }],
    tls: { cert: node.certificate.cert, key: node.certificate.key },
    log: false,
  });
  try {
    const [host, port] = proxy.routes[0]!.listen.split(":");
    // TLS that trusts the cluster's certificate but offers none of its own.
    const socket = connectTls({ host: host!, port: Number(port), ca: node.certificate.cert, servername: node.certificate.dnsName });
    const outcome = await new Promise<string>((resolve) => {
      socket.once("data", () => resolve("data"));
      socket.once("error", (error) => resolve(`error: ${error.message}`));
      socket.once("secureConnect", () =>
        socket.write(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
      );
      socket.once("close", () => resolve("closed"));
    });
    socket.destroy();
    expect(outcome).not.toBe("data");
  } finally {
    await proxy.close();
  }
}, 60_000);
