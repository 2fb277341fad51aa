// `dqlite-wire decode --pcap FILE`: the dqlite conversations of a tcpdump capture (pcap or
// pcapng), one JSON line per message (docs/capture.md), a summary on stderr. The file is read
// in chunks and never held whole; progress goes to stderr for files of more than a few MB.

import { createReadStream, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { CaptureDecoder } from "../capture/capture-decoder.ts";
import type { CaptureSummary } from "../capture/capture-summary.ts";
import { CONNECTION_KIND_TEXT, type ConnectionKind } from "../capture/connection-kind.ts";
import { captureRecordToJSON, summaryToJSON } from "../capture/record-json.ts";
import { DEFAULT_LIMITS } from "../limits.ts";
import { isIntMode } from "../values/int-mode.ts";
import { LineWriter, UsageError } from "./io.ts";

const PCAP_OPTIONS = {
  pcap: { type: "string" },
  port: { type: "string", multiple: true },
  "int-mode": { type: "string" },
  "max-message-size": { type: "string" },
  summary: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export const PCAP_USAGE = `usage: dqlite-wire decode --pcap FILE [--port N …] [options]

Decodes the dqlite conversations of a tcpdump capture (pcap or pcapng; Ethernet, Linux cooked
v1/v2 as \`tcpdump -i any\` writes, BSD loopback, raw IP): one JSON line per message with its
connection, direction, capture time and, for responses, the request it answers; problems
(gaps, connections that began before the capture, frames that do not decode) as {"ok":false,…}
lines; a summary on stderr. TLS, raft traffic between nodes and other protocols are skipped
and counted. docs/capture.md has the details.

options:
  --pcap FILE                       the capture; - reads it from stdin
  --port N                          a dqlite server port (repeatable): connections on it that began
                                    before the capture are decoded from the first provable frame
  --int-mode number|bigint|string   how INTEGER and UNIXTIME cells print (default bigint: exact)
  --max-message-size N              refuse a frame over N bytes (default ${DEFAULT_LIMITS.maxMessageBytes})
  --summary text|json|none          the summary on stderr (default text)
  -h, --help                        print this help

exit status: 0 the capture was read to its end and every dqlite conversation decoded; 1 some
problem was reported (an {"ok":false,…} line) or the file is damaged (said on stderr); 2 usage.
`;

/** Files above this size get progress lines on stderr. */
const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
const PROGRESS_STEPS = 10;
const CHUNK_BYTES = 1024 * 1024;

function portOf(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new UsageError(`--port must be a TCP port (1-65535), got ${JSON.stringify(text)}`);
  return Number(text);
}

export async function runPcapCommand(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(PCAP_USAGE);
    return 0;
  }
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: PCAP_OPTIONS });
  if (positionals.length > 0) throw new UsageError(`decode --pcap takes no positional argument, got ${JSON.stringify(positionals[0])}`);
  const file = values.pcap;
  if (file === undefined || file === "") throw new UsageError("--pcap needs a FILE (or - for stdin)");
  const intMode = values["int-mode"] ?? "bigint";
  if (!isIntMode(intMode)) throw new UsageError(`--int-mode must be number, bigint or string, got ${JSON.stringify(intMode)}`);
  const summaryMode = values.summary ?? "text";
  if (summaryMode !== "text" && summaryMode !== "json" && summaryMode !== "none")
    throw new UsageError(`--summary must be text, json or none, got ${JSON.stringify(summaryMode)}`);
  const maxMessage = values["max-message-size"];
  if (maxMessage !== undefined && !/^\d+$/.test(maxMessage))
    throw new UsageError(`--max-message-size must be a non-negative integer, got ${JSON.stringify(maxMessage)}`);
  const decoder = new CaptureDecoder({
    intMode,
    ports: (values.port ?? []).map(portOf),
    ...(maxMessage === undefined ? {} : { limits: { maxMessageBytes: Number(maxMessage) } }),
  });
  let size: number | undefined;
  if (file !== "-") {
    try {
      size = statSync(file).size;
    } catch (error) {
      throw new UsageError(`cannot read ${JSON.stringify(file)}: ${(error as Error).message}`);
    }
  }
  const input = file === "-" ? process.stdin : createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const out = new LineWriter();
  let problems = 0;
  const progress = progressReporter(size);
  for await (const chunk of input as AsyncIterable<Uint8Array>) {
    for (const record of decoder.push(chunk)) {
      if (record.kind === "problem") problems++;
      await out.line(JSON.stringify(captureRecordToJSON(record)));
    }
    const { requests, responses } = decoder.summary();
    progress(decoder.position, requests + responses);
    if (out.closed) break;
  }
  for (const record of decoder.end()) {
    if (record.kind === "problem") problems++;
    await out.line(JSON.stringify(captureRecordToJSON(record)));
  }
  await out.flush();
  const summary = decoder.summary();
  if (summaryMode === "json") process.stderr.write(`${JSON.stringify(summaryToJSON(summary))}\n`);
  else if (summaryMode === "text") process.stderr.write(summaryText(summary));
  else if (summary.fileError !== undefined) process.stderr.write(`decode --pcap: ${summary.fileError.message}\n`);
  return problems === 0 && summary.fileError === undefined ? 0 : 1;
}

