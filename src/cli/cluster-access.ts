// The options that say how to reach a cluster, shared by `shell`, `cluster` and `dump`, spelled
// as the Go shell spells them: `-s HOST:PORT[,…]` or `-s file://cluster.yaml`, `-c/--cert` and
// `-k/--key` for mutual TLS (the certificate is also the CA unless `--ca` names one), and
// `--timeout`. Files that cannot be read or used are InputFileErrors (exit status 1); options
// that do not fit together are UsageErrors (status 2).

import { readFileSync } from "node:fs";
import { type Client, connect } from "../client/index.ts";
import { isWireError } from "../errors.ts";
import { type TlsOptions, resolveTls } from "../transport/tls.ts";
import { UsageError } from "./io.ts";
import { NodeStoreError, serverAddresses } from "./node-store.ts";

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
export function clusterAccess(values: AccessValues): ClusterAccess {
  const servers = values.servers;
  if (servers === undefined || servers.trim() === "") throw new UsageError("-s HOST:PORT[,HOST:PORT…] or -s file://PATH is required");
  const timeoutText = values.timeout ?? "10000";
  if (!/^\d+$/.test(timeoutText) || Number(timeoutText) === 0) {
    throw new UsageError(`--timeout must be a positive number of milliseconds, got ${JSON.stringify(timeoutText)}`);
  }
  if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError("both TLS certificate and key must be given (-c and -k)");
  if (values.ca !== undefined && values.cert === undefined) throw new UsageError("--ca needs -c and -k (the client certificate and key)");
  let addresses: string[];
  try {
    addresses = serverAddresses(servers);
  } catch (error) {
    if (error instanceof NodeStoreError) throw new InputFileError(error.message, { cause: error });
    throw error;
  }
  const tls = values.cert === undefined ? undefined : tlsFromFiles(values.cert, values.key!, values.ca);
  return { addresses, tls, timeoutMs: Number(timeoutText) };
}

/**
 * Connects to the cluster's leader with the command's settings, on one connection: a command runs
 * one statement after another, and a BEGIN typed in the shell must reach the statements after it.
 */
export function connectToCluster(access: ClusterAccess): Promise<Client> {
  return connect(
    { addresses: access.addresses, timeoutMs: access.timeoutMs, pool: { max: 1 }, ...(access.tls === undefined ? {} : { tls: access.tls }) },
    { timeoutMs: access.timeoutMs },
  );
}

/** Reads and checks the certificate files, so a bad one is reported before any node is dialled. */
function tlsFromFiles(certFile: string, keyFile: string, caFile: string | undefined): TlsOptions {
  const tls: TlsOptions = { cert: readInput(certFile, "-c"), key: readInput(keyFile, "-k") };
  if (caFile !== undefined) tls.ca = readInput(caFile, "--ca");
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
