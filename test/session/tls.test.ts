// Sessions over TLS against real go-dqlite `app` nodes that listen with mutual TLS (the rig's
// dqlite-tls-node): go-dqlite's SimpleTLSConfig defaults, leader discovery in a 3-node cluster,
// and every way a TLS connection can go wrong, each a typed ConnectionError that says TLS.

import { readFileSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, connect } from "../../src/client/index.ts";
import { ConnectionError } from "../../src/errors.ts";
import { startCountingListener } from "../support/counting-listener.ts";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import {
  type CertificateFiles,
  type TlsCluster,
  type TlsNode,
  generateClusterCertificate,
  startTlsCluster,
  startTlsNode,
} from "../../src/testing/tls-node.ts";
import { uniqueTable } from "./helpers.ts";

const TIMEOUT_MS = 4_000;
/** Leader discovery's bounded retries over one node: a failure must come well within this. */
const FAILS_WITHIN_MS = 15_000;

let node: TlsNode;
let stranger: CertificateFiles;

beforeAll(async () => {
  node = await startTlsNode();
  stranger = generateClusterCertificate();
}, 60_000);

afterAll(async () => {
  await node?.stop();
  if (stranger !== undefined) rmSync(dirname(stranger.certFile), { recursive: true, force: true });
});

async function failure(promise: Promise<Client>): Promise<{ error: ConnectionError; elapsedMs: number }> {
  const started = Date.now();
  try {
    const client = await promise;
    await client.close();
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectionError);
    return { error: error as ConnectionError, elapsedMs: Date.now() - started };
  }
  throw new Error("the connection succeeded");
}

