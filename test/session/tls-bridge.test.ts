// A browser page reaching a cluster that listens with mutual TLS: Debian's Chromium runs the
// package's portable client (dist/, served from loopback) over its own WebSocket to the bridge,
// which speaks TLS to a real go-dqlite node with the certificate only it holds. The bridge is
// started the way an operator starts it, `dqlite-wire bridge … --target-cert … --target-key …`.

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { dirname, extname, join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBridge, type Bridge } from "../../src/bridge/index.ts";
import { runBridgeCommand } from "../../src/cli/bridge-command.ts";
import { connect } from "../../src/client/index.ts";
import { encodeRequest } from "../../src/messages/codec.ts";
import { BridgeCloseCode } from "../../src/transport/bridge-protocol.ts";
import { type CertificateFiles, type TlsNode, generateClusterCertificate, startTlsNode } from "../../src/testing/tls-node.ts";
import { encodeHandshake } from "../../src/wire/handshake.ts";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../support/chromium.mjs";

const TOKEN = "tls-bridge-test-token-0123456789";
const DIST = resolve("dist");

let node: TlsNode;
let stranger: CertificateFiles;
let pageServer: Server;
let origin: string;
let bridgeUrl: string;
let stopBridge: AbortController;
let bridgeExit: Promise<number>;
let browser: Browser;
let page: Page;

interface PageOutcome {
  rows?: unknown[][];
  error?: { name: string; code: string; message: string };
}

/** In the page: the package's client through the bridge, one query. */
function queryFromPage(url: string, address: string, sql: string): Promise<PageOutcome> {
  return page.evaluate(
    async ({ url, address, sql, token }) => {
      // The package's client entry (dqlite-wire/client), loaded by the page itself (see the page server).
      const lib = (window as unknown as { dqliteWire: unknown }).dqliteWire as {
        connectClient(options: unknown): Promise<{
          open(name: string): Promise<{ query(sql: string): { all(): Promise<{ rows: unknown[][] }> } }>;
          close(): Promise<void>;
        }>;
        webSocketConnector(url: string, options: { token: string }): unknown;
      };
      try {
        const client = await lib.connectClient({ addresses: address, timeoutMs: 5_000, connector: lib.webSocketConnector(url, { token }) });
        try {
          const db = await client.open("demo");
          return { rows: (await db.query(sql).all()).rows };
        } finally {
          await client.close();
        }
      } catch (error) {
        const { name, code, message } = error as { name: string; code: string; message: string };
        return { error: { name, code, message } };
      }
    },
    { url, address, sql, token: TOKEN },
  );
}

/** In the page: raw bytes to the bridge, and how the WebSocket closed. */
function rawFromPage(url: string, bytes: number[]): Promise<{ code: number; reason: string }> {
  return page.evaluate(
    ({ url, bytes, token }) =>
      new Promise<{ code: number; reason: string }>((done) => {
        const ws = new WebSocket(url, ["dqlite-wire", `dqlite-wire.token.${token}`]);
        ws.binaryType = "arraybuffer";
        ws.onopen = () => ws.send(new Uint8Array(bytes));
        ws.onclose = (event) => done({ code: event.code, reason: event.reason });
      }),
    { url, bytes, token: TOKEN },
  );
}

const MIME: Record<string, string> = { ".js": "text/javascript", ".html": "text/html" };
/**
 * The page loads the package's client entry from dist/ and says when it has it: a browser loads
 * it as it is (its TCP transports and certificate reader are imported only by a TCP connect).
 */
const PAGE = `<!doctype html><title>TLS bridge page</title><body><script type="module">
import * as dqliteWire from "/dist/src/client/index.js";
window.dqliteWire = dqliteWire;
document.body.dataset.ready = "yes";
</script></body>`;

