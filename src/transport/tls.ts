// TLS settings of the TCP transports (Node, Deno, Bun) and the bridge's node side, resolved once
// and shared by every connection of a client, so leader discovery dials each node alike.
//
// The defaults are go-dqlite's `app.SimpleDialTLSConfig`, the configuration production clusters
// (go-dqlite's app package, MicroK8s) are built with: one certificate serves both ends, the
// client trusts that certificate as the CA, and it expects the node's certificate to carry the
// first DNS name of its own certificate (Go's `ServerName = x509cert.DNSNames[0]`). Connecting
// to `127.0.0.1:PORT` with a cluster's certificate and key therefore just works, as with the Go
// shell's `-c/-k`. Certificate verification is never off unless `insecureSkipVerify` says so.

import { Constructed, ObjectIdentifier, OctetString, Primitive, Sequence, fromBER } from "asn1js";
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

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
/** id-ce-subjectAltName (RFC 5280 §4.2.1.6). */
const SUBJECT_ALT_NAME_OID = "2.5.29.17";
const CONTEXT_SPECIFIC = 3;
/** `extensions [3] EXPLICIT` in TBSCertificate. */
const EXTENSIONS_TAG = 3;
/** `dNSName [2] IA5String` in GeneralName. */
const DNS_NAME_TAG = 2;

const resolved = new WeakMap<TlsOptions, ResolvedTls>();

/**
 * Checks `options` and fills in go-dqlite's defaults. Bad input is a ConnectionError
 * CONNECTION_FAILED whose message starts with "TLS:" and names the option; the result is cached
 * per options object, so a client resolves its settings once.
 */
export function resolveTls(options: TlsOptions): ResolvedTls {
  const cached = resolved.get(options);
  if (cached !== undefined) return cached;
  if (typeof options !== "object" || options === null) throw tlsConfigError("the tls option must be an object { cert, key, ca?, serverName? }");
  const certs = pemBlocks(pemText(options.cert, "tls.cert"), "tls.cert", (label) => label === "CERTIFICATE");
  const key = pemBlocks(pemText(options.key, "tls.key"), "tls.key", (label) => label.endsWith("PRIVATE KEY"));
  if (key.length !== 1) throw tlsConfigError(`tls.key holds ${key.length} private keys; give exactly one`);
  const caInputs = options.ca === undefined ? [] : Array.isArray(options.ca) ? (options.ca as readonly PemInput[]) : [options.ca as PemInput];
  const ca = caInputs.flatMap((input, i) => pemBlocks(pemText(input, `tls.ca[${i}]`), `tls.ca[${i}]`, (label) => label === "CERTIFICATE"));
  const serverName = options.serverName;
  if (serverName !== undefined && (typeof serverName !== "string" || serverName.trim() === "")) {
    throw tlsConfigError(`tls.serverName must be a non-empty string, got ${JSON.stringify(serverName)}`);
  }
  if (options.insecureSkipVerify !== undefined && typeof options.insecureSkipVerify !== "boolean") {
    throw tlsConfigError("tls.insecureSkipVerify must be true or false");
  }
  const result: ResolvedTls = {
    cert: certs.join("\n"),
    key: key[0]!,
    // go-dqlite's SimpleTLSConfig: the pool is the certificate itself.
    ca: ca.length > 0 ? ca : [certs[0]!],
    serverName: serverName ?? firstDnsName(certs[0]!),
    serverNameGiven: serverName !== undefined,
    insecureSkipVerify: options.insecureSkipVerify === true,
  };
  resolved.set(options, result);
  return result;
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
  [/CaUsedAsEndEntity/, "the node's certificate is a CA certificate (basicConstraints CA:TRUE), which Deno refuses as a server certificate; use a certificate with CA:FALSE"],
  [/ALTNAME|not valid for name|Hostname\/IP does not match/i, "the node's certificate does not carry the expected server name (tls.serverName)"],
  [/SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|UnknownIssuer|CERT_SIGNATURE_FAILURE|BadSignature|unknown ca\b/i, "the node's certificate is not signed by a trusted CA (tls.ca; by default the client certificate itself)"],
  [/EXPIRED|NOT_YET_VALID|Expired|NotValidYet/, "a certificate is expired or not yet valid"],
  [/ALERT_BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_CERTIFICATE_UNKNOWN|CERTIFICATE_REQUIRED|BadCertificate|CertificateRequired|UnknownCA|DecryptError|alert bad certificate|alert unknown ca/i, "the node refused this client's certificate"],
  [/WRONG_VERSION_NUMBER|packet length too long|CorruptMessage|InvalidContentType|unexpected message/i, "the node does not speak TLS (is it a plain dqlite node?)"],
  [/ECONNRESET|EPIPE|disconnected before secure TLS|UnexpectedEof|close_notify|peer closed|connection reset|socket hang up|EOF/i, "the node closed the connection during the handshake (a plain dqlite node does this; a TLS node does it to a certificate it refuses)"],
  [/ECONNREFUSED|Connection refused/i, "nothing listens there"],
];

