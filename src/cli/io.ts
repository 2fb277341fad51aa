// Small I/O helpers shared by the CLI commands.

import { isWireError } from "../errors.ts";

/** A usage problem: one line on stderr, exit status 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Parses hex (whitespace allowed); anything else is a usage error. */
export function parseHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    throw new UsageError(`not hex: ${JSON.stringify(text.slice(0, 40))}`);
  }
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function errorJSON(error: unknown): { name: string; code: string; message: string; offset?: number } {
  if (isWireError(error)) {
    const out: { name: string; code: string; message: string; offset?: number } = { name: error.name, code: error.code, message: error.message };
    if (error.offset >= 0) out.offset = error.offset;
    return out;
  }
  const err = error as Error;
  return { name: err?.name ?? "Error", code: "INTERNAL", message: String(err?.message ?? error) };
}

export function printLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function lines(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== "");
}
