/// <reference types="node" />
// `dqlite-wire bridge`: runs the WebSocket-to-TCP bridge until SIGINT or SIGTERM.
//
// It prints one line on stdout once listening (the URL and the token, or with --json an object
// for scripts), logs one JSON line per connection on stderr, and exits 0 after a clean shutdown,
// 1 when it cannot listen or a certificate file cannot be used, 2 on a usage error.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { BRIDGE_DEFAULTS, startBridge, stderrJsonLogger, silentLogger, type BridgeLogger, type BridgeOptions } from "../bridge/index.ts";
import { resolveBridgeOptions } from "../bridge/options.ts";
import { type HostPort, splitHostPort } from "../transport/address.ts";

export const BRIDGE_USAGE = `usage: dqlite-wire bridge --target HOST:PORT [--target HOST:PORT ...] [options]

Pipes WebSocket clients (browsers) to dqlite nodes over TCP, for allow-listed targets only.
Clients offer the subprotocols "dqlite-wire" and "dqlite-wire.token.<TOKEN>" and choose a node
with ?target=HOST:PORT (default: the first --target).

options:
  --target HOST:PORT         a dqlite node clients may reach (repeatable; the first is the default)
  --listen HOST:PORT         where to listen (default ${BRIDGE_DEFAULTS.host}:${BRIDGE_DEFAULTS.port}; port 0 picks a free one)
  --origin URL               a page origin allowed to connect, e.g. http://127.0.0.1:5173 (repeatable)
  --require-origin           refuse clients that send no Origin header (non-browser programs)
  --token TOKEN              the token clients must offer (default: 32 random bytes, printed)
  --allow-admin              forward ADD, ASSIGN, REMOVE, TRANSFER, WEIGHT and DUMP
  --returning-queries        forward queries with RETURNING (for nodes of dqlite 1.18.2 or later)
  --max-connections N        bridged connections at once (default ${BRIDGE_DEFAULTS.maxConnections})
  --max-per-client N         bridged connections at once per client address (default ${BRIDGE_DEFAULTS.maxConnectionsPerClient})
  --max-message-bytes N      largest WebSocket message from a client (default ${BRIDGE_DEFAULTS.maxMessageBytes})
  --max-frame-bytes N        largest dqlite request frame forwarded (default ${BRIDGE_DEFAULTS.maxFrameBytes})
  --max-buffered-bytes N     bytes waiting per direction before reading pauses (default ${BRIDGE_DEFAULTS.maxBufferedBytes})
  --idle-timeout MS          close connections idle this long (default ${BRIDGE_DEFAULTS.idleTimeoutMs})
  --frame-timeout MS         close connections that leave a frame incomplete this long (default ${BRIDGE_DEFAULTS.frameTimeoutMs})
  --connect-timeout MS       bound on reaching the node (default ${BRIDGE_DEFAULTS.connectTimeoutMs})
  --target-cert FILE         speak TLS to the nodes with this client certificate (PEM), for clusters
                             that listen with mutual TLS (go-dqlite's app, MicroK8s); needs --target-key
  --target-key FILE          the private key of --target-cert (PEM); only the bridge holds it
  --target-ca FILE           the CA the nodes' certificates must chain to (default: --target-cert
                             itself, as go-dqlite's SimpleTLSConfig)
  --json                     print {"url":…,"token":…,"targets":[…]} instead of the text line
  --quiet                    no connection log on stderr
`;

export interface BridgeCommandIO {
  /** Receives the startup line (default: stdout). */
  out?: (line: string) => void;
  /** Receives error lines (default: stderr). */
  err?: (line: string) => void;
  /** Connection log (default: JSON lines on stderr, or nothing with --quiet). */
  logger?: BridgeLogger;
  /** Stops the bridge like SIGINT does (for programs that run the command in-process). */
  signal?: AbortSignal;
}

