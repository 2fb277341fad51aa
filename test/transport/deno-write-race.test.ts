// The Deno transport when a write fails while a read is in flight. A real TLS node that refuses
// the client's certificate sends its alert and closes; under load Deno's write may fail (EPIPE)
// before the read reports the alert, and only the read knows why. That ordering happens on real
// nodes only by chance, so these tests run the transport against a stand-in for Deno's
// connection API (globalThis.Deno, a hand-made fake) that fails in exactly that order.

import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/errors.ts";
import { type CertificateFiles, generateClusterCertificate } from "../../src/testing/tls-node.ts";
import { connectDenoTcp } from "../../src/transport/deno-tcp.ts";
import { resolveTls } from "../../src/transport/tls-certificate.ts";

/** An error shaped like Deno's: a class name and, in Deno 2, the errno code. */
function denoError(name: string, code: string, message: string): Error {
  return Object.assign(new Error(message), { name, code });
}

/** A fake Deno whose connections fail a write at once and the pending read `readDelayMs` later. */
function installFakeDeno(failures: { write: Error; read: Error; readDelayMs: number }): void {
  const conn = {
    read: () => new Promise<number | null>((_, reject) => setTimeout(() => reject(failures.read), failures.readDelayMs)),
    write: () => Promise.reject(failures.write),
    close: () => {},
    handshake: () => Promise.resolve({}),
  };
  (globalThis as { Deno?: unknown }).Deno = { connect: async () => conn, connectTls: async () => conn };
}

const certificates: CertificateFiles[] = [];
function certificate(): CertificateFiles {
  const made = generateClusterCertificate({ ca: false });
  certificates.push(made);
  return made;
}

afterEach(() => {
  delete (globalThis as { Deno?: unknown }).Deno;
  for (const made of certificates.splice(0)) rmSync(dirname(made.certFile), { recursive: true, force: true });
});

async function writeFailure(promise: Promise<unknown>): Promise<ConnectionError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectionError);
  return error as ConnectionError;
}

describe("Deno transport: a failed write reports what the read in flight learns", () => {
  it("TLS: EPIPE on the write, the node's alert on the read → the node refused this client's certificate", async () => {
    installFakeDeno({
      write: denoError("BrokenPipe", "EPIPE", "Broken pipe (os error 32)"),
      read: new Error("received fatal alert: BadCertificate"),
      readDelayMs: 30,
    });
    const { cert, key } = certificate();
    const transport = await connectDenoTcp("127.0.0.1:9", { tls: resolveTls({ cert, key }), timeoutMs: 2_000 });
    const error = await writeFailure(transport.write(new Uint8Array(8)));
    expect(error.message).toMatch(/^TLS connection to tls:\/\/127\.0\.0\.1:9 broke: the node refused this client's certificate/);
    expect(error.message).toContain("BadCertificate");
    await transport.close();
  });

  it("plain: EPIPE on the write, a reset on the read → the node closed the connection (the session's TLS hint reads this)", async () => {
    installFakeDeno({
      write: denoError("BrokenPipe", "EPIPE", "Broken pipe (os error 32)"),
      read: denoError("ConnectionReset", "ECONNRESET", "Connection reset by peer (os error 104)"),
      readDelayMs: 30,
    });
    const transport = await connectDenoTcp("127.0.0.1:9", { timeoutMs: 2_000 });
    const error = await writeFailure(transport.write(new Uint8Array(8)));
    expect(error.code).toBe("CONNECTION_CLOSED");
    expect(error.message).toMatch(/^connection to tcp:\/\/127\.0\.0\.1:9 broke: the node closed the connection \(ECONNRESET/);
    await transport.close();
  });

  it("a later write gets the same verdict, not a new guess", async () => {
    installFakeDeno({
      write: denoError("BrokenPipe", "EPIPE", "Broken pipe (os error 32)"),
      read: new Error("received fatal alert: BadCertificate"),
      readDelayMs: 10,
    });
    const { cert, key } = certificate();
    const transport = await connectDenoTcp("127.0.0.1:9", { tls: resolveTls({ cert, key }), timeoutMs: 2_000 });
    const first = await writeFailure(transport.write(new Uint8Array(8)));
    const second = await writeFailure(transport.write(new Uint8Array(8)));
    expect(second).toBe(first);
    await transport.close();
  });
});