beforeAll(async () => {
  node = await startTlsNode();
  stranger = generateClusterCertificate();
  const client = await connect({ addresses: node.address, tls: { cert: node.certificate.cert, key: node.certificate.key } });
  try {
    const db = await client.open("demo");
    await db.exec("CREATE TABLE IF NOT EXISTS secrets (k TEXT, v INTEGER)");
    await db.exec("INSERT INTO secrets VALUES ('a', 1), ('b', 2), ('c', 3)");
  } finally {
    await client.close();
  }

  // The page and the package's compiled modules, from one loopback origin.
  pageServer = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    if (path.startsWith("/dist/")) {
      const file = resolve(DIST, path.slice("/dist/".length));
      if (!file.startsWith(DIST + "/")) return void response.writeHead(403).end();
      try {
        const body = readFileSync(file);
        response.writeHead(200, { "Content-Type": MIME[extname(file)] ?? "application/octet-stream" }).end(body);
      } catch {
        response.writeHead(404).end();
      }
      return;
    }
    response.writeHead(200, { "Content-Type": "text/html" }).end(PAGE);
  });
  await new Promise<void>((done) => pageServer.listen(0, "127.0.0.1", done));
  origin = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}`;

  // The bridge as the CLI starts it, with the TLS files only it reads.
  stopBridge = new AbortController();
  let started!: (line: string) => void;
  const startup = new Promise<string>((done) => (started = done));
  const args = ["--target", node.address, "--origin", origin, "--token", TOKEN, "--json", "--quiet"];
  args.push("--target-cert", node.certificate.certFile, "--target-key", node.certificate.keyFile);
  bridgeExit = runBridgeCommand(args, {
    out: (line) => started(line),
    err: (line) => started(`error: ${line}`),
    signal: stopBridge.signal,
  });
  const line = await startup;
  bridgeUrl = (JSON.parse(line) as { url: string }).url;

  try {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  } catch (error) {
    throw new Error(`cannot launch Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium): ${String(error)}`);
  }
  page = await browser.newPage();
  await page.goto(origin);
  await page.waitForSelector("body[data-ready]", { state: "attached", timeout: 10_000 }).catch(() => {
    throw new Error("the page could not load dist/src/client/index.js: run `npm run build` before this test");
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  stopBridge?.abort();
  await bridgeExit;
  await new Promise((done) => pageServer?.close(done));
  await node?.stop();
  if (stranger !== undefined) rmSync(dirname(stranger.certFile), { recursive: true, force: true });
});

describe("Chromium through the bridge to a TLS node", () => {
  it("runs a query with the package's client in the page; only the bridge holds the certificate", async () => {
    const outcome = await queryFromPage(bridgeUrl, node.address, "SELECT k, v FROM secrets ORDER BY k");
    expect(outcome).toEqual({
      rows: [
        ["a", 1],
        ["b", 2],
        ["c", 3],
      ],
    });
  });

  it("keeps the bridge's guards: an admin request (DUMP) is refused without --allow-admin", async () => {
    const bytes = [...encodeHandshake(), ...encodeRequest({ type: "DUMP", name: "demo" })];
    const closed = await rawFromPage(bridgeUrl, bytes);
    expect(closed.code).toBeGreaterThanOrEqual(4000);
    expect(closed.reason).toMatch(/DUMP/);
  });

  it("a node certificate the bridge does not trust: the page gets the unreachable-target close code, its reason says TLS", async () => {
    const logs: unknown[] = [];
    const untrusting: Bridge = await startBridge({
      targets: [node.address],
      origins: [origin],
      token: TOKEN,
      targetTls: { cert: node.certificate.cert, key: node.certificate.key, ca: stranger.cert },
      logger: (entry) => logs.push(entry),
    });
    try {
      const closed = await rawFromPage(untrusting.url, [...encodeHandshake(), ...encodeRequest({ type: "LEADER" })]);
      expect(closed.code).toBe(BridgeCloseCode.TargetUnreachable);
      expect(closed.reason).toMatch(/^127\.0\.0\.1:\d+: TLS: the node's certificate is not signed by a trusted CA/);
    } finally {
      await untrusting.close();
    }
  });
});

describe("dqlite-wire bridge's TLS options", () => {
  it("certificate files that cannot be read or used: status 1; a certificate without its key: status 2", async () => {
    const garbage = join(dirname(stranger.certFile), "garbage.pem");
    writeFileSync(garbage, "no PEM here\n");
    const errors: string[] = [];
    const run = (extra: string[]) =>
      runBridgeCommand(["--target", node.address, ...extra], { out: () => {}, err: (line) => errors.push(line) });
    expect(await run(["--target-cert", "/nonexistent/cert.pem", "--target-key", node.certificate.keyFile])).toBe(1);
    expect(errors.pop()).toMatch(/^dqlite-wire bridge: --target-cert \/nonexistent\/cert\.pem: ENOENT/);
    expect(await run(["--target-cert", garbage, "--target-key", node.certificate.keyFile])).toBe(1);
    expect(errors.pop()).toMatch(/^dqlite-wire bridge: cannot use .*garbage\.pem.*TLS: tls\.cert holds no PEM block/);
    expect(await run(["--target-cert", node.certificate.certFile])).toBe(2);
    expect(errors.pop()).toBe("dqlite-wire bridge: --target-cert and --target-key go together (--target-ca needs both)");
  });
});
