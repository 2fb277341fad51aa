// What a smoke script needs of the runtime it runs in (Node, Deno or Bun): its name, the
// environment, the exit code, a log line on stderr. The scripts run unbundled in all three.

export interface Host {
  runtime: string;
  env(name: string): string | undefined;
  exit(code: number): never;
  log(line: string): void;
}

export function host(): Host {
  const global = globalThis as {
    Deno?: { env: { get(name: string): string | undefined }; exit(code: number): never };
    Bun?: unknown;
    process?: { env: Record<string, string | undefined>; exit(code: number): never; stderr: { write(text: string): void } };
  };
  if (global.Deno !== undefined) {
    const deno = global.Deno;
    return { runtime: "deno", env: (name) => deno.env.get(name), exit: (code) => deno.exit(code), log: (line) => console.error(line) };
  }
  const proc = global.process!;
  return {
    runtime: global.Bun !== undefined ? "bun" : "node",
    env: (name) => proc.env[name],
    exit: (code) => proc.exit(code),
    log: (line) => proc.stderr.write(`${line}\n`),
  };
}
