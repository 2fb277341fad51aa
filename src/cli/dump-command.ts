// `dqlite-wire dump -s …|file://cluster.yaml [-c CERT -k KEY] DB --out DIR [--force]`: asks the
// cluster's leader for a database's files (DUMP → FILES: the database file and its WAL, under
// the names the node gives them, "DB" and "DB-wal") and writes them into DIR, where
// `sqlite3 DIR/DB` opens them. Every file name is checked and every target is looked at before
// anything is written, so a refused name or an existing file leaves the directory as it was.
//
// Exit status: 0 written, 1 the cluster, the dump or a file failed, 2 usage errors.

import { closeSync, fsyncSync, mkdirSync, openSync, writeSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Client } from "../client/index.ts";
import type { FileEntry } from "../messages/types.ts";
import { ACCESS_OPTIONS, ACCESS_USAGE, InputFileError } from "./cluster-access.ts";
import { UsageError } from "./io.ts";
import { type CommandIo, commandSettings, connectCli, printError, processIo } from "./shell-command.ts";

const DUMP_USAGE = `usage: dqlite-wire dump ${ACCESS_USAGE} DB --out DIR [--force]
  Writes the files of database DB as the leader has them (the database file and its WAL) into
  DIR (created if missing), so that \`sqlite3 DIR/DB\` opens them. Existing files are kept
  unless --force. -s, -c, -k and --ca as for shell.`;

const DUMP_OPTIONS = {
  ...ACCESS_OPTIONS,
  out: { type: "string", short: "o" },
  force: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** A file name from the node that must not become a path (it could write outside DIR). */
export class UnsafeFileNameError extends InputFileError {
  override name = "UnsafeFileNameError";
}

/** A dump whose files are all empty: dqlite 1.11 answers so for a database it does not have. */
export class EmptyDumpError extends InputFileError {
  override name = "EmptyDumpError";
}

/** A target that exists while --force was not given. */
export class ExistingFileError extends InputFileError {
  override name = "ExistingFileError";
}

export async function runDumpCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: DUMP_OPTIONS });
  if (values.help === true) {
    io.out(`${DUMP_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one DB argument\n${DUMP_USAGE}`);
  if (values.out === undefined || values.out === "") throw new UsageError(`--out DIR is required\n${DUMP_USAGE}`);
  const args = await commandSettings(values, io);
  if (typeof args === "number") return args;
  const name = positionals[0]!;
  const dir = values.out;

  let client: Client | undefined;
  try {
    client = await connectCli(args);
    const files = await client.dump(name, { timeoutMs: args.timeoutMs });
    const written = writeDump(files, dir, values.force === true);
    for (const file of written) io.out(`${file.path} ${file.bytes} bytes\n`);
    return 0;
  } catch (error) {
    printError(io, error);
    return 1;
  } finally {
    await client?.close();
  }
}

/**
 * Writes `files` into `dir`: first every name is checked and every target looked at, then the
 * files are written (mode 0600, as the Go shell's `.dump`) and synced.
 */
export function writeDump(files: readonly FileEntry[], dir: string, force: boolean): { path: string; bytes: number }[] {
  if (files.length === 0) throw new EmptyDumpError("the node sent no file; nothing was written");
  for (const file of files) checkFileName(file.name);
  if (files.every((file) => file.content.byteLength === 0)) {
    throw new EmptyDumpError(
      `the node sent only empty files (${files.map((file) => file.name).join(", ")}): it has no such database, or nothing was ever written to it; nothing was written`,
    );
  }
  const targets = files.map((file) => ({ file, path: join(dir, file.name) }));
  if (!force) {
    const existing = targets.filter((target) => existsSync(target.path)).map((target) => target.path);
    if (existing.length > 0)
      throw new ExistingFileError(`${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}; --force overwrites`);
  }
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new InputFileError(`cannot create ${dir}: ${(error as Error).message}`, { cause: error });
  }
  return targets.map(({ file, path }) => {
    try {
      writeWhole(path, file.content, force);
    } catch (error) {
      throw new InputFileError(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
    }
    return { path: resolve(path), bytes: file.content.byteLength };
  });
}

function writeWhole(path: string, content: Uint8Array, force: boolean): void {
  // "wx" also refuses a file that appeared since the existence check.
  const fd = openSync(path, force ? "w" : "wx", 0o600);
  try {
    let offset = 0;
    while (offset < content.byteLength) offset += writeSync(fd, content, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A plain file name: not empty, not "." or "..", no path separator, no NUL. */
export function checkFileName(name: string): void {
  const problem =
    name === ""
      ? "is empty"
      : name === "." || name === ".."
        ? "is a directory reference"
        : /[/\\]/.test(name)
          ? "contains a path separator"
          : name.includes("\0")
            ? "contains a NUL byte"
            : undefined;
  if (problem !== undefined)
    throw new UnsafeFileNameError(`refusing the file name ${JSON.stringify(name)} sent by the node: it ${problem}; nothing was written`);
}
