// `dqlite-wire shell -s HOST:PORT[,…]|file://cluster.yaml [-c CERT -k KEY] DB ["SQL"]`: an SQL
// shell like the Go client's `dqlite`, with the same options. With SQL it runs that one
// statement; without, it reads statements from stdin, one a line, prompting when stdin is a
// terminal. The tabular and json formats print what the Go shell prints, byte for byte
// (go-shell-format.ts); ndjson prints one JSON object per statement, for programs.
//
// Exit status: 0 success, 1 a statement, the connection or a named file failed, 2 usage errors.

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { Client } from "../client/client.ts";
import { Connection } from "../client/connection.ts";
import { jsonSafe } from "../client/json-safe.ts";
import { answersRows } from "../messages/sql-text.ts";
import type { Database } from "../client/database.ts";
import { connectTcp, tcpConnector } from "../transport/auto.ts";
import type { CellValue } from "../values/cell.ts";
import { MAX_SAFE_BIGINT, MIN_SAFE_BIGINT } from "../values/int-mode.ts";
import { ACCESS_OPTIONS, ACCESS_USAGE, type ClusterAccess, InputFileError, clusterAccess, connectToCluster } from "./cluster-access.ts";
import { goClusterJson, goClusterText, goDescribeJson, goDescribeText, goRow } from "./go-shell-format.ts";
import { UsageError, errorJSON } from "./io.ts";
import { type ByteSink, checkArrowStatement, streamSink, writeArrowQuery } from "./arrow-output.ts";

export { goFloat, goValue } from "./go-shell-format.ts";

export type OutputFormat = "tabular" | "json" | "ndjson" | "arrow";

const SHELL_FORMATS: readonly OutputFormat[] = ["tabular", "json", "ndjson", "arrow"];

const SHELL_USAGE = `usage: dqlite-wire shell ${ACCESS_USAGE} [-f tabular|json|ndjson|arrow] DB ["SQL"]
  Runs SQL against database DB on the cluster's leader; without SQL, reads statements from stdin
  (one a line). Dot commands: .leader .cluster .describe [ADDRESS]
  -s, --servers    node addresses, or file://PATH of a go-dqlite YAML node store (cluster.yaml)
  -c, --cert       client certificate (PEM) for nodes that listen with TLS; it is also the CA,
                   unless --ca names one (as go-dqlite's SimpleTLSConfig)
  -k, --key        the certificate's private key (PEM)
  -f, --format     tabular (default) and json print what the Go shell prints; ndjson prints one
                   JSON object per statement: {"columns","rows"}, {"lastInsertId","rowsAffected"}, {"error"};
                   arrow writes the rows of the SQL argument (one query) as an Apache Arrow IPC
                   stream (> out.arrows)`;

/** Leading keywords of statements that return rows (sent as QUERY_SQL); the rest are EXEC_SQL. */

/** Where a command reads and writes; tests pass their own. */
export interface CommandIo {
  /** Lines of input (the prompt mode reads statements from here). */
  input: NodeJS.ReadableStream;
  interactive: boolean;
  out(text: string): void;
  err(text: string): void;
  /** Bytes to stdout (-f arrow); resolves once they are taken. */
  outBytes?: ByteSink;
}

export const processIo: CommandIo = {
  input: process.stdin,
  get interactive() {
    return process.stdin.isTTY === true;
  },
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  outBytes: streamSink(process.stdout),
};

export interface ConnectionArgs {
  access: ClusterAccess;
  timeoutMs: number;
  format: OutputFormat;
  io: CommandIo;
}

/** Parses the options shared by `shell` and `cluster`; `formats` are the ones the command knows. */
export async function connectionArgs(
  values: {
    servers?: string | undefined;
    cert?: string | undefined;
    key?: string | undefined;
    ca?: string | undefined;
    timeout?: string | undefined;
    format?: string | undefined;
  },
  io: CommandIo,
  formats: readonly OutputFormat[] = ["tabular", "json", "ndjson"],
): Promise<ConnectionArgs> {
  const format = (values.format ?? "tabular") as OutputFormat;
  if (!formats.includes(format)) throw new UsageError(`--format must be ${formats.join(" or ")}, got ${JSON.stringify(values.format)}`);
  const access = await clusterAccess(values);
  return { access, timeoutMs: access.timeoutMs, format, io };
}

/** Connects to the cluster's leader with the CLI's settings. */
export function connectCli(args: ConnectionArgs): Promise<Client> {
  return connectToCluster(args.access);
}

/** A one-line error on stderr, the way the Go shell prints it. */
export function printError(io: CommandIo, error: unknown): void {
  if (error instanceof InputFileError) {
    io.err(`Error: ${error.message}\n`);
    return;
  }
  const { name, code, message } = errorJSON(error);
  io.err(`Error: ${message} (${name} ${code})\n`);
}

/** The options that `shell` and `cluster` share: where the cluster is, how to print, how long to wait. */
export const CONNECTION_OPTIONS = {
  ...ACCESS_OPTIONS,
  format: { type: "string", short: "f" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * The command's settings, or the exit status when they cannot be had: usage errors are thrown
 * (status 2, printed by main), files that cannot be used are printed here (status 1).
 */
export async function commandSettings(
  values: Parameters<typeof connectionArgs>[0],
  io: CommandIo,
  formats?: readonly OutputFormat[],
): Promise<ConnectionArgs | number> {
  try {
    return await connectionArgs(values, io, formats);
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    printError(io, error);
    return 1;
  }
}

export async function runShellCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: CONNECTION_OPTIONS });
  if (values.help === true) {
    io.out(`${SHELL_USAGE}\n`);
    return 0;
  }
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError(`expected DB and at most one SQL argument\n${SHELL_USAGE}`);
  const args = await commandSettings(values, io, SHELL_FORMATS);
  if (typeof args === "number") return args;
  const [name, sql] = positionals as [string, string | undefined];
  if (args.format === "arrow") checkArrowStatement(sql, isQuery);

  let client: Client | undefined;
  let db: Database;
  try {
    client = await connectCli(args);
    db = await client.open(name, { timeoutMs: args.timeoutMs });
  } catch (error) {
    await client?.close();
    printError(io, error);
    return 1;
  }
  try {
    if (sql !== undefined) return (await runLine(client, db, sql, args)) ? 0 : 1;
    return await runPrompt(client, db, args);
  } finally {
    await client.close();
  }
}

