// Runs test/runtimes/tls-session.ts under Deno, Bun and Node 22 and 24 against real go-dqlite nodes that listen
// with mutual TLS: one with an end-entity certificate (CA:FALSE, which every runtime accepts),
// one with go-dqlite's documented self-signed CA:TRUE certificate (Deno's TLS refuses that one
// as a server certificate, and must say so).

import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CertificateFiles, type TlsNode, generateClusterCertificate, startTlsNode } from "../../src/testing/tls-node.ts";
import { NODE_RELEASES, NODE_TYPESCRIPT_ARGS, nodeReleaseBinary, runScript, runtimeBinary } from "../support/runtime-script.ts";

const SCRIPT = fileURLToPath(new URL("./tls-session.ts", import.meta.url));

let leafNode: TlsNode;
let caNode: TlsNode;
let stranger: CertificateFiles;
let leaf: CertificateFiles;
let env: Record<string, string>;

beforeAll(async () => {
  leaf = generateClusterCertificate({ ca: false });
  stranger = generateClusterCertificate({ ca: false });
  [leafNode, caNode] = await Promise.all([startTlsNode({ certificate: leaf }), startTlsNode()]);
  env = {
    DQLITE_ADDRESS: leafNode.address,
    DQLITE_TLS_CERT: leaf.cert,
    DQLITE_TLS_KEY: leaf.key,
    DQLITE_STRANGER_CERT: stranger.cert,
    DQLITE_STRANGER_KEY: stranger.key,
    DQLITE_CA_NODE_ADDRESS: caNode.address,
    DQLITE_CA_NODE_CERT: caNode.certificate.cert,
    DQLITE_CA_NODE_KEY: caNode.certificate.key,
  };
}, 60_000);

afterAll(async () => {
  await Promise.all([leafNode?.stop(), caNode?.stop()]);
  for (const made of [leaf, stranger]) if (made !== undefined) rmSync(dirname(made.certFile), { recursive: true, force: true });
});

describe("sessions over TLS under other runtimes", () => {
  it("Deno (Deno.connectTls): a session, and every failure as a TLS ConnectionError", async () => {
    const result = await runScript(runtimeBinary("deno"), ["run", "--allow-net", "--allow-env", SCRIPT], env);
    expect(result.stdout).toContain("ok deno: a session over TLS with the cluster certificate and key");
    expect(result.stdout.trim().split("\n").pop(), `${result.stdout}${result.stderr}`).toBe("7 passed, 0 failed");
    expect(result.code).toBe(0);
  });

  it("Bun (Bun.connect with tls): a session, and every failure as a TLS ConnectionError", async () => {
    const result = await runScript(runtimeBinary("bun"), [SCRIPT], env);
    expect(result.stdout).toContain("ok bun: a session over TLS with the cluster certificate and key");
    expect(result.stdout.trim().split("\n").pop(), `${result.stdout}${result.stderr}`).toBe("7 passed, 0 failed");
    expect(result.code).toBe(0);
  });

  it.each(NODE_RELEASES)("Node %s (node:tls): a session, and every failure as a TLS ConnectionError", async (release) => {
    const result = await runScript(nodeReleaseBinary(release), [...NODE_TYPESCRIPT_ARGS, SCRIPT], env);
    expect(result.stdout).toContain("ok node: a session over TLS with the cluster certificate and key");
    expect(result.stdout.trim().split("\n").pop(), `${result.stdout}${result.stderr}`).toMatch(/^\d+ passed, 0 failed$/);
    expect(result.code).toBe(0);
  });
});
