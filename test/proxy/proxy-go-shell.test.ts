// The Go client's shell through `dqlite-wire proxy` to a real node: its output is the same as
// without the proxy; the proxy's log holds every message of every connection, paired, with
// the LEADER replies it rewrote; and a tcpdump capture of both legs (shell ↔ proxy, proxy ↔
// node) shows the same messages on both, but for the rewritten addresses.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { MessageRecord } from "../../src/capture/index.ts";
import { type DqliteNode, startNode } from "../support/nodes.ts";
import { decodeCaptureBytes, messages } from "../capture/decode-helpers.ts";
import { cleanCaptureDirs, goShell, startTcpdump } from "../capture/tcpdump-rig.ts";
import { byConnection, readLog, startProxyCli } from "./proxy-helpers.ts";

const STATEMENTS = [
  "CREATE TABLE proxied (id INTEGER PRIMARY KEY, name TEXT, score REAL)",
  "INSERT INTO proxied (name, score) VALUES ('alice', 1.5), ('bob', NULL), ('☃', -0.25)",
  "SELECT * FROM proxied ORDER BY id",
  "SELECT count(*), sum(score) FROM proxied",
];

let node: DqliteNode;
let dir: string;
let listen: string;
const viaProxy: string[] = [];
const direct: string[] = [];
let capture: Uint8Array;
let log: Record<string, unknown>[];
let proxyStderr = "";

beforeAll(async () => {
  node = await startNode();
  dir = mkdtempSync(join(tmpdir(), "dqlite-wire-proxy-"));
  const logFile = join(dir, "proxy.log");
  const proxy = await startProxyCli(["--listen", "127.0.0.1:0", "--target", node.address, "--log", logFile]);
  listen = proxy.listens[0]!;
  const ports = [listen, node.address].map((a) => `tcp port ${a.split(":")[1]}`).join(" or ");
  let stopped: Awaited<ReturnType<typeof proxy.stop>>;
  try {
    const tcpdump = await startTcpdump({ filter: ports });
    try {
      for (const sql of STATEMENTS) viaProxy.push(await goShell(listen, "demo", sql));
      viaProxy.push(await goShell(listen, "demo", STATEMENTS[2]!, "json"));
    } finally {
      capture = (await tcpdump.stop()).bytes;
    }
  } finally {
    stopped = await proxy.stop();
  }
  proxyStderr = stopped.stderr;
  expect(stopped.status).toBe(0);
  for (const sql of STATEMENTS.slice(2)) direct.push(await goShell(node.address, "demo", sql));
  direct.push(await goShell(node.address, "demo", STATEMENTS[2]!, "json"));
  log = readLog(logFile);
}, 120_000);

afterAll(async () => {
  await node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  cleanCaptureDirs();
});

test("the Go shell prints the same through the proxy as straight to the node (tabular and json)", () => {
  expect(viaProxy.slice(2)).toEqual(direct);
  expect(direct[0]).toContain("alice");
  expect(proxyStderr).toContain(`listening ${listen} → ${node.address}`);
});

test("the log holds every connection, opened and closed, with every request answered", () => {
  const connections = byConnection(log);
  expect(connections.size).toBeGreaterThanOrEqual(STATEMENTS.length + 1);
  for (const [id, lines] of connections) {
    expect(lines[0]).toMatchObject({ ok: true, event: "open", via: listen, server: node.address });
    expect(lines.at(-1)).toMatchObject({ ok: true, event: "close" });
    expect(
      lines.filter((l) => l["ok"] === false),
      id,
    ).toEqual([]);
    const requests = lines.filter((l) => l["direction"] === "request" && l["message"] !== undefined);
    const responses = lines.filter((l) => l["direction"] === "response");
    expect(responses.length, id).toBe(requests.length);
    responses.forEach((response, i) => {
      expect(response["answers"]).toEqual({ request: requests[i]!["request"], type: (requests[i]!["message"] as { type: string }).type });
    });
  }
  const sqls = log.flatMap((l) =>
    l["direction"] === "request" && (l["message"] as { sql?: string })?.sql ? [(l["message"] as { sql: string }).sql] : [],
  );
  for (const sql of STATEMENTS) expect(sqls).toContain(sql);
});

test("LEADER replies are logged as the node sent them, with the address the client got instead", () => {
  const leaders = log.filter((l) => l["direction"] === "response" && (l["message"] as { type: string }).type === "LEADER");
  expect(leaders.length).toBeGreaterThanOrEqual(STATEMENTS.length);
  for (const line of leaders) {
    expect((line["message"] as { address: string }).address).toBe(node.address);
    expect(line["rewritten"]).toEqual({ [node.address]: listen });
  }
});

test("the capture of both legs: the same requests, the same responses but for the LEADER address", () => {
  const decoded = decodeCaptureBytes(capture);
  const all = messages(decoded);
  const leg = (server: string) => {
    const ids = [...new Set(all.filter((m) => m.connection.server === server).map((m) => m.connection.id))];
    return ids.map((id) => all.filter((m) => m.connection.id === id));
  };
  const clientLeg = leg(listen);
  const nodeLeg = leg(node.address);
  expect(clientLeg.length).toBe(STATEMENTS.length + 1);
  expect(nodeLeg.length).toBe(clientLeg.length);
  const view = (records: MessageRecord[], swap: boolean) =>
    records.map((r) => {
      const message = { ...r.message } as Record<string, unknown>;
      if (swap && r.direction === "response" && message["type"] === "LEADER") message["address"] = listen;
      return JSON.stringify({ direction: r.direction, request: r.request, answers: r.answers, message }, (_, v) =>
        typeof v === "bigint" ? String(v) : v,
      );
    });
  expect(clientLeg.map((records) => view(records, false))).toEqual(nodeLeg.map((records) => view(records, true)));
  // The client leg carries the proxy's address, the node leg the node's.
  expect(clientLeg[0]!.find((r) => r.message.type === "LEADER" && r.direction === "response")!.message).toMatchObject({ address: listen });
});
