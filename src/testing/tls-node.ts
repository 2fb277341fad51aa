/// <reference types="node" />
// Real dqlite nodes that listen with mutual TLS, as production clusters do: `dqlite-tls-node`
// (src/testing/tls-node/main.go, built by scripts/setup.sh) is a node of go-dqlite's `app`
// package with `app.WithTLS(app.SimpleTLSConfig(keypair, pool))`. One self-signed certificate,
// made with openssl and carrying a DNS name (SimpleTLSConfig refuses one without), serves every
// node and the clients, and is its own CA.
//
// What the node does, which shapes this module:
// - It prints "ready ID ADDRESS" once go-dqlite's `Ready` returns (joined, roles settled).
// - Its data directory holds go-dqlite's files, `cluster.yaml` among them: the YAML node store
//   that the Go shell and `dqlite-wire shell -s file://…` read.
// - A plain client gets its connection closed at once, without a byte.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type ClusterFormOptions,
  type ClusterProbe,
  type NodeCluster,
  type NodeHandle,
  DEFAULT_STARTUP_TIMEOUT_MS,
  LOOPBACK,
  MAX_PORT_ATTEMPTS,
  NodeProcess,
  PROBE_TIMEOUT_MS,
  type ProcessOptions,
  PortTakenError,
  findBuiltBinary,
  formCluster,
  freePorts,
} from "./node-process.ts";
import { type ProbeTls, probeCluster, probeLeader } from "./raw-probe.ts";
import { trackDir, untrackDir } from "./process-reaper.ts";

const BINARY_NAME = "dqlite-tls-node";
const BUILD_HINT =
  "build it with: bash scripts/setup.sh (or: CGO_LDFLAGS_ALLOW='-Wl,-z,now' GO111MODULE=off GOPATH=/usr/share/gocode " +
  "go build -o build/tls-node/dqlite-tls-node src/testing/tls-node/main.go; needs apt-get install -y golang-go golang-github-canonical-go-dqlite-dev libdqlite-dev)";

/** A certificate and its key, as files and as PEM text. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
  /** The DNS name the certificate carries (what go-dqlite's clients verify). */
  readonly dnsName: string;
}

export interface CertificateOptions {
  /** The certificate's DNS subject alternative name. Default "dqlite". */
  dnsName?: string;
  /** Also an IP subject alternative name (default "127.0.0.1"); `null` for none. */
  ip?: string | null;
  /**
   * basicConstraints CA:TRUE, as openssl's `req -x509` makes by default and go-dqlite documents
   * (the default here), or CA:FALSE: Deno's TLS refuses a CA certificate as the server's own.
   */
  ca?: boolean;
  /** Where to write cluster.crt and cluster.key. Default: a new temporary directory. */
  dir?: string;
}

export interface StartTlsNodeOptions extends ProcessOptions {
  /** The cluster certificate; generated (`generateClusterCertificate()`) when absent. */
  certificate?: CertificateFiles;
  /** Addresses of existing members to join ("HOST:PORT"). */
  join?: readonly string[];
  /** Path of dqlite-tls-node. Default: `$DQLITE_TLS_NODE`, then build/tls-node/ of this checkout. */
  binary?: string;
  /** Logs go-dqlite's debug messages; they are then in `output()`. */
  verbose?: boolean;
}

export interface TlsNode extends NodeHandle {
  /** The dqlite protocol address, "127.0.0.1:PORT" (TLS only). */
  readonly address: string;
  /** The data directory; `<dir>/cluster.yaml` is go-dqlite's YAML node store. */
  readonly dir: string;
  /** The certificate the node listens with (and trusts as its CA). */
  readonly certificate: CertificateFiles;
}

export interface StartTlsClusterOptions extends Omit<StartTlsNodeOptions, "join">, ClusterFormOptions {}

/** `stop()` also removes the certificate's directory, when the cluster generated it. */
export interface TlsCluster extends NodeCluster<TlsNode> {
  readonly certificate: CertificateFiles;
}

/** Where dqlite-tls-node is, or an Error that says how to build it. */
export function findTlsNodeBinary(): string {
  return findBuiltBinary({ name: BINARY_NAME, envVar: "DQLITE_TLS_NODE", buildPath: `tls-node/${BINARY_NAME}`, buildHint: BUILD_HINT });
}

/**
 * A self-signed certificate that go-dqlite's SimpleTLSConfig accepts (it needs a DNS name),
 * made the way go-dqlite's documentation says: `openssl req -x509 … -addext subjectAltName=…`.
 */
