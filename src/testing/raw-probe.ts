/// <reference types="node" />
// Raw-byte probes of a dqlite node, for the test rig only. They deliberately avoid the
// library's message codec, sessions and transports: the rig decides whether a node is up, and it
// must not depend on the code that the node is there to test. Only the wire primitives (the
// handshake, the frame header and scanner, word-sized fields, the codes of layout.ts) are
// shared, so each layout keeps one home.
// With `tls`, the probe speaks node:tls to a node that listens with TLS.

import { connect as connectTcp, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { HEADER_BYTES, WORD_BYTES } from "../wire/constants.ts";
import { encodeHandshake } from "../wire/handshake.ts";
import { FrameScanner } from "../wire/frame-scanner.ts";
import { writeHeader } from "../wire/header.ts";
import { RequestCode, ResponseCode } from "../wire/layout.ts";
import { WireReader } from "../wire/reader.ts";
import { WireWriter } from "../wire/writer.ts";

/** A probe reply is small; anything larger means the port is not a dqlite node. */
const MAX_PROBE_FRAME_BYTES = 64 * 1024;
const MAX_PROBE_TEXT_BYTES = 4_096;

/** CLUSTER format 1: the reply includes each member's role. */
const CLUSTER_FORMAT_WITH_ROLES = 1n;

/** One response frame as it came off the socket. */
export interface RawFrame {
  readonly type: number;
  readonly body: Uint8Array;
}

/** A member of the cluster as listed by a SERVERS response. Roles: 0 voter, 1 standby, 2 spare. */
export interface RawServer {
  readonly id: bigint;
  readonly address: string;
  readonly role: number;
}

/** How a probe reaches a node that listens with TLS: PEM texts, and the name to verify. */
export interface ProbeTls {
  readonly cert: string;
  readonly key: string;
  /** Default: `cert` (go-dqlite's SimpleTLSConfig trusts the cluster certificate itself). */
  readonly ca?: string;
  /** The name the node's certificate must carry. */
  readonly serverName: string;
}

/**
 * Opens a connection to `address` ("HOST:PORT"), sends the v1 handshake and `request`, and
 * resolves with the first complete response frame. Rejects on refusal, early close, an
 * oversized reply, a TLS failure, or when `timeoutMs` passes.
 */
export function rawRequest(address: string, request: Uint8Array, timeoutMs: number, tls?: ProbeTls): Promise<RawFrame> {
  const { host, port } = splitAddress(address);
  return new Promise<RawFrame>((resolve, reject) => {
    const socket: Socket =
      tls === undefined
        ? connectTcp({ host, port })
        : connectTls({
            host,
            port,
            cert: tls.cert,
            key: tls.key,
            ca: tls.ca ?? tls.cert,
            servername: tls.serverName,
            minVersion: "TLSv1.2",
          });
    const scanner = new FrameScanner({ input: "copy", maxMessageBytes: MAX_PROBE_FRAME_BYTES, initialBytes: 1024 });
    const finish = (error: Error | undefined, frame?: RawFrame): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(frame as RawFrame);
    };
    const timer = setTimeout(() => finish(new Error(`no reply from ${address} within ${timeoutMs} ms`)), timeoutMs);
    socket.setNoDelay(true);
    socket.on(tls === undefined ? "connect" : "secureConnect", () => {
      socket.write(encodeHandshake());
      socket.write(request);
    });
    socket.on("data", (chunk: Uint8Array) => {
      scanner.push(chunk);
      let frame: ReturnType<FrameScanner["next"]>;
      try {
        frame = scanner.next();
      } catch {
        finish(new Error(`${address} answered an oversized frame: not a dqlite node?`));
        return;
      }
      // The frame is a view of the scanner's buffer: the body is copied out.
      if (frame !== undefined) finish(undefined, { type: frame.header.type, body: frame.bytes.slice(HEADER_BYTES) });
    });
    // A node that drops the connection while our bytes are unread (a TLS node given plain
    // bytes) resets it rather than closing it: both are the peer closing before it replied.
    const closedEarly = () => new Error(`${address} closed the connection before replying`);
    socket.on("error", (error: NodeJS.ErrnoException) =>
      finish(error.code === "ECONNRESET" ? Object.assign(closedEarly(), { cause: error }) : error),
    );
    socket.on("close", () => finish(closedEarly()));
  });
}

