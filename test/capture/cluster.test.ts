// A tcpdump capture of a 3-node dqlite-demo cluster while the Go shell talks to it: the nodes'
// raft traffic (connections that began before the capture, and new ones opened with CONNECT
// when a node restarts) is recognised and skipped with its reason; the client conversations
// decode in full.

import { afterAll, beforeAll, expect, test } from "vitest";
import { type DqliteCluster, startCluster } from "../support/nodes.ts";
import { type Decoded, decodeCaptureBytes, messages, problems } from "./decode-helpers.ts";
import { cleanCaptureDirs, goShell, startTcpdump } from "./tcpdump-rig.ts";

let cluster: DqliteCluster;
let capture: Uint8Array;
const SQL = [
  "CREATE TABLE IF NOT EXISTS cluster_t (k TEXT, v INTEGER)",
  "INSERT INTO cluster_t VALUES ('a', 1), ('b', 2)",
  "SELECT k, v FROM cluster_t ORDER BY k",
];

beforeAll(async () => {
  cluster = await startCluster(3);
  const ports = cluster.addresses.map((address) => address.split(":")[1]);
  const tcpdump = await startTcpdump({ filter: ports.map((port) => `tcp port ${port}`).join(" or ") });
  for (const sql of SQL) await goShell(cluster.addresses.join(","), "demo", sql);
  // A follower restarts: the nodes open new raft connections to it, each starting with CONNECT.
  const leader = await cluster.leader();
  const follower = cluster.nodes.find((node) => node !== leader)!;
  await follower.restart();
  // Raft reconnects on its own schedule (heartbeats, retries): wait until the capture holds a
  // raft connection opened with CONNECT, however long a loaded machine takes.
  const deadline = Date.now() + 60_000;
  while (!hasRaftConnect(tcpdump.snapshot())) {
    if (Date.now() > deadline) throw new Error("no raft connection opened with CONNECT reached the capture within 60 s of the restart");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await goShell(cluster.addresses.join(","), "demo", "SELECT count(*) FROM cluster_t");
  capture = (await tcpdump.stop()).bytes;
}, 120_000);

/** True when `bytes` (a capture still being written) hold a raft connection that began with CONNECT. */
function hasRaftConnect(bytes: Uint8Array): boolean {
  try {
    return decodeCaptureBytes(bytes).summary.skippedConnections.some((c) => c.kind === "raft" && /^CONNECT from node/.test(c.detail ?? ""));
  } catch {
    return false; // a record cut short at the end of the file
  }
}

afterAll(async () => {
  await cluster?.stop();
  cleanCaptureDirs();
});

function check(decoded: Decoded) {
  const { summary } = decoded;
  const raft = summary.skippedConnections.filter((c) => c.kind === "raft");
  // Raft connections that were open before the capture, recognised by raft's own messages…
  expect(raft.some((c) => c.detail?.includes("began before the capture"))).toBe(true);
  // …and those opened during it, by their CONNECT request.
  expect(raft.some((c) => /^CONNECT from node \d+ \(127\.0\.0\.1:\d+\)$/.test(c.detail ?? ""))).toBe(true);
  expect(summary.connections.raft).toBe(raft.length);
  expect(summary.skippedConnections.filter((c) => c.kind !== "raft")).toEqual([]);
  // The shell's conversations: every statement sent, every request answered.
  const all = messages(decoded);
  const sqls = all.flatMap((m) => (m.direction === "request" && "sql" in m.message ? [m.message.sql] : []));
  for (const sql of [...SQL, "SELECT count(*) FROM cluster_t"]) expect(sqls).toContain(sql);
  const rows = all.find((m) => m.message.type === "ROWS" && m.message.columns[0] === "k")!;
  expect(rows.message.type === "ROWS" && rows.message.rows.map((r) => r.values)).toEqual([
    ["a", 1n],
    ["b", 2n],
  ]);
  expect(rows.answers?.type).toBe("QUERY_SQL");
  // The CONNECT requests themselves are shown, decoded with the internal messages allowed.
  expect(all.some((m) => m.message.type === "CONNECT")).toBe(true);
  return all;
}

test("raft traffic is recognised and skipped with its reason; the client conversations decode", () => {
  const decoded = decodeCaptureBytes(capture);
  check(decoded);
  // Nothing the decoder could not place: no undecodable stream, no lost bytes.
  expect(problems(decoded).filter((p) => p["problem"] !== "incomplete")).toEqual([]);
  expect(decoded.summary.lostBytes).toBe(0);
});

test("with the node ports given (--port), the same", () => {
  const ports = cluster.addresses.map((address) => Number(address.split(":")[1]));
  const decoded = decodeCaptureBytes(capture, { ports });
  check(decoded);
  expect(decoded.summary.connections).toEqual(decodeCaptureBytes(capture).summary.connections);
});
