// The `dqlite-wire` command: a dispatcher over small subcommands.
//
// Exit status: 0 success, 1 the input was read but is invalid (decode/encode errors, failed
// queries), 2 usage errors (unknown option, non-hex input, bad JSON).

import { UsageError } from "./io.ts";

const USAGE = `usage: dqlite-wire <command> [options]

commands:
  decode --side request|response [--lines|--stream] [--int-mode number|bigint|string]
         [--max-rows N] [--max-message-size N] [--legacy] [--allow-internal] [HEX…]
  encode --side request|response [--lines|--stream] [the same options as decode] [JSON]
  shell  -s HOST:PORT[,HOST:PORT…]|file://cluster.yaml [-c CERT -k KEY [--ca CA]]
         [-f tabular|json|ndjson] [--timeout MS] DB ["SQL"]
  cluster -s HOST:PORT[,…]|file://cluster.yaml [-c CERT -k KEY [--ca CA]] [-f tabular|json] [--timeout MS]
  dump   -s HOST:PORT[,…]|file://cluster.yaml [-c CERT -k KEY [--ca CA]] DB --out DIR [--force]
  bridge --target HOST:PORT [--target …] [--listen HOST:PORT] [--origin URL …] [--token T]
         [--allow-admin] [--max-connections N] [--max-per-client N] [--idle-timeout MS]
         [--target-cert CERT --target-key KEY [--target-ca CA]] [--json] [--quiet]
  decode --pcap FILE [--port N …] [--int-mode …] [--summary text|json|none]
  proxy  --listen HOST:PORT --target HOST:PORT [--listen … --target …] [--log FILE|-]
         [--no-rewrite] [--cert CERT --key KEY [--ca CA]]

Each command takes --help for its full options (so does \`dqlite-wire help COMMAND\`).
`;

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, () => Promise<Command>> = {
  decode: async () => (await import("./codec-commands.ts")).runDecodeCommand,
  encode: async () => (await import("./codec-commands.ts")).runEncodeCommand,
  shell: async () => (await import("./shell-command.ts")).runShellCommand,
  cluster: async () => (await import("./cluster-command.ts")).runClusterCommand,
  dump: async () => (await import("./dump-command.ts")).runDumpCommand,
  bridge: async () => (await import("./bridge-command.ts")).runBridgeCommand,
  proxy: async () => (await import("./proxy-command.ts")).runProxyCommand,
};

export async function main(argv: string[]): Promise<number> {
  // `dqlite-wire help decode` is `dqlite-wire decode --help`.
  const [name, ...rest] = argv[0] === "help" && argv.length > 1 ? [argv[1]!, "--help"] : argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`dqlite-wire: unknown command ${JSON.stringify(name)}\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    // node:util parseArgs reports unknown options with ERR_PARSE_ARGS_* codes.
    if (error instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`dqlite-wire ${name}: ${(error as Error).message}\n`);
      return 2;
    }
    throw error;
  }
}