const OPTIONS = {
  target: { type: "string", multiple: true },
  listen: { type: "string" },
  origin: { type: "string", multiple: true },
  "require-origin": { type: "boolean" },
  token: { type: "string" },
  "allow-admin": { type: "boolean" },
  "returning-queries": { type: "boolean" },
  "max-connections": { type: "string" },
  "max-per-client": { type: "string" },
  "max-message-bytes": { type: "string" },
  "max-frame-bytes": { type: "string" },
  "max-buffered-bytes": { type: "string" },
  "idle-timeout": { type: "string" },
  "frame-timeout": { type: "string" },
  "connect-timeout": { type: "string" },
  "target-cert": { type: "string" },
  "target-key": { type: "string" },
  "target-ca": { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

class BridgeUsageError extends Error {}
/** A certificate file that cannot be read or used: exit status 1. */
class BridgeFileError extends Error {}

export async function runBridgeCommand(argv: string[], io: BridgeCommandIO = {}): Promise<number> {
  const out = io.out ?? ((line: string) => process.stdout.write(line + "\n"));
  const err = io.err ?? ((line: string) => process.stderr.write(line + "\n"));
  let options: BridgeOptions;
  let json: boolean;
  try {
    const parsed = parseOptions(argv);
    if (parsed === "help") {
      out(BRIDGE_USAGE.trimEnd());
      return 0;
    }
    ({ options, json } = parsed);
  } catch (error) {
    err(`dqlite-wire bridge: ${(error as Error).message}`);
    return error instanceof BridgeFileError ? 1 : 2;
  }
  options.logger = io.logger ?? options.logger ?? stderrJsonLogger;

  let bridge;
  try {
    bridge = await startBridge(options);
  } catch (error) {
    err(
      `dqlite-wire bridge: cannot listen on ${options.host ?? BRIDGE_DEFAULTS.host}:${options.port ?? BRIDGE_DEFAULTS.port}: ${(error as Error).message}`,
    );
    return 1;
  }
  if (json) out(JSON.stringify({ url: bridge.url, token: bridge.token, targets: bridge.targets }));
  else out(`dqlite-wire bridge listening on ${bridge.url} token ${bridge.token} targets ${bridge.targets.join(",")}`);

  await stopRequested(io.signal);
  await bridge.close();
  return 0;
}

/** Resolves on SIGINT, SIGTERM or the abort of `signal`, then removes its signal handlers. */
function stopRequested(signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    signal?.addEventListener("abort", stop, { once: true });
    if (signal?.aborted === true) stop();
  });
}

function parseOptions(argv: string[]): "help" | { options: BridgeOptions; json: boolean } {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    // parseArgs explains itself in several lines; the first one says what was wrong.
    throw new BridgeUsageError((error as Error).message.split("\n")[0]);
  }
  if (values.help === true) return "help";
  const targets = values.target ?? [];
  if (targets.length === 0) throw new BridgeUsageError("at least one --target HOST:PORT is required");
  const options: BridgeOptions = { targets };
  if (values.listen !== undefined) {
    const { host, port } = parseListen(values.listen);
    options.host = host;
    options.port = port;
  }
  if (values.origin !== undefined) options.origins = values.origin;
  if (values["require-origin"] === true) options.allowMissingOrigin = false;
  if (values.token !== undefined) options.token = values.token;
  if (values["allow-admin"] === true) options.allowAdmin = true;
  if (values["returning-queries"] === true) options.returningQueries = true;
  const numbers: [keyof typeof OPTIONS, keyof BridgeOptions][] = [
    ["max-connections", "maxConnections"],
    ["max-per-client", "maxConnectionsPerClient"],
    ["max-message-bytes", "maxMessageBytes"],
    ["max-frame-bytes", "maxFrameBytes"],
    ["max-buffered-bytes", "maxBufferedBytes"],
    ["idle-timeout", "idleTimeoutMs"],
    ["frame-timeout", "frameTimeoutMs"],
    ["connect-timeout", "connectTimeoutMs"],
  ];
  for (const [flag, key] of numbers) {
    const text = values[flag as keyof typeof values];
    if (typeof text !== "string") continue;
    if (!/^[1-9]\d{0,14}$/.test(text)) throw new BridgeUsageError(`--${flag} must be a positive integer, got ${JSON.stringify(text)}`);
    (options as unknown as Record<string, number>)[key] = Number(text);
  }
  if (values.quiet === true) options.logger = silentLogger;
  const targetTls = targetTlsFiles(values["target-cert"], values["target-key"], values["target-ca"]);
  if (targetTls !== undefined) options.targetTls = targetTls;
  try {
    // A dry run of the bridge's own validation, so a bad target, origin or token is a usage error.
    resolveBridgeOptions({ ...options, token: options.token ?? "placeholder-token-for-validation" });
  } catch (error) {
    throw new BridgeUsageError((error as Error).message);
  }
  return { options, json: values.json === true };
}

/** --target-cert/--target-key/--target-ca read and checked (BridgeFileError when unusable). */
function targetTlsFiles(cert: string | undefined, key: string | undefined, ca: string | undefined): BridgeOptions["targetTls"] {
  if (cert === undefined && key === undefined && ca === undefined) return undefined;
  if (cert === undefined || key === undefined)
    throw new BridgeUsageError("--target-cert and --target-key go together (--target-ca needs both)");
  const read = (flag: string, path: string): Uint8Array => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new BridgeFileError(`${flag} ${path}: ${(error as Error).message}`);
    }
  };
  const tls = {
    cert: read("--target-cert", cert),
    key: read("--target-key", key),
    ...(ca === undefined ? {} : { ca: read("--target-ca", ca) }),
  };
  try {
    resolveBridgeOptions({ targets: ["127.0.0.1:1"], targetTls: tls });
  } catch (error) {
    throw new BridgeFileError(`cannot use ${[cert, key, ...(ca === undefined ? [] : [ca])].join(", ")}: ${(error as Error).message}`);
  }
  return tls;
}

function parseListen(text: string): HostPort {
  const parts = splitHostPort(text);
  if (parts === undefined) throw new BridgeUsageError(`--listen must be HOST:PORT (port 0-65535), got ${JSON.stringify(text)}`);
  return parts;
}
