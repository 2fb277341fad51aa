// The options that say how to reach a cluster, shared by `shell`, `cluster` and `dump`, spelled
// as the Go shell spells them: `-s HOST:PORT[,…]` or `-s file://cluster.yaml`, `-c/--cert` and
// `-k/--key` for mutual TLS (the certificate is also the CA unless `--ca` names one), and
// `--timeout`. Files that cannot be read or used are InputFileErrors (exit status 1); options
// that do not fit together are UsageErrors (status 2). The YAML reader of node stores and the
// certificate reader load only when `-s file://…` and `-c/-k` ask for them.

import { readFileSync } from "node:fs";
import { type Client, connect } from "../client/index.ts";
import { isWireError } from "../errors.ts";
import type { TlsOptions } from "../transport/tls.ts";
import { UsageError } from "./io.ts";

/** A file named on the command line that cannot be read or used. Exit status 1. */
export class InputFileError extends Error {
  override name = "InputFileError";
}

export interface ClusterAccess {
  /** Node addresses, from `-s` or from the node store it names. */
  addresses: string[];
  /** Mutual TLS settings from `-c`, `-k`, `--ca`; undefined for plain TCP. */
  tls: TlsOptions | undefined;
  timeoutMs: number;
}

/** parseArgs entries of the access options. */
export const ACCESS_OPTIONS = {
  servers: { type: "string", short: "s" },
  cert: { type: "string", short: "c" },
  key: { type: "string", short: "k" },
  ca: { type: "string" },
  timeout: { type: "string" },
} as const;

export interface AccessValues {
  servers?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  ca?: string | undefined;
  timeout?: string | undefined;
}

export const ACCESS_USAGE = "-s HOST:PORT[,HOST:PORT…]|file://cluster.yaml [-c CERT -k KEY [--ca CA]] [--timeout MS]";

/** Checks the access options; usage errors first, then the files they name are read. */
export async function clusterAccess(values: AccessValues): Promise<ClusterAccess> {
  const servers = values.servers;
  if (servers === undefined || servers.trim() === "") throw new UsageError("-s HOST:PORT[,HOST:PORT…] or -s file://PATH is required");
  const timeoutText = values.timeout ?? "10000";
  if (!/^\d+$/.test(timeoutText) || Number(timeoutText) === 0) {
    throw new UsageError(`--timeout must be a positive number of milliseconds, got ${JSON.stringify(timeoutText)}`);
  }
  if ((values.cert === undefined) !== (values.key === undefined))
    throw new UsageError("both TLS certificate and key must be given (-c and -k)");
  if (values.ca !== undefined && values.cert === undefined) throw new UsageError("--ca needs -c and -k (the client certificate and key)");
  const addresses = await serverAddresses(servers);
  const tls = values.cert === undefined ? undefined : await tlsFromFiles(values.cert, values.key!, values.ca);
  return { addresses, tls, timeoutMs: Number(timeoutText) };
}

/** The node addresses of `-s`: a comma list as it is, or those of a node store (node-store.ts). */
async function serverAddresses(servers: string): Promise<string[]> {
  const list = servers
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (!list.some((entry) => entry.startsWith("file://"))) {
    if (list.length === 0) throw new UsageError("-s HOST:PORT[,HOST:PORT…] or -s file://PATH is required");
    return list;
  }
  const store = await import("./node-store.ts");
  try {
    return store.serverAddresses(servers);
  } catch (error) {
    if (error instanceof store.NodeStoreError) throw new InputFileError(error.message, { cause: error });
    throw error;
  }
}

/**
 * Connects to the cluster's leader with the command's settings, on one connection: a command runs
 * one statement after another, and a BEGIN typed in the shell must reach the statements after it.
 */
export function connectToCluster(access: ClusterAccess): Promise<Client> {
  return connect(
    {
      addresses: access.addresses,
      timeoutMs: access.timeoutMs,
      pool: { max: 1 },
      ...(access.tls === undefined ? {} : { tls: access.tls }),
    },
    { timeoutMs: access.timeoutMs },
  );
}

/** Reads and checks the certificate files, so a bad one is reported before any node is dialled. */
async function tlsFromFiles(certFile: string, keyFile: string, caFile: string | undefined): Promise<TlsOptions> {
  const tls: TlsOptions = { cert: readInput(certFile, "-c"), key: readInput(keyFile, "-k") };
  if (caFile !== undefined) tls.ca = readInput(caFile, "--ca");
  const { resolveTls } = await import("../transport/tls-certificate.ts");
  try {
    resolveTls(tls);
  } catch (error) {
    const files = [certFile, keyFile, ...(caFile === undefined ? [] : [caFile])].join(", ");
    throw new InputFileError(`cannot use ${files}: ${isWireError(error) ? error.message : String(error)}`, { cause: error });
  }
  return tls;
}

function readInput(path: string, flag: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new InputFileError(`${flag} ${path}: ${(error as Error).message}`, { cause: error });
  }
}