/** Reads statements from stdin until it ends. The status is 1 if any statement failed. */
async function runPrompt(client: Client, db: Database, args: ConnectionArgs): Promise<number> {
  const { io } = args;
  const interactive = io.interactive;
  const reader = createInterface({ input: io.input, terminal: interactive, ...(interactive ? { prompt: "dqlite> " } : {}) });
  let ok = true;
  if (interactive) reader.prompt();
  for await (const line of reader) {
    if (line.trim() !== "") ok = (await runLine(client, db, line, args)) && ok;
    if (interactive) reader.prompt();
  }
  return ok ? 0 : 1;
}

/** Runs one statement or dot command and prints its result. False when it failed. */
async function runLine(client: Client, db: Database, line: string, args: ConnectionArgs): Promise<boolean> {
  const text = line.trim();
  const call = { timeoutMs: args.timeoutMs };
  try {
    if (text.startsWith(".")) return await runDotCommand(client, text, args);
    if (args.format === "arrow") {
      if (args.io.outBytes === undefined) throw new UsageError("-f arrow needs a byte output");
      await writeArrowQuery(db, text, args.timeoutMs, args.io.outBytes);
      return true;
    }
    if (isQuery(text)) {
      const result = db.query(text, [], { ...call, intMode: "bigint" });
      let columns: readonly string[] = [];
      const rows: CellValue[][] = [];
      for await (const batch of result) {
        columns = batch.columns;
        if (args.format === "ndjson") {
          for (const row of batch.rows as CellValue[][]) rows.push(row);
        } else {
          let out = "";
          for (const row of batch.rows as CellValue[][]) out += `${goRow(row)}\n`;
          args.io.out(out);
        }
      }
      if (args.format === "ndjson") writeJson(args.io, { columns, rows: rows.map((row) => row.map(jsonCell)) });
      return true;
    }
    const result = await db.exec(text, [], call);
    // The Go shell prints nothing for a statement without rows, in either format.
    if (args.format === "ndjson") writeJson(args.io, result);
    return true;
  } catch (error) {
    if (args.format === "ndjson") writeJson(args.io, { error: errorJSON(error) });
    else printError(args.io, error);
    return false;
  }
}

async function runDotCommand(client: Client, text: string, args: ConnectionArgs): Promise<boolean> {
  const call = { timeoutMs: args.timeoutMs };
  const [command, address, extra] = text.split(/\s+/);
  const out = (line: string): void => {
    // The Go shell prints a result only when it is not empty.
    if (line !== "") args.io.out(`${line}\n`);
  };
  switch (command) {
    case ".leader": {
      const leader = await client.leader(call);
      if (args.format === "ndjson") writeJson(args.io, { id: leader.id.toString(), address: leader.address });
      else out(leader.address);
      return true;
    }
    case ".cluster": {
      const members = await client.cluster(call);
      if (args.format === "ndjson") writeJson(args.io, members);
      else out(args.format === "json" ? goClusterJson(members) : goClusterText(members));
      return true;
    }
    case ".describe": {
      if (extra !== undefined) throw new UsageError("bad command format, should be: .describe [ADDRESS]");
      const described = address ?? client.address ?? "";
      const metadata = address === undefined ? await client.describe(call) : await describeNode(address, args);
      if (args.format === "ndjson") writeJson(args.io, { address: described, ...(metadata.toJSON() as object) });
      else out(args.format === "json" ? goDescribeJson(metadata) : goDescribeText(described, metadata));
      return true;
    }
    default:
      throw new UsageError(`unknown dot command ${JSON.stringify(text)} (known: .leader .cluster .describe [ADDRESS])`);
  }
}

/** DESCRIBE of one given node (not the leader), over a connection of its own, as the Go shell does. */
async function describeNode(address: string, args: ConnectionArgs): Promise<{ failureDomain: bigint; weight: bigint; toJSON(): unknown }> {
  const tls = args.access.tls;
  const connector = tls === undefined ? connectTcp : tcpConnector({ tls });
  const connection = await Connection.open(connector, address, { timeoutMs: args.timeoutMs });
  try {
    const { failureDomain, weight } = await connection.request({ type: "DESCRIBE", format: 0 }, "METADATA", { timeoutMs: args.timeoutMs });
    return { failureDomain, weight, toJSON: () => ({ failureDomain: failureDomain.toString(), weight: weight.toString() }) };
  } finally {
    await connection.close();
  }
}

function writeJson(io: CommandIo, value: unknown): void {
  io.out(`${JSON.stringify(value, bigintReplacer)}\n`);
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/**
 * True when the statement returns rows: its first keyword is one that does, or it has RETURNING
 * (run as a query, where the node reads it; refused before sending where it does not).
 */
export function isQuery(sql: string): boolean {
  return answersRows(sql);
}

/** A cell for JSON: integers as numbers while exact, as decimal strings beyond ±(2^53 - 1). */
function jsonCell(value: CellValue): unknown {
  if (typeof value === "bigint") return value <= MAX_SAFE_BIGINT && value >= MIN_SAFE_BIGINT ? Number(value) : value.toString();
  return jsonSafe(value);
}
