// Where the cluster is, as the Go shell's `-s` takes it: "HOST:PORT[,HOST:PORT…]", or
// "file://PATH" of a go-dqlite YAML node store, the `cluster.yaml` that go-dqlite's app package
// keeps in each node's data directory (MicroK8s: /var/snap/microk8s/current/var/kubernetes/
// backend/cluster.yaml). The store is a YAML list of `{ Address, ID, Role }`; go-dqlite reads it
// through encoding/json, whose field names match without regard to case, and so does this.

import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { UsageError } from "./io.ts";

/** One entry of a node store (what go-dqlite calls NodeInfo). */
export interface NodeStoreEntry {
  /** uint64, exact. 0 when the store does not know it yet (a node just joining). */
  id: bigint;
  address: string;
  /** 0 voter, 1 stand-by, 2 spare. */
  role: number;
}

/** A node store that exists but cannot be used (unreadable, not YAML, entries without Address). */
export class NodeStoreError extends Error {
  override name = "NodeStoreError";
}

const FILE_PREFIX = "file://";
const MAX_UINT64 = 2n ** 64n - 1n;
const MAX_ROLE = 2;

/**
 * The node addresses of a `-s` value. Usage errors (exit status 2) for what the Go shell also
 * refuses before reading anything; NodeStoreError (status 1) for a store file that cannot be used.
 */
export function serverAddresses(servers: string): string[] {
  const list = servers
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (list.length === 0) throw new UsageError("-s HOST:PORT[,HOST:PORT…] or -s file://PATH is required");
  if (!list[0]!.startsWith(FILE_PREFIX)) return list;
  // The Go shell's own rule: one store, or addresses, not both.
  if (list.length > 1) throw new UsageError("-s: can't mix a file:// node store and explicit addresses");
  const entries = readNodeStore(list[0]!.slice(FILE_PREFIX.length));
  if (entries.length === 0) throw new NodeStoreError(`node store ${list[0]} lists no node`);
  return entries.map((entry) => entry.address);
}

/** Reads a go-dqlite YAML node store. */
export function readNodeStore(path: string): NodeStoreEntry[] {
  if (!path.endsWith(".yaml")) {
    // go-dqlite takes any other path for its SQLite node store, which this tool does not read.
    throw new NodeStoreError(`node store ${path}: not a YAML node store (its name must end in .yaml, as go-dqlite's cluster.yaml)`);
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new NodeStoreError(`cannot read node store ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseNodeStore(text, path);
}

/** Parses the YAML of a node store; `origin` names it in errors. */
export function parseNodeStore(text: string, origin = "node store"): NodeStoreEntry[] {
  let document: unknown;
  try {
    // uint64 ids exceed 2^53: read every integer as a BigInt so none loses precision.
    document = parse(text, { intAsBigInt: true });
  } catch (error) {
    throw new NodeStoreError(`${origin} is not valid YAML: ${(error as Error).message.split("\n")[0]}`, { cause: error });
  }
  if (document === null || document === undefined) return [];
  if (!Array.isArray(document)) throw new NodeStoreError(`${origin} must be a YAML list of { Address, ID, Role }`);
  return document.map((item, index) => nodeStoreEntry(item, `${origin}[${index}]`));
}

function nodeStoreEntry(item: unknown, where: string): NodeStoreEntry {
  if (typeof item !== "object" || item === null || Array.isArray(item))
    throw new NodeStoreError(`${where} must be a map of Address, ID, Role`);
  const fields = new Map(Object.entries(item).map(([key, value]) => [key.toLowerCase(), value]));
  const address = fields.get("address");
  if (typeof address !== "string" || address.trim() === "") throw new NodeStoreError(`${where}.Address must be a HOST:PORT text`);
  const id = fields.get("id") ?? 0n;
  if (typeof id !== "bigint" || id < 0n || id > MAX_UINT64) throw new NodeStoreError(`${where}.ID must be an integer from 0 to 2^64-1`);
  const role = fields.get("role") ?? 0n;
  if (typeof role !== "bigint" || role < 0n || role > BigInt(MAX_ROLE))
    throw new NodeStoreError(`${where}.Role must be 0 (voter), 1 (stand-by) or 2 (spare)`);
  return { id, address: address.trim(), role: Number(role) };
}
