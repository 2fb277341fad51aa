/// <reference types="node" />
// `dqlite-wire proxy`: a transparent proxy in front of dqlite nodes that logs every message of
// every connection as JSON lines (the lines of `decode --pcap`). Runs until SIGINT or SIGTERM.
//
// stderr gets one line per route once listening ("proxy: listening 127.0.0.1:7001 → …") and a
// closing line with the bytes the decoder had to skip, if any. Exit status: 0 after a clean
// shutdown, 1 when it cannot listen or a certificate file cannot be used, 2 on a usage error.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { type ProxyOptions, startProxy } from "../proxy/proxy-server.ts";
import { splitHostPort } from "../transport/address.ts";
import { isIntMode } from "../values/int-mode.ts";
import { UsageError } from "./io.ts";

export const PROXY_USAGE = `usage: dqlite-wire proxy --listen HOST:PORT --target HOST:PORT [--listen … --target …] [options]

Relays dqlite clients (the Go shell, go-dqlite services, LXD, this library…) to dqlite nodes
unchanged, and logs each message of both directions as a JSON line, as decode --pcap prints
them. One --listen per node, paired with the --target in the same position: node addresses in
LEADER and SERVERS replies are rewritten to the paired listen addresses, so that clients that
follow the leader stay on the proxy. docs/capture.md describes the guarantees.

options:
  --listen HOST:PORT         where clients connect (PORT alone: 127.0.0.1:PORT; port 0 picks one)
  --target HOST:PORT         the node for the --listen in the same position, as the nodes name
                             themselves (their --db address)
  --log FILE|-               the decoded JSON lines (default - : stdout); a FILE is appended to
  --no-log                   relay only, decode nothing
  --no-rewrite               relay LEADER and SERVERS replies unchanged
  --decode-in worker|thread  decode in a worker thread (default) or in the relaying thread
  --max-queued-bytes N       bytes waiting for the decoder before it skips some (default 67108864)
  --int-mode number|bigint|string  how INTEGER and UNIXTIME cells print (default bigint)
  --cert FILE                TLS: terminate clients' TLS and dial the nodes with TLS, with this
                             certificate (PEM), as go-dqlite's app clusters use; needs --key
  --key FILE                 the private key of --cert (PEM)
  --ca FILE                  the CA both sides' certificates must chain to (default: --cert itself)
  --connect-timeout MS       bound on reaching the node for each connection (default 10000)
  -h, --help                 print this help
`;

const OPTIONS = {
  listen: { type: "string", multiple: true },
  target: { type: "string", multiple: true },
  log: { type: "string" },
  "no-log": { type: "boolean" },
  "no-rewrite": { type: "boolean" },
  "decode-in": { type: "string" },
  "max-queued-bytes": { type: "string" },
  "int-mode": { type: "string" },
  cert: { type: "string" },
  key: { type: "string" },
  ca: { type: "string" },
  "connect-timeout": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function listenAddress(text: string): string {
  if (/^\d+$/.test(text)) return `127.0.0.1:${text}`;
  if (splitHostPort(text) === undefined) throw new UsageError(`--listen must be HOST:PORT or PORT, got ${JSON.stringify(text)}`);
  return text;
}

function count(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`proxy: cannot read the ${what} ${JSON.stringify(file)}: ${(error as Error).message}`);
  }
}

/** The proxy's options from the command line (usage errors thrown as UsageError). */
export function proxyOptions(argv: string[]): ProxyOptions {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: OPTIONS });
  if (positionals.length > 0) throw new UsageError(`proxy takes no positional argument, got ${JSON.stringify(positionals[0])}`);
  const listens = (values.listen ?? []).map(listenAddress);
  const targets = values.target ?? [];
  if (targets.length === 0) throw new UsageError("give at least one --target HOST:PORT (and a --listen for it)");
  if (listens.length !== targets.length)
    throw new UsageError(
      `each --target needs its --listen, in the same order: got ${listens.length} --listen and ${targets.length} --target`,
    );
  for (const target of targets)
    if (!splitHostPort(target)?.port) throw new UsageError(`--target must be HOST:PORT, got ${JSON.stringify(target)}`);
  const intMode = values["int-mode"] ?? "bigint";
  if (!isIntMode(intMode)) throw new UsageError(`--int-mode must be number, bigint or string, got ${JSON.stringify(intMode)}`);
  const decodeIn = values["decode-in"] ?? "worker";
  if (decodeIn !== "worker" && decodeIn !== "thread")
    throw new UsageError(`--decode-in must be worker or thread, got ${JSON.stringify(decodeIn)}`);
  if (values["no-log"] && values.log !== undefined) throw new UsageError("--log and --no-log do not combine");
  if ((values.cert === undefined) !== (values.key === undefined)) throw new UsageError("--cert and --key go together");
  if (values.ca !== undefined && values.cert === undefined) throw new UsageError("--ca needs --cert and --key");
  const options: ProxyOptions = {
    routes: targets.map((target, i) => ({ listen: listens[i]!, target })),
    log: values["no-log"] ? false : (values.log ?? "-"),
    rewrite: values["no-rewrite"] !== true,
    decodeIn,
    decode: { intMode },
  };
  const maxQueued = count("--max-queued-bytes", values["max-queued-bytes"]);
  if (maxQueued !== undefined) options.maxQueuedBytes = maxQueued;
  const connectTimeout = count("--connect-timeout", values["connect-timeout"]);
  if (connectTimeout !== undefined) options.connectTimeoutMs = connectTimeout;
  if (values.cert !== undefined) {
    options.tls = {
      cert: readPem(values.cert, "certificate"),
      key: readPem(values.key!, "key"),
      ...(values.ca === undefined ? {} : { ca: readPem(values.ca, "CA") }),
    };
  }
  return options;
}

export async function runProxyCommand(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(PROXY_USAGE);
    return 0;
  }
  let options: ProxyOptions;
  try {
    options = proxyOptions(argv);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) throw error;
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  let proxy;
  try {
    proxy = await startProxy(options);
  } catch (error) {
    process.stderr.write(`proxy: ${(error as Error).message}\n`);
    return 1;
  }
  for (const route of proxy.routes) process.stderr.write(`proxy: listening ${route.listen} → ${route.target}\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await proxy.close();
  if (proxy.droppedBytes > 0)
    process.stderr.write(
      `proxy: the decoder skipped ${proxy.droppedBytes} relayed bytes (its queue was full); they were relayed all the same\n`,
    );
  return 0;
}
