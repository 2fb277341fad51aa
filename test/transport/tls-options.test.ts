// TLS settings resolved the way go-dqlite's SimpleDialTLSConfig resolves them, on certificates
// made by openssl (no node needed).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConnectionError } from "../../src/errors.ts";
import { generateClusterCertificate } from "../../src/testing/tls-node.ts";
import { dnsNames, resolveTls } from "../../src/transport/tls-certificate.ts";

/** A self-signed certificate with exactly these subjectAltName entries (or none). */
function certificateWith(altNames: string | undefined): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "dqlite-wire-tls-options-"));
  const args = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"];
  args.push("-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"), "-subj", "/CN=node");
  if (altNames !== undefined) args.push("-addext", `subjectAltName=${altNames}`);
  try {
    execFileSync("openssl", args, { stdio: "ignore" });
    return { cert: readFileSync(join(dir, "c.pem"), "utf8"), key: readFileSync(join(dir, "k.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("resolveTls", () => {
  it("defaults like SimpleDialTLSConfig: the certificate is the CA, its first DNS name the server name", () => {
    const { cert, key } = certificateWith("IP:127.0.0.1,DNS:first.example,DNS:second.example");
    const tls = resolveTls({ cert, key });
    expect(tls.serverName).toBe("first.example");
    expect(tls.serverNameGiven).toBe(false);
    expect(tls.ca).toEqual([tls.cert]);
    expect(tls.insecureSkipVerify).toBe(false);
    expect(dnsNames(cert)).toEqual(["first.example", "second.example"]);
  });

  it("without a DNS name the address's own host is verified (serverName undefined)", () => {
    expect(resolveTls(certificateWith("IP:127.0.0.1")).serverName).toBeUndefined();
    expect(resolveTls(certificateWith(undefined)).serverName).toBeUndefined();
  });

  it("an explicit serverName and ca win; bytes are read as PEM text", () => {
    const dir = mkdtempSync(join(tmpdir(), "dqlite-wire-tls-options-"));
    const made = generateClusterCertificate({ dnsName: "cluster.local", dir });
    rmSync(dir, { recursive: true, force: true });
    const other = certificateWith("DNS:ca.example");
    const encoder = new TextEncoder();
    const tls = resolveTls({
      cert: encoder.encode(made.cert),
      key: encoder.encode(made.key),
      ca: [other.cert, made.cert],
      serverName: "node1",
    });
    expect(tls.serverName).toBe("node1");
    expect(tls.serverNameGiven).toBe(true);
    expect(tls.ca).toHaveLength(2);
    expect(resolveTls({ cert: made.cert, key: made.key }).serverName).toBe("cluster.local");
  });

  it("is resolved once per options object", () => {
    const options = certificateWith("DNS:once");
    expect(resolveTls(options)).toBe(resolveTls(options));
  });

  it("refuses what cannot work with a ConnectionError that names the option", () => {
    const { cert, key } = certificateWith("DNS:x");
    const cases: [unknown, RegExp][] = [
      [{ cert: "", key }, /^TLS: tls\.cert holds no PEM block/],
      [{ cert: key, key }, /^TLS: tls\.cert holds other PEM blocks; expected a PEM certificate/],
      [{ cert, key: cert }, /^TLS: tls\.key holds other PEM blocks/],
      [{ cert, key: key + key }, /^TLS: tls\.key holds 2 private keys/],
      [{ cert, key, ca: "nope" }, /^TLS: tls\.ca\[0\] holds no PEM block/],
      [{ cert, key, serverName: " " }, /^TLS: tls\.serverName must be a non-empty string/],
      [{ cert, key, insecureSkipVerify: "yes" }, /^TLS: tls\.insecureSkipVerify must be true or false/],
      [{ key }, /^TLS: tls\.cert is required/],
      [{ cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", key }, /^TLS: the certificate is not valid DER/],
      [
        { cert: "-----BEGIN CERTIFICATE-----\n%%%%\n-----END CERTIFICATE-----\n", key },
        /^TLS: the certificate is not valid PEM \(bad base64\)/,
      ],
    ];
    for (const [options, message] of cases) {
      let thrown: unknown;
      try {
        resolveTls(options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, String(message)).toBeInstanceOf(ConnectionError);
      expect((thrown as ConnectionError).code).toBe("CONNECTION_FAILED");
      expect((thrown as Error).message).toMatch(message);
    }
  });
});