export function generateClusterCertificate(options: CertificateOptions = {}): CertificateFiles {
  const dnsName = options.dnsName ?? "dqlite";
  const ip = options.ip === undefined ? LOOPBACK : options.ip;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "dqlite-wire-cert-"));
  mkdirSync(dir, { recursive: true });

  const certFile = join(dir, "cluster.crt");
  const keyFile = join(dir, "cluster.key");
  const altNames = ip === null ? `DNS:${dnsName}` : `DNS:${dnsName},IP:${ip}`;
  const args = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30", "-keyout", keyFile, "-out", certFile];
  args.push("-subj", `/CN=${dnsName}`, "-addext", `subjectAltName=${altNames}`);
  if (options.ca === false) args.push("-addext", "basicConstraints=critical,CA:FALSE");
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(
      `openssl could not make a certificate (install with: apt-get install -y openssl): ${stderr || (error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return { certFile, keyFile, cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8"), dnsName };
}

/** The probe settings for a node listening with `certificate`. */
export function probeTlsFor(certificate: CertificateFiles): ProbeTls {
  return { cert: certificate.cert, key: certificate.key, serverName: certificate.dnsName };
}

/** Starts one TLS node on a free loopback port and waits until it answers over TLS. */
export async function startTlsNode(options: StartTlsNodeOptions = {}): Promise<TlsNode> {
  const binary = options.binary ?? findTlsNodeBinary();
  const dir = mkdtempSync(join(tmpdir(), "dqlite-wire-tls-node-"));
  trackDir(dir);
  let certificateDir: string | undefined;
  let certificate = options.certificate;
  if (certificate === undefined) {
    certificateDir = mkdtempSync(join(tmpdir(), "dqlite-wire-cert-"));
    trackDir(certificateDir);
    certificate = generateClusterCertificate({ dir: certificateDir });
  }
  const deadline = Date.now() + (options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS);
  let lastError: Error | undefined;
  for (let attempt = 1; attempt <= MAX_PORT_ATTEMPTS; attempt++) {
    const [port] = await freePorts(1);
    const node = new TlsNodeProcess(binary, dir, `${LOOPBACK}:${port}`, certificate, options);
    if (certificateDir !== undefined) node.own(certificateDir);
    try {
      await node.launch(deadline);
      return node;
    } catch (error) {
      lastError = error as Error;
      if (!(error instanceof PortTakenError) || Date.now() >= deadline) break;
      // Another process won the race for the port: start over with a new one.
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
    }
  }
  for (const made of certificateDir === undefined ? [dir] : [dir, certificateDir]) {
    rmSync(made, { recursive: true, force: true });
    untrackDir(made);
  }
  throw lastError ?? new Error(`${BINARY_NAME} did not start`);
}

/**
 * Starts `size` TLS nodes sharing one certificate: the first bootstraps a cluster, the others
 * join it. Resolves once every node is listed and the cluster has its voters.
 */
export async function startTlsCluster(size = 3, options: StartTlsClusterOptions = {}): Promise<TlsCluster> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`cluster size must be a positive integer, got ${size}`);
  let certificateDir: string | undefined;
  let certificate = options.certificate;
  if (certificate === undefined) {
    certificateDir = mkdtempSync(join(tmpdir(), "dqlite-wire-cert-"));
    trackDir(certificateDir);
    certificate = generateClusterCertificate({ dir: certificateDir });
  }
  const probe = tlsProbe(probeTlsFor(certificate));
  const removeCertificate = () => {
    if (certificateDir === undefined) return;
    rmSync(certificateDir, { recursive: true, force: true });
    untrackDir(certificateDir);
  };
  const start = (join: readonly string[] | undefined) =>
    startTlsNode(join === undefined ? { ...options, certificate } : { ...options, certificate, join });
  return { ...(await formCluster(size, start, probe, options.formTimeoutMs, removeCertificate)), certificate };
}

function tlsProbe(tls: ProbeTls): ClusterProbe {
  return {
    leader: (address, timeoutMs) => probeLeader(address, timeoutMs, tls),
    cluster: (address, timeoutMs) => probeCluster(address, timeoutMs, tls),
  };
}

class TlsNodeProcess extends NodeProcess implements TlsNode {
  protected readonly label = BINARY_NAME;
  protected readonly installHint = BUILD_HINT;
  private readonly probeTls: ProbeTls;
  /** Set by the node's "ready" line, reset at every launch. */
  private ready = false;

  constructor(
    binary: string,
    dir: string,
    address: string,
    readonly certificate: CertificateFiles,
    private readonly options: StartTlsNodeOptions,
  ) {
    super(binary, dir, address, options);
    this.probeTls = probeTlsFor(certificate);
  }

  /** Removes `dir` with the node's own directory when the node stops. */
  own(dir: string): void {
    this.ownedDirs.push(dir);
  }

  protected override onOutput(text: string): void {
    if (/^ready /m.test(text)) this.ready = true;
  }

  protected args(): string[] {
    this.ready = false;
    const args = ["--dir", this.dir, "--address", this.address, "--cert", this.certificate.certFile, "--key", this.certificate.keyFile];
    if (this.options.join !== undefined && this.options.join.length > 0) args.push("--join", this.options.join.join(","));
    if (this.options.verbose === true) args.push("--verbose");
    return args;
  }

  /** The node said it is ready, and handshake + LEADER over TLS answers. */
  protected async probe(): Promise<void> {
    if (!this.ready) throw new Error("it has not printed its ready line yet");
    await probeLeader(this.address, PROBE_TIMEOUT_MS, this.probeTls);
  }
}
