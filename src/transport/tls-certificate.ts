// Reading TLS settings: the PEM blocks of the certificate, key and CA, and the DNS names of a
// certificate (X.509 subjectAltName, read with asn1js). Loaded only where TLS is used: the TCP
// transports and the client import it on demand when a `tls` option is given.

import { Constructed, ObjectIdentifier, OctetString, Primitive, Sequence, fromBER } from "asn1js";
import { type PemInput, type ResolvedTls, type TlsOptions, tlsConfigError } from "./tls.ts";

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
  if (typeof options !== "object" || options === null)
    throw tlsConfigError("the tls option must be an object { cert, key, ca?, serverName? }");
  const certs = pemBlocks(pemText(options.cert, "tls.cert"), "tls.cert", (label) => label === "CERTIFICATE");
  const key = pemBlocks(pemText(options.key, "tls.key"), "tls.key", (label) => label.endsWith("PRIVATE KEY"));
  if (key.length !== 1) throw tlsConfigError(`tls.key holds ${key.length} private keys; give exactly one`);
  const caInputs =
    options.ca === undefined ? [] : Array.isArray(options.ca) ? (options.ca as readonly PemInput[]) : [options.ca as PemInput];
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
    const expected =
      option === "tls.key" ? "a PEM private key (-----BEGIN … PRIVATE KEY-----)" : "a PEM certificate (-----BEGIN CERTIFICATE-----)";
    const found = labels > 0 ? "other PEM blocks" : "no PEM block (DER or another format?)";
    throw tlsConfigError(`${option} holds ${found}; expected ${expected}`);
  }
  return blocks;
}
