// TLS settings of the TCP transports (Node, Deno, Bun) and the bridge's node side, resolved once
// and shared by every connection of a client, so leader discovery dials each node alike.
//
// The defaults are go-dqlite's `app.SimpleDialTLSConfig`, the configuration production clusters
// (go-dqlite's app package, MicroK8s) are built with: one certificate serves both ends, the
// client trusts that certificate as the CA, and it expects the node's certificate to carry the
// first DNS name of its own certificate (Go's `ServerName = x509cert.DNSNames[0]`). Connecting
// to `127.0.0.1:PORT` with a cluster's certificate and key therefore just works, as with the Go
// shell's `-c/-k`. Certificate verification is never off unless `insecureSkipVerify` says so.
//
// This file holds the settings' types and the TLS errors, and loads anywhere at no cost; reading
// the certificates (resolveTls, with asn1js) is tls-certificate.ts, which only a program that
// uses TLS loads.

import { ConnectionError } from "../errors.ts";

/** PEM text, or its bytes (as read from a file). */
export type PemInput = string | Uint8Array;

export interface TlsOptions {
  /** This client's certificate (PEM; a chain may follow it). */
  cert: PemInput;
  /** The private key of `cert` (PEM: PKCS#8, PKCS#1 or SEC1). */
  key: PemInput;
  /** CA certificate(s) the nodes' certificates must chain to (PEM). Default: `cert` itself. */
  ca?: PemInput | readonly PemInput[];
  /**
   * The name the node's certificate must carry. Default: the first DNS name of `cert`, as
   * go-dqlite's SimpleDialTLSConfig does; when `cert` has none, the host of the address dialled.
   */
  serverName?: string;
  /**
   * DANGEROUS: accept any certificate the node presents, which lets anyone on the path read and
   * change the traffic. For a throwaway test cluster only. (Not available in Deno.)
   */
  insecureSkipVerify?: boolean;
}

/** TLS options checked and normalised: what the transports hand to their runtime's TLS API. */
export interface ResolvedTls {
  readonly cert: string;
  readonly key: string;
  /** One PEM certificate per entry. */
  readonly ca: readonly string[];
  /** The name to verify, or undefined: the host of the address dialled. */
  readonly serverName: string | undefined;
  /** True when the caller named `serverName` (false when it came from the certificate). */
  readonly serverNameGiven: boolean;
  readonly insecureSkipVerify: boolean;
}

/** A TLS setting that cannot work (bad PEM, a missing name, an option the runtime lacks). */
export function tlsConfigError(what: string, cause?: unknown): ConnectionError {
  return new ConnectionError("CONNECTION_FAILED", `TLS: ${what}`, cause === undefined ? undefined : { cause });
}

/**
 * "TLS handshake with tls://HOST:PORT failed: <what it means> (<the runtime's words>)". The
 * runtimes report the same failures in different words (OpenSSL codes in Node and Bun, rustls
 * messages in Deno); the meaning is read from either.
 */
export function tlsHandshakeError(peer: string, error: unknown): ConnectionError {
  return new ConnectionError("CONNECTION_FAILED", `TLS handshake with ${peer} failed: ${explainTlsFailure(error)}`, { cause: error });
}

/**
 * A TLS connection that broke after its handshake. With TLS 1.3 the client finishes its side of
 * the handshake before the node has checked the client's certificate, so a refused certificate
 * shows up here, as the node's alert on the first read.
 */
export function tlsBrokenError(peer: string, error: unknown): ConnectionError {
  return new ConnectionError("CONNECTION_CLOSED", `TLS connection to ${peer} broke: ${explainTlsFailure(error)}`, { cause: error });
}

/** A TLS failure in words: what it means, then the runtime's own words in parentheses. */
export function explainTlsFailure(error: unknown): string {
  const raw = errorText(error);
  const meaning = HANDSHAKE_FAILURES.find(([pattern]) => pattern.test(raw))?.[1];
  return meaning === undefined ? raw : `${meaning} (${raw})`;
}

/** Known handshake failures, most specific first: a pattern over "CODE message", and its meaning. */
const HANDSHAKE_FAILURES: readonly (readonly [RegExp, string])[] = [
  [
    /CaUsedAsEndEntity/,
    "the node's certificate is a CA certificate (basicConstraints CA:TRUE), which Deno refuses as a server certificate; use a certificate with CA:FALSE",
  ],
  [
    /ALTNAME|not valid for name|Hostname\/IP does not match/i,
    "the node's certificate does not carry the expected server name (tls.serverName)",
  ],
  [
    /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|UnknownIssuer|CERT_SIGNATURE_FAILURE|BadSignature|unknown ca\b/i,
    "the node's certificate is not signed by a trusted CA (tls.ca; by default the client certificate itself)",
  ],
  [/EXPIRED|NOT_YET_VALID|Expired|NotValidYet/, "a certificate is expired or not yet valid"],
  [
    /ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN|CERTIFICATE_REQUIRED|BadCertificate|CertificateRequired|UnknownCA|DecryptError|alert bad certificate|alert unknown ca/i,
    "the node refused this client's certificate",
  ],
  [
    /WRONG_VERSION_NUMBER|packet length too long|CorruptMessage|InvalidContentType|unexpected message/i,
    "the node does not speak TLS (is it a plain dqlite node?)",
  ],
  [
    /ECONNRESET|EPIPE|disconnected before secure TLS|UnexpectedEof|close_notify|peer closed|connection reset|socket hang up|EOF/i,
    "the node closed the connection during the handshake (a plain dqlite node does this; a TLS node does it to a certificate it refuses)",
  ],
  [/ECONNREFUSED|Connection refused/i, "nothing listens there"],
];

/** The hint the session adds when a plain client met nodes that close at once: they may use TLS. */
export const PLAIN_TO_TLS_HINT =
  "if the nodes listen with TLS (go-dqlite's app.WithTLS, MicroK8s), pass the client certificate and key: tls: { cert, key } (-c/-k on the command line)";

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    // OpenSSL's own text ("801C…:error:0A000412:SSL routines:…:SSL alert number 42") says no
    // more than its code (ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE) and is mostly source paths.
    if (typeof code === "string" && /^[0-9A-F]+:error:/.test(error.message)) return code;
    return typeof code === "string" && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