function progressReporter(size: number | undefined): (position: number, messages: number) => void {
  if (size === undefined || size < PROGRESS_MIN_BYTES) return () => {};
  let next = 1;
  return (position, messages) => {
    const step = Math.floor((position / size) * PROGRESS_STEPS);
    if (step < next || step >= PROGRESS_STEPS) return;
    next = step + 1;
    process.stderr.write(
      `decode --pcap: ${step * 10}% (${megabytes(position)} of ${megabytes(size)} MB, ${messages.toLocaleString("en-US")} messages)\n`,
    );
  };
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);
const size = (bytes: number) => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${megabytes(bytes)} MB`);
const plural = (count: number, word: string) => `${count.toLocaleString("en-US")} ${word}${count === 1 ? "" : "s"}`;

/** The summary for people: what was read, decoded, skipped and why, and what went missing. */
export function summaryText(summary: CaptureSummary): string {
  const lines: string[] = [];
  const total = Object.values(summary.connections).reduce((n, c) => n + (c ?? 0), 0);
  lines.push(
    `decode --pcap: ${plural(summary.packets, "packet")} (${size(summary.fileBytes)}, ${summary.format ?? "unknown format"}), ${plural(total, "TCP connection")}`,
  );
  lines.push(
    `  dqlite: ${plural(summary.connections.dqlite ?? 0, "conversation")}, ${plural(summary.requests, "request")}, ${plural(summary.responses, "response")}, ${plural(summary.dqliteBytes, "byte")}`,
  );
  for (const [kind, count] of Object.entries(summary.connections) as [ConnectionKind, number][]) {
    if (kind === "dqlite" || count === 0) continue;
    const listed = summary.skippedConnections.filter((c) => c.kind === kind).slice(0, 3);
    const names = listed.map((c) => `${c.id} ${c.client} → ${c.server}${c.detail ? ` (${c.detail})` : ""}`).join("; ");
    lines.push(`  skipped, ${CONNECTION_KIND_TEXT[kind]}: ${count}${names ? `: ${names}${count > listed.length ? "; …" : ""}` : ""}`);
  }
  for (const [reason, count] of Object.entries(summary.skippedPackets)) lines.push(`  skipped packets, ${reason}: ${count}`);
  const problems = Object.entries(summary.problems);
  if (problems.length > 0) lines.push(`  problems: ${problems.map(([kind, count]) => `${kind} ${count}`).join(", ")}`);
  if (summary.snapCutPackets > 0)
    lines.push(`  packets cut by the snap length: ${summary.snapCutPackets.toLocaleString("en-US")} (their missing bytes are gaps)`);
  if (summary.lostBytes > 0)
    lines.push(`  bytes not in the capture (lost segments, snap length): ${summary.lostBytes.toLocaleString("en-US")}`);
  if (summary.duplicateBytes > 0)
    lines.push(`  bytes seen twice (retransmissions), decoded once: ${summary.duplicateBytes.toLocaleString("en-US")}`);
  if (summary.unansweredRequests > 0) lines.push(`  requests without a response: ${summary.unansweredRequests}`);
  if (summary.fileError !== undefined) lines.push(`  the file could not be read to its end: ${summary.fileError.message}`);
  return `${lines.join("\n")}\n`;
}