/** Asks `address` who the leader is. `id` 0 and an empty address mean "no leader known". */
export async function probeLeader(address: string, timeoutMs = 1000, tls?: ProbeTls): Promise<{ id: bigint; address: string }> {
  const frame = await rawRequest(address, requestFrame(RequestCode.Leader, 0n), timeoutMs, tls);
  if (frame.type !== ResponseCode.Leader) throw new Error(`${address} answered LEADER with response type ${frame.type}`);
  const reader = new WireReader(frame.body);
  return { id: reader.u64("LEADER.id"), address: reader.text("LEADER.address", MAX_PROBE_TEXT_BYTES) };
}

/** Asks `address` for the cluster members with their roles (CLUSTER format 1). */
export async function probeCluster(address: string, timeoutMs = 1000, tls?: ProbeTls): Promise<RawServer[]> {
  const frame = await rawRequest(address, requestFrame(RequestCode.Cluster, CLUSTER_FORMAT_WITH_ROLES), timeoutMs, tls);
  if (frame.type !== ResponseCode.Servers) throw new Error(`${address} answered CLUSTER with response type ${frame.type}`);
  const reader = new WireReader(frame.body);
  const count = reader.u64AsCount("SERVERS.count", 1_000);
  const servers: RawServer[] = [];
  for (let i = 0; i < count; i++) {
    servers.push({
      id: reader.u64(`SERVERS[${i}].id`),
      address: reader.text(`SERVERS[${i}].address`, MAX_PROBE_TEXT_BYTES),
      role: Number(reader.u64(`SERVERS[${i}].role`)),
    });
  }
  return servers;
}

/**
 * Asks the leader at `address` to add node `id` at `nodeAddress` to the cluster (ADD), as a
 * spare; `probeAssign` then gives it a role. Rejects with the node's FAILURE message.
 */
export async function probeAdd(address: string, id: bigint, nodeAddress: string, timeoutMs = 1000): Promise<void> {
  const writer = new WireWriter(HEADER_BYTES + 16 + nodeAddress.length + 8);
  writer.zeros(HEADER_BYTES);
  writer.u64(id);
  writer.text(new TextEncoder().encode(nodeAddress));
  await expectEmpty(address, "ADD", sealFrame(writer, RequestCode.Add), timeoutMs);
}

/** Asks the leader at `address` to give node `id` a role (ASSIGN: 0 voter, 1 standby, 2 spare). */
export async function probeAssign(address: string, id: bigint, role: number, timeoutMs = 1000): Promise<void> {
  const writer = new WireWriter(HEADER_BYTES + 16);
  writer.zeros(HEADER_BYTES);
  writer.u64(id);
  writer.u64(BigInt(role));
  await expectEmpty(address, "ASSIGN", sealFrame(writer, RequestCode.Assign), timeoutMs);
}

async function expectEmpty(address: string, what: string, request: Uint8Array, timeoutMs: number): Promise<void> {
  const frame = await rawRequest(address, request, timeoutMs);
  if (frame.type === ResponseCode.Empty) return;
  if (frame.type === ResponseCode.Failure) {
    const reader = new WireReader(frame.body);
    const code = reader.u64("FAILURE.code");
    throw new Error(`${address} refused ${what}: ${reader.text("FAILURE.message", MAX_PROBE_TEXT_BYTES)} (code ${code})`);
  }
  throw new Error(`${address} answered ${what} with response type ${frame.type}`);
}

/** Splits "HOST:PORT" (or "[v6]:PORT"). */
export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error(`not a HOST:PORT address: ${JSON.stringify(address)}`);
  }
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port };
}

/** A request frame whose body is one uint64 word (LEADER's unused word, CLUSTER's format). */
function requestFrame(type: number, word: bigint): Uint8Array {
  const writer = new WireWriter(HEADER_BYTES * 2);
  writer.zeros(HEADER_BYTES);
  writer.u64(word);
  return sealFrame(writer, type);
}

/** The frame `writer` holds (its first HEADER_BYTES reserved for the header), header written. */
function sealFrame(writer: WireWriter, type: number): Uint8Array {
  const frame = writer.finish();
  writeHeader(frame, 0, (frame.length - HEADER_BYTES) / WORD_BYTES, type, 0);
  return frame;
}
