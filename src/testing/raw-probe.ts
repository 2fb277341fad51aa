/// <reference types="node" />
// Raw-byte probes of a dqlite node, for the test rig only. They deliberately avoid the
// library's own codec and transports: the rig decides whether a node is up, and it must not
// depend on the code that the node is there to test.

import { connect } from "node:net";

/** `0100000000000000`: protocol version 1, sent once when a connection opens. */
const HANDSHAKE_V1 = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0);
/** LEADER request: header (1 word, type 0) + one zero word. */
const LEADER_REQUEST = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
/** CLUSTER request, format 1 (include roles): header (1 word, type 16) + the format word. */
const CLUSTER_REQUEST = Uint8Array.of(1, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0);

const HEADER_BYTES = 8;
const WORD_BYTES = 8;
/** A probe reply is small; anything larger means the port is not a dqlite node. */
const MAX_PROBE_BODY_BYTES = 64 * 1024;

const RESPONSE_LEADER = 1;
const RESPONSE_SERVERS = 3;

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

/**
 * Opens a connection to `address` ("HOST:PORT"), sends the v1 handshake and `request`, and
 * resolves with the first complete response frame. Rejects on refusal, early close, an
 * oversized reply, or when `timeoutMs` passes.
 */
export function rawRequest(address: string, request: Uint8Array, timeoutMs: number): Promise<RawFrame> {
  const { host, port } = splitAddress(address);
  return new Promise<RawFrame>((resolve, reject) => {
    const socket = connect({ host, port });
    let received = new Uint8Array(0);
    const finish = (error: Error | undefined, frame?: RawFrame): void => {
      clearTimeout(timer);
      socket.destroy();
      if (error !== undefined) reject(error);
      else resolve(frame as RawFrame);
    };
    const timer = setTimeout(() => finish(new Error(`no reply from ${address} within ${timeoutMs} ms`)), timeoutMs);
    socket.setNoDelay(true);
    socket.on("connect", () => {
      socket.write(HANDSHAKE_V1);
      socket.write(request);
    });
    socket.on("data", (chunk: Uint8Array) => {
      const merged = new Uint8Array(received.length + chunk.length);
      merged.set(received, 0);
      merged.set(chunk, received.length);
      received = merged;
      if (received.length < HEADER_BYTES) return;
      const view = new DataView(received.buffer, received.byteOffset, received.byteLength);
      const bodyBytes = view.getUint32(0, true) * WORD_BYTES;
      if (bodyBytes > MAX_PROBE_BODY_BYTES) {
        finish(new Error(`${address} answered a ${bodyBytes}-byte body: not a dqlite node?`));
        return;
      }
      if (received.length < HEADER_BYTES + bodyBytes) return;
      finish(undefined, { type: view.getUint8(4), body: received.slice(HEADER_BYTES, HEADER_BYTES + bodyBytes) });
    });
    socket.on("error", (error) => finish(error));
    socket.on("close", () => finish(new Error(`${address} closed the connection before replying`)));
  });
}

/** Asks `address` who the leader is. `id` 0 and an empty address mean "no leader known". */
export async function probeLeader(address: string, timeoutMs = 1000): Promise<{ id: bigint; address: string }> {
  const frame = await rawRequest(address, LEADER_REQUEST, timeoutMs);
  if (frame.type !== RESPONSE_LEADER) throw new Error(`${address} answered LEADER with response type ${frame.type}`);
  const reader = new BodyReader(frame.body);
  return { id: reader.u64(), address: reader.text() };
}

/** Asks `address` for the cluster members with their roles (CLUSTER format 1). */
export async function probeCluster(address: string, timeoutMs = 1000): Promise<RawServer[]> {
  const frame = await rawRequest(address, CLUSTER_REQUEST, timeoutMs);
  if (frame.type !== RESPONSE_SERVERS) throw new Error(`${address} answered CLUSTER with response type ${frame.type}`);
  const reader = new BodyReader(frame.body);
  const count = reader.u64();
  const servers: RawServer[] = [];
  for (let i = 0n; i < count; i++) {
    servers.push({ id: reader.u64(), address: reader.text(), role: Number(reader.u64()) });
  }
  return servers;
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

/** Just enough of a body reader for LEADER and SERVERS; it throws on anything out of bounds. */
class BodyReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  u64(): bigint {
    const value = this.view.getBigUint64(this.offset, true);
    this.offset += WORD_BYTES;
    return value;
  }

  /** NUL-terminated UTF-8, padded to the next word. */
  text(): string {
    const end = this.bytes.indexOf(0, this.offset);
    if (end < 0) throw new Error("unterminated text in probe reply");
    const value = new TextDecoder().decode(this.bytes.subarray(this.offset, end));
    this.offset = Math.ceil((end + 1) / WORD_BYTES) * WORD_BYTES;
    return value;
  }
}