/** The hint the session adds when a plain client met nodes that close at once: they may use TLS. */
export const PLAIN_TO_TLS_HINT =
  "if the nodes listen with TLS (go-dqlite's app.WithTLS, MicroK8s), pass the client certificate and key: tls: { cert, key } (-c/-k on the command line)";

/** The first DNS subject alternative name of a PEM certificate, or undefined when it has none. */
export function firstDnsName(pemCertificate: string): string | undefined {
  return dnsNames(pemCertificate)[0];
}

/** Every DNS subject alternative name of a PEM certificate, in order. */
export function dnsNames(pemCertificate: string): string[] {
  const der = pemToDer(pemCertificate, "the certificate");
  const certificate = parseDer(der, "the certificate");
  // Certificate ::= SEQUENCE { tbsCertificate TBSCertificate, … }
  const tbs = certificate instanceof Sequence ? certificate.valueBlock.value[0] : undefined;
  if (!(tbs instanceof Sequence)) throw tlsConfigError("the certificate is not an X.509 certificate");
  const extensions = tbs.valueBlock.value.find(
    (part) => part.idBlock.tagClass === CONTEXT_SPECIFIC && part.idBlock.tagNumber === EXTENSIONS_TAG,
  );
  const list = extensions instanceof Constructed ? extensions.valueBlock.value[0] : undefined;
  if (!(list instanceof Sequence)) return [];
  for (const extension of list.valueBlock.value) {
    // Extension ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
    const fields = extension instanceof Sequence ? extension.valueBlock.value : [];
    const id = fields[0];
    const value = fields[fields.length - 1];
    if (!(id instanceof ObjectIdentifier) || id.valueBlock.toString() !== SUBJECT_ALT_NAME_OID) continue;
    if (!(value instanceof OctetString)) throw tlsConfigError("the certificate's subjectAltName extension is malformed");
    const names = parseDer(value.valueBlock.valueHexView, "the certificate's subjectAltName");
    if (!(names instanceof Sequence)) throw tlsConfigError("the certificate's subjectAltName extension is malformed");
    return names.valueBlock.value
      .filter((name) => name.idBlock.tagClass === CONTEXT_SPECIFIC && name.idBlock.tagNumber === DNS_NAME_TAG && name instanceof Primitive)
      .map((name) => String.fromCharCode(...(name as Primitive).valueBlock.valueHexView));
  }
  return [];
}

function parseDer(der: Uint8Array, what: string): ReturnType<typeof fromBER>["result"] {
  const parsed = fromBER(der);
  if (parsed.offset === -1) throw tlsConfigError(`${what} is not valid DER (${parsed.result.error})`);
  return parsed.result;
}

function pemToDer(pem: string, what: string): Uint8Array {
  const body = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END/.exec(pem)?.[1] ?? "";
  let binary: string;
  try {
    binary = atob(body.replace(/\s+/g, ""));
  } catch (error) {
    throw tlsConfigError(`${what} is not valid PEM (bad base64)`, error);
  }
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function pemText(input: PemInput | undefined, option: string): string {
  if (typeof input === "string") return input;
  if (input instanceof Uint8Array) return new TextDecoder("utf-8", { fatal: false }).decode(input);
  throw tlsConfigError(`${option} is required: PEM text or its bytes`);
}

/** The PEM blocks of `text` whose label `accept`s, each re-wrapped as a standalone PEM string. */
function pemBlocks(text: string, option: string, accept: (label: string) => boolean): string[] {
  const blocks: string[] = [];
  let labels = 0;
  for (const match of text.matchAll(PEM_BLOCK)) {
    labels++;
    if (accept(match[1]!)) blocks.push(`-----BEGIN ${match[1]}-----\n${match[2]!.trim()}\n-----END ${match[1]}-----\n`);
  }
  if (blocks.length === 0) {
    const expected = option === "tls.key" ? "a PEM private key (-----BEGIN … PRIVATE KEY-----)" : "a PEM certificate (-----BEGIN CERTIFICATE-----)";
    const found = labels > 0 ? "other PEM blocks" : "no PEM block (DER or another format?)";
    throw tlsConfigError(`${option} holds ${found}; expected ${expected}`);
  }
  return blocks;
}

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
