// `dqlite-wire shell -s HOST:PORT[,…] DB ["SQL"]`: an SQL shell like the Go client's `dqlite`.
// With SQL it runs that one statement; without, it reads statements from stdin, one a line,
// prompting when stdin is a terminal. The tabular format prints what the Go shell prints (values
// joined by "|", Go's formatting of numbers, `<nil>` for NULL, `[1 2 3]` for blobs), so the two
// can be compared line by line; the json format prints one JSON object per statement.
//
// Exit status: 0 success, 1 a statement or the connection failed, 2 usage errors.

import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { type Client, connect, jsonSafe } from "../client/index.ts";
import type { Database } from "../client/database.ts";
import type { CellValue } from "../values/cell.ts";
import { MAX_SAFE_BIGINT, MIN_SAFE_BIGINT } from "../values/int-mode.ts";
import { UsageError, errorJSON } from "./io.ts";

export type OutputFormat = "tabular" | "json";

const SHELL_USAGE = `usage: dqlite-wire shell -s HOST:PORT[,HOST:PORT…] [--format tabular|json] [--timeout MS] DB ["SQL"]
  Runs SQL against database DB on the cluster's leader; without SQL, reads statements from stdin
  (one a line). Dot commands: .leader .cluster .describe`;

/** Leading keywords of statements that return rows (sent as QUERY_SQL); the rest are EXEC_SQL. */
const QUERY_KEYWORDS = new Set(["SELECT", "WITH", "VALUES", "PRAGMA", "EXPLAIN"]);