describe("a TLS node", () => {
  it("with the cluster certificate and key only (PEM text), as go-dqlite's SimpleTLSConfig: the certificate is the CA, its DNS name the server name", async () => {
    const client = await connect({
      addresses: node.address,
      timeoutMs: TIMEOUT_MS,
      tls: { cert: node.certificate.cert, key: node.certificate.key },
    });
    try {
      const table = uniqueTable("tls");
      const db = await client.open("demo");
      await db.exec(`CREATE TABLE ${table} (k TEXT, v INTEGER)`);
      await db.exec(`INSERT INTO ${table} VALUES (?, ?)`, ["answer", 42]);
      expect((await db.query(`SELECT k, v FROM ${table}`).all()).rows).toEqual([["answer", 42]]);
      expect(client.address).toBe(node.address);
    } finally {
      await client.close();
    }
  });

  it("takes the certificate and key as bytes read from files, and an explicit ca and serverName", async () => {
    const cert = readFileSync(node.certificate.certFile);
    const key = readFileSync(node.certificate.keyFile);
    const client = await connect({
      addresses: [node.address],
      timeoutMs: TIMEOUT_MS,
      tls: { cert, key, ca: [cert], serverName: "dqlite" },
    });
    try {
      expect((await client.leader()).address).toBe(node.address);
    } finally {
      await client.close();
    }
  });

  it("a client certificate the node does not trust: refused by the node, a ConnectionError saying TLS refused the certificate", async () => {
    // The client trusts the node (ca), but the node does not know the client's certificate.
    const { error, elapsedMs } = await failure(
      connect({
        addresses: node.address,
        timeoutMs: TIMEOUT_MS,
        tls: { cert: stranger.cert, key: stranger.key, ca: node.certificate.cert },
      }),
    );
    expect(error.message).toMatch(/TLS/);
    expect(error.message).toMatch(/refused this client's certificate/);
    expect(elapsedMs).toBeLessThan(FAILS_WITHIN_MS);
  });

  it("a node certificate from an unknown CA: the handshake fails, a ConnectionError saying the certificate is not trusted", async () => {
    const { error, elapsedMs } = await failure(
      connect({
        addresses: node.address,
        timeoutMs: TIMEOUT_MS,
        tls: { cert: node.certificate.cert, key: node.certificate.key, ca: stranger.cert },
      }),
    );
    expect(error.code).toBe("CONNECTION_FAILED");
    expect(error.message).toMatch(
      /TLS handshake with tls:\/\/127\.0\.0\.1:\d+ failed: the node's certificate is not signed by a trusted CA/,
    );
    expect(elapsedMs).toBeLessThan(FAILS_WITHIN_MS);
  });

  it("a server name the node's certificate does not carry: the handshake fails and says so", async () => {
    const { error } = await failure(
      connect({
        addresses: node.address,
        timeoutMs: TIMEOUT_MS,
        tls: { cert: node.certificate.cert, key: node.certificate.key, serverName: "elsewhere" },
      }),
    );
    expect(error.message).toMatch(/TLS handshake .* failed: the node's certificate does not carry the expected server name/);
  });

  it("insecureSkipVerify: true accepts a node whose certificate is not trusted (the node still checks ours)", async () => {
    const client = await connect({
      addresses: node.address,
      timeoutMs: TIMEOUT_MS,
      tls: { cert: node.certificate.cert, key: node.certificate.key, ca: stranger.cert, insecureSkipVerify: true },
    });
    try {
      expect((await client.leader()).address).toBe(node.address);
    } finally {
      await client.close();
    }
  });

  it("a plain client: the node closes the connection at once; the error suggests TLS, well within the timeout", async () => {
    const { error, elapsedMs } = await failure(connect({ addresses: node.address, timeoutMs: TIMEOUT_MS }));
    expect(error.message).toMatch(/closed the connection/);
    expect(error.message).toMatch(/if the nodes listen with TLS .* tls: \{ cert, key \}/);
    expect(elapsedMs).toBeLessThan(FAILS_WITHIN_MS);
  });

  it("unusable certificate or key text is a ConnectionError before any node is dialled", async () => {
    // Refused before dialling: the listener the client is pointed at sees no connection.
    const listener = await startCountingListener();
    try {
      const addresses = listener.address;
      await expect(connect({ addresses, tls: { cert: "hello", key: node.certificate.key } })).rejects.toThrow(
        /^TLS: tls\.cert holds no PEM block/,
      );
      await expect(connect({ addresses, tls: { cert: node.certificate.cert, key: node.certificate.cert } })).rejects.toThrow(
        /^TLS: tls\.key holds other PEM blocks; expected a PEM private key/,
      );
      await expect(
        connect({ addresses, tls: { cert: node.certificate.cert.replace(/[A-Za-z]{8}\n/, "!!!!!!!!\n"), key: node.certificate.key } }),
      ).rejects.toThrow(/^TLS: the certificate is not valid PEM|^TLS: the certificate is not/);
      expect(listener.connections).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it("tls together with a custom connector is refused (that connector does its own TLS)", async () => {
    await expect(
      connect({
        addresses: node.address,
        connector: async () => Promise.reject(new Error("unused")),
        tls: { cert: node.certificate.cert, key: node.certificate.key },
      }),
    ).rejects.toThrow(/custom connector does its own TLS/);
  });
});

describe("a TLS client to a plain node", () => {
  let plain: DqliteNode;
  beforeAll(async () => {
    plain = await startNode();
  }, 60_000);
  afterAll(async () => {
    await plain?.stop();
  });

  it("fails the handshake with a ConnectionError that says the node does not speak TLS, well within the timeout", async () => {
    const { error, elapsedMs } = await failure(
      connect({ addresses: plain.address, timeoutMs: TIMEOUT_MS, tls: { cert: node.certificate.cert, key: node.certificate.key } }),
    );
    expect(error.message).toMatch(
      /TLS handshake with tls:\/\/127\.0\.0\.1:\d+ failed: the node (closed the connection during the handshake|does not speak TLS)/,
    );
    expect(elapsedMs).toBeLessThan(FAILS_WITHIN_MS);
    expect(plain.running).toBe(true);
  });
});

describe("a 3-node TLS cluster", () => {
  let cluster: TlsCluster;
  beforeAll(async () => {
    cluster = await startTlsCluster(3);
  }, 90_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("finds the leader when asked a follower first, every connection with the same TLS settings", async () => {
    const leader = await cluster.leader();
    const followers = cluster.addresses.filter((address) => address !== leader.address);
    const tls = { cert: cluster.certificate.cert, key: cluster.certificate.key };
    const client = await connect({ addresses: [followers[0]!], timeoutMs: TIMEOUT_MS, tls });
    try {
      expect(client.address).toBe(leader.address);
      const table = uniqueTable("tls_cluster");
      const db = await client.open("demo");
      await db.exec(`CREATE TABLE ${table} (v INTEGER)`);
      await db.exec(`INSERT INTO ${table} VALUES (7)`);
      expect((await db.query(`SELECT v FROM ${table}`).all()).rows).toEqual([[7]]);
      const members = await client.cluster();
      expect(members.map((member) => member.address).sort()).toEqual([...cluster.addresses].sort());
    } finally {
      await client.close();
    }
  });
});
