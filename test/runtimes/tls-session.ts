// A session over TLS under Deno and Bun (Node runs the same calls in test/session/tls.test.ts):
// `connect({ addresses, tls })` from the client entry, against a real go-dqlite node that
// listens with mutual TLS, then the failures each runtime must report as TLS ConnectionErrors.
// Prints one line per check and "N passed, N failed"; exits 0 only when all passed.
//
// Environment: DQLITE_ADDRESS (a TLS node whose certificate has basicConstraints CA:FALSE),
// DQLITE_TLS_CERT / DQLITE_TLS_KEY (its PEM certificate and key), DQLITE_STRANGER_CERT /
// DQLITE_STRANGER_KEY (a certificate the node does not know), DQLITE_CA_NODE_ADDRESS,
// DQLITE_CA_NODE_CERT / DQLITE_CA_NODE_KEY (a node whose certificate is CA:TRUE, as openssl's
// default and go-dqlite's documentation make it).
//
//   npx deno run --allow-net --allow-env test/runtimes/tls-session.ts
//   npx bun test/runtimes/tls-session.ts

import { connect } from "../../src/client/index.ts";
import { detectTcpRuntime } from "../../src/transport/auto.ts";

type Env = (name: string) => string;

function environment(): { env: Env; exit(code: number): never } {
  const global = globalThis as {
    Deno?: { env: { get(name: string): string | undefined }; exit(code: number): never };
    process?: { env: Record<string, string | undefined>; exit(code: number): never };
  };
  const read = global.Deno !== undefined ? (name: string) => global.Deno!.env.get(name) : (name: string) => global.process!.env[name];
  const exit = global.Deno !== undefined ? (code: number) => global.Deno!.exit(code) : (code: number) => global.process!.exit(code);
  const env: Env = (name) => {
    const value = read(name);
    if (value === undefined || value === "") throw new Error(`$${name} is not set`);
    return value;
  };
  return { env, exit };
}

const { env, exit } = environment();
const runtime = detectTcpRuntime();
const address = env("DQLITE_ADDRESS");
const tls = { cert: env("DQLITE_TLS_CERT"), key: env("DQLITE_TLS_KEY") };
const stranger = { cert: env("DQLITE_STRANGER_CERT"), key: env("DQLITE_STRANGER_KEY") };
const TIMEOUT_MS = 4_000;

let passed = 0;
let failed = 0;
async function check(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    passed++;
    console.log(`ok ${name}`);
  } catch (error) {
    failed++;
    console.log(`FAILED ${name}: ${(error as Error)?.stack ?? String(error)}`);
  }
}

/** Expects `attempt` to fail with a ConnectionError whose message matches. */
async function refused(attempt: () => Promise<{ close(): Promise<void> }>, message: RegExp): Promise<void> {
  let client: { close(): Promise<void> } | undefined;
  try {
    client = await attempt();
  } catch (error) {
    const { name, message: text } = error as Error;
    if (name !== "ConnectionError") throw new Error(`expected a ConnectionError, got ${name}: ${text}`);
    if (!message.test(text)) throw new Error(`the message ${JSON.stringify(text)} does not match ${message}`);
    return;
  }
  await client.close();
  throw new Error("the connection succeeded");
}

await check(`${runtime}: a session over TLS with the cluster certificate and key`, async () => {
  const client = await connect({ addresses: address, timeoutMs: TIMEOUT_MS, tls });
  try {
    const db = await client.open("demo");
    const table = `tls_${runtime}_${Date.now()}`;
    await db.exec(`CREATE TABLE ${table} (n INTEGER)`);
    for (let n = 1; n <= 50; n++) await db.exec(`INSERT INTO ${table} VALUES (?)`, [n]);
    const { rows } = await db.query(`SELECT sum(n), count(*) FROM ${table}`).all();
    if (JSON.stringify(rows) !== "[[1275,50]]") throw new Error(`rows ${JSON.stringify(rows)}`);
    if (client.address !== address) throw new Error(`connected to ${client.address}`);
  } finally {
    await client.close();
  }
});

await check(`${runtime}: a client certificate the node does not know is refused, in TLS terms`, () =>
  refused(
    () => connect({ addresses: address, timeoutMs: TIMEOUT_MS, tls: { ...stranger, ca: tls.cert } }),
    /TLS .*refused this client's certificate/,
  ),
);

await check(`${runtime}: a node certificate from an unknown CA fails the handshake`, () =>
  refused(
    () => connect({ addresses: address, timeoutMs: TIMEOUT_MS, tls: { ...tls, ca: stranger.cert } }),
    /TLS handshake with tls:\/\/.* failed: the node's certificate is not signed by a trusted CA/,
  ),
);

await check(`${runtime}: a plain connection to the TLS node suggests TLS`, () =>
  refused(() => connect({ addresses: address, timeoutMs: TIMEOUT_MS }), /closed the connection.*if the nodes listen with TLS/),
);

if (runtime === "deno") {
  await check("deno: insecureSkipVerify is refused before dialling (Deno cannot skip verification per connection)", () =>
    refused(
      () => connect({ addresses: address, timeoutMs: TIMEOUT_MS, tls: { ...tls, insecureSkipVerify: true } }),
      /insecureSkipVerify is not available in Deno/,
    ),
  );
  await check("deno: a serverName other than the host dialled is refused (Deno verifies the host)", () =>
    refused(
      () => connect({ addresses: address, timeoutMs: TIMEOUT_MS, tls: { ...tls, serverName: "dqlite" } }),
      /takes no other server name/,
    ),
  );
  await check("deno: a CA:TRUE node certificate is reported as such (rustls refuses it)", () =>
    refused(
      () =>
        connect({
          addresses: env("DQLITE_CA_NODE_ADDRESS"),
          timeoutMs: TIMEOUT_MS,
          tls: { cert: env("DQLITE_CA_NODE_CERT"), key: env("DQLITE_CA_NODE_KEY") },
        }),
      /the node's certificate is a CA certificate \(basicConstraints CA:TRUE\), which Deno refuses/,
    ),
  );
} else {
  await check(`${runtime}: insecureSkipVerify accepts an untrusted node certificate`, async () => {
    const client = await connect({
      addresses: address,
      timeoutMs: TIMEOUT_MS,
      tls: { ...tls, ca: stranger.cert, insecureSkipVerify: true },
    });
    await client.close();
  });
  await check(`${runtime}: the certificate's DNS name is verified by default, a wrong serverName fails`, () =>
    refused(
      () => connect({ addresses: address, timeoutMs: TIMEOUT_MS, tls: { ...tls, serverName: "elsewhere" } }),
      /does not carry the expected server name/,
    ),
  );
  await check(`${runtime}: a CA:TRUE cluster certificate (go-dqlite's documented openssl line) works`, async () => {
    const client = await connect({
      addresses: env("DQLITE_CA_NODE_ADDRESS"),
      timeoutMs: TIMEOUT_MS,
      tls: { cert: env("DQLITE_CA_NODE_CERT"), key: env("DQLITE_CA_NODE_KEY") },
    });
    try {
      await client.leader();
    } finally {
      await client.close();
    }
  });
}

console.log(`${passed} passed, ${failed} failed`);
exit(failed === 0 && passed > 0 ? 0 : 1);