/** Where a command reads and writes; tests pass their own. */
export interface CommandIo {
  /** Lines of input (the prompt mode reads statements from here). */
  input: NodeJS.ReadableStream;
  interactive: boolean;
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CommandIo = {
  input: process.stdin,
  get interactive() {
    return process.stdin.isTTY === true;
  },
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export interface ConnectionArgs {
  servers: string;
  timeoutMs: number;
  format: OutputFormat;
  io: CommandIo;
}

/** Parses the options shared by `shell` and `cluster`. */
export function connectionArgs(
  values: { servers?: string | undefined; timeout?: string | undefined; format?: string | undefined },
  io: CommandIo,
): ConnectionArgs {
  const servers = values.servers;
  if (servers === undefined || servers.trim() === "") throw new UsageError("-s HOST:PORT[,HOST:PORT…] is required");
  const timeoutText = values.timeout ?? "10000";
  if (!/^\d+$/.test(timeoutText) || Number(timeoutText) === 0) {
    throw new UsageError(`--timeout must be a positive number of milliseconds, got ${JSON.stringify(timeoutText)}`);
  }
  const format = values.format ?? "tabular";
  if (format !== "tabular" && format !== "json") throw new UsageError(`--format must be tabular or json, got ${JSON.stringify(format)}`);
  return { servers, timeoutMs: Number(timeoutText), format, io };
}

/** Connects to the cluster's leader with the CLI's settings. */
export function connectCli(args: ConnectionArgs): Promise<Client> {
  return connect({ addresses: args.servers, timeoutMs: args.timeoutMs }, { timeoutMs: args.timeoutMs });
}

/** A one-line error on stderr, the way the Go shell prints it. */
export function printError(io: CommandIo, error: unknown): void {
  const { name, code, message } = errorJSON(error);
  io.err(`Error: ${message} (${name} ${code})\n`);
}

/** The options that `shell` and `cluster` share: where the cluster is, how to print, how long to wait. */
export const CONNECTION_OPTIONS = {
  servers: { type: "string", short: "s" },
  format: { type: "string", short: "f" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export async function runShellCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: CONNECTION_OPTIONS });
  if (values.help === true) {
    io.out(`${SHELL_USAGE}\n`);
    return 0;
  }
  const args = connectionArgs(values, io);
  if (positionals.length < 1 || positionals.length > 2) throw new UsageError(`expected DB and at most one SQL argument\n${SHELL_USAGE}`);
  const [name, sql] = positionals as [string, string | undefined];

  let client: Client;
  let db: Database;
  try {
    client = await connectCli(args);
    db = await client.open(name, { timeoutMs: args.timeoutMs });
  } catch (error) {
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
    if (isQuery(text)) {
      const result = db.query(text, [], { ...call, intMode: "bigint" });
      let columns: readonly string[] = [];
      const rows: CellValue[][] = [];
      for await (const batch of result) {
        columns = batch.columns;
        if (args.format === "tabular") {
          let out = "";
          for (const row of batch.rows as CellValue[][]) out += `${row.map(goValue).join("|")}\n`;
          args.io.out(out);
        } else {
          for (const row of batch.rows as CellValue[][]) rows.push(row);
        }
      }
      if (args.format === "json") writeJson(args.io, { columns, rows: rows.map((row) => row.map(jsonCell)) });
      return true;
    }
    const result = await db.exec(text, [], call);
    if (args.format === "json") writeJson(args.io, result);
    return true;
  } catch (error) {
    if (args.format === "json") writeJson(args.io, { error: errorJSON(error) });
    else printError(args.io, error);
    return false;
  }
}

async function runDotCommand(client: Client, text: string, args: ConnectionArgs): Promise<boolean> {
  const call = { timeoutMs: args.timeoutMs };
  switch (text.split(/\s+/)[0]) {
    case ".leader": {
      const leader = await client.leader(call);
      if (args.format === "json") writeJson(args.io, { id: leader.id.toString(), address: leader.address });
      else args.io.out(`${leader.address}\n`);
      return true;
    }
    case ".cluster": {
      const members = await client.cluster(call);
      if (args.format === "json") writeJson(args.io, members);
      else args.io.out(members.map((m) => `${m.id.toString(16)}|${m.address}|${m.role}\n`).join(""));
      return true;
    }
    case ".describe": {
      const metadata = await client.describe(call);
      if (args.format === "json") writeJson(args.io, metadata);
      else args.io.out(`${metadata.failureDomain}|${metadata.weight}\n`);
      return true;
    }
    default:
      throw new UsageError(`unknown dot command ${JSON.stringify(text)} (known: .leader .cluster .describe)`);
  }
}

function writeJson(io: CommandIo, value: unknown): void {
  io.out(`${JSON.stringify(value, bigintReplacer)}\n`);
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/** True when the statement's first keyword is one that returns rows. */
export function isQuery(sql: string): boolean {
  const keyword = /^[\s(]*(?:(?:--[^\n]*\n|\/\*[\s\S]*?\*\/)[\s(]*)*([A-Za-z]+)/.exec(sql)?.[1];
  return keyword !== undefined && QUERY_KEYWORDS.has(keyword.toUpperCase());
}

/** A cell for JSON: integers as numbers while exact, as decimal strings beyond ±(2^53 - 1). */
function jsonCell(value: CellValue): unknown {
  if (typeof value === "bigint") return value <= MAX_SAFE_BIGINT && value >= MIN_SAFE_BIGINT ? Number(value) : value.toString();
  return jsonSafe(value);
}

/** A cell as Go's fmt prints it with %v (what the Go `dqlite` shell shows). */
export function goValue(value: CellValue): string {
  if (value === null) return "<nil>";
  if (value instanceof Uint8Array) return `[${value.join(" ")}]`;
  if (typeof value === "number") return goFloat(value);
  return String(value);
}

/**
 * A float64 as Go's %v prints it: the shortest digits that read back exactly, in exponent form
 * when the decimal exponent is below -4 or 6 and above, with a signed exponent of at least two
 * digits ("1e+06", "1.5e-07", "1.234567e+06").
 */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  if (value === 0) return Object.is(value, -0) ? "-0" : "0";
  const [mantissa, exponentText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) return goExponent(mantissa, exponent);
  // In this range JS prints the same plain decimal digits.
  return String(value);
}

function goExponent(mantissa: string, exponent: number): string {
  const sign = exponent < 0 ? "-" : "+";
  return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
}
