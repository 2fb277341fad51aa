// Faults a real dqlite node cannot be made to produce on demand, played by a SCRIPTED FAKE
// SERVER (a node:net listener that sends prepared bytes, not dqlite): a connection cut in the
// middle of a frame, a reply trickled one byte per packet, and garbage in place of a reply.

import { type Server, type Socket, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { Connection } from "../../src/client/connection.ts";
import { connectClient } from "../../src/client/client.ts";
import { ConnectionError, DecodeError } from "../../src/errors.ts";
import { encodeResponse } from "../../src/messages/codec.ts";
import { connectTcp } from "../../src/transport/auto.ts";

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/**
 * A scripted fake server: after the 8-byte handshake, each 16-byte-or-longer request gets the
 * next scripted answer. `answer` writes to the socket however the case needs.
 */
async function scriptedFakeServer(answers: ((socket: Socket) => Promise<void> | void)[]): Promise<string> {
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    let received = 0;
    let handled = 0;
    socket.on("data", async (chunk) => {
      received += chunk.length;
      // Handshake (8) + one LEADER-sized request (16) per answer, enough for these scripts.
      while (handled < answers.length && received >= 8 + 16 * (handled + 1)) {
        const answer = answers[handled++]!;
        await answer(socket);
      }
    });
    socket.on("error", () => {});
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return `127.0.0.1:${address.port}`;
}

const leaderReply = (address: string) => encodeResponse({ type: "LEADER", id: 1n, address });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("scripted fake server: faults between frames", () => {
  it("a connection closed in the middle of a frame is a ConnectionError naming it; no partial message", async () => {
    const address = await scriptedFakeServer([
      (socket) => {
        const frame = leaderReply("127.0.0.1:9999");
        socket.end(frame.subarray(0, 13));
      },
    ]);
    const conn = await Connection.open(connectTcp, address, { timeoutMs: 5000 });
    const error = await conn.request({ type: "LEADER" }, "LEADER").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_CLOSED");
    expect((error as Error).message).toMatch(/closed the connection in the middle of a frame \(13 bytes of it received\)/);
    expect(conn.closed).toBe(true);
  });

  it("a reply trickled one byte per packet decodes exactly as a whole one", async () => {
    const frame = leaderReply("127.0.0.1:4242");
    const address = await scriptedFakeServer([
      async (socket) => {
        for (const byte of frame) {
          socket.write(Uint8Array.of(byte));
          await sleep(2); // pacing, so that each byte goes out in a packet of its own
        }
      },
    ]);
    const conn = await Connection.open(connectTcp, address, { timeoutMs: 5000 });
    try {
      expect(await conn.request({ type: "LEADER" }, "LEADER")).toEqual({
        type: "LEADER",
        code: 1,
        schema: 0,
        id: 1n,
        address: "127.0.0.1:4242",
      });
    } finally {
      await conn.close();
    }
  });

  it("garbage in place of a reply is a DecodeError and closes the connection; the next call fails fast", async () => {
    const address = await scriptedFakeServer([
      (socket) => {
        // A header announcing one word of an unknown response type (0x42).
        socket.write(Uint8Array.of(1, 0, 0, 0, 0x42, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8));
      },
    ]);
    const conn = await Connection.open(connectTcp, address, { timeoutMs: 5000 });
    const error = await conn.request({ type: "LEADER" }, "LEADER").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).code).toBe("UNKNOWN_TYPE");
    expect(conn.closed).toBe(true);
    await expect(conn.request({ type: "LEADER" }, "LEADER")).rejects.toMatchObject({ code: "CONNECTION_CLOSED" });
  });

  it("bytes sent while no request is out close the connection (they cannot be matched to anything)", async () => {
    const server = createServer((socket) => {
      socket.once("data", () => socket.write(encodeResponse({ type: "EMPTY" })));
      socket.on("error", () => {});
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const conn = await Connection.open(connectTcp, `127.0.0.1:${port}`, { timeoutMs: 5000 });
    const deadline = Date.now() + 20_000;
    while (!conn.closed && Date.now() < deadline) await sleep(10);
    expect(conn.closedBy?.message).toMatch(/sent 16 bytes while no request was out/);
  });

  it("a node that names a leader which names another one is not trusted: NO_LEADER after the bounded rounds", async () => {
    // Two fake nodes pointing at each other.
    const first = await scriptedFakeServer(Array.from({ length: 10 }, () => (socket: Socket) => void socket.write(leaderReply(second))));
    const second: string = await scriptedFakeServer(
      Array.from({ length: 10 }, () => (socket: Socket) => void socket.write(leaderReply(first))),
    );
    const error = await connectClient({ addresses: [first], connector: connectTcp, discovery: { rounds: 2, backoffBaseMs: 10 } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("NO_LEADER");
    expect((error as Error).message).toContain(`names ${second} as leader, which names ${first}`);
  });
});
