// The WebSocket transport, through a minimal WebSocket-to-TCP relay written here as a test
// fixture (it is not the product bridge), to a real dqlite-demo node.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { ConnectionError } from "../../src/errors.ts";
import { startNode, type DqliteNode } from "../support/nodes.ts";
import { connectWebSocket, webSocketConnector, type WebSocketCloseInfo, type WebSocketConstructor } from "../../src/transport/websocket.ts";
import { FrameReader, HANDSHAKE_V1, LEADER_REQUEST, concat, decodeLeader } from "./raw-frames.ts";
import { RELAY_FIXTURE_TOKEN as TOKEN, startRelayFixture, type RelayFixture } from "./relay-fixture.ts";

const WS = WebSocket as unknown as WebSocketConstructor;

let node: DqliteNode;
let relay: RelayFixture;
beforeAll(async () => {
  node = await startNode();
  relay = await startRelayFixture([node.address]);
});
afterAll(async () => {
  await relay?.close();
  await node?.stop();
});

describe("WebSocket transport through a relay fixture", () => {
  it("passes bytes both ways: handshake + LEADER reach the node and its reply comes back", async () => {
    const url = `${relay.url}?target=${encodeURIComponent(node.address)}`;
    const transport = await connectWebSocket(url, { token: TOKEN, WebSocket: WS });
    expect(transport.peer).toContain("target=");
    await transport.write(concat(HANDSHAKE_V1, LEADER_REQUEST));
    const frames = new FrameReader(transport.readable.getReader());
    const reply = await frames.next();
    expect(reply?.type).toBe(1);
    expect(decodeLeader(reply!.body).address).toBe(node.address);
    // A second request on the same connection: the stream keeps going.
    await transport.write(LEADER_REQUEST);
    expect(decodeLeader((await frames.next())!.body).address).toBe(node.address);
    await transport.close();
    await transport.close();
  });

  it("webSocketConnector turns a node address into the target parameter", async () => {
    const connector = webSocketConnector(relay.url, { token: TOKEN, WebSocket: WS });
    const transport = await connector(node.address, { timeoutMs: 5_000 });
    await transport.write(concat(HANDSHAKE_V1, LEADER_REQUEST));
    const reply = await new FrameReader(transport.readable.getReader()).next();
    expect(decodeLeader(reply!.body).address).toBe(node.address);
    await transport.close();
  });

  it("surfaces the close code and reason of a refusal in the ConnectionError", async () => {
    const connector = webSocketConnector(relay.url, { token: TOKEN, WebSocket: WS });
    const transport = await connector("127.0.0.1:1");
    const reader = transport.readable.getReader();
    const error = await reader.read().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_CLOSED");
    expect((error as ConnectionError).message).toContain("4003");
    expect((error as ConnectionError).message).toContain("target not allowed: 127.0.0.1:1");
    const info = (error as ConnectionError).cause as WebSocketCloseInfo;
    expect(info.code).toBe(4003);
    // Later writes fail with the same explanation.
    const writeError = await transport.write(LEADER_REQUEST).catch((e: unknown) => e);
    expect((writeError as ConnectionError).message).toContain("target not allowed");
  });

  it("ends the readable when the node closes its side (close code 1000)", async () => {
    const transport = await webSocketConnector(relay.url, { token: TOKEN, WebSocket: WS })(node.address);
    await transport.write(Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0)); // unknown protocol version: the node hangs up
    const { done } = await transport.readable.getReader().read();
    expect(done).toBe(true);
  });

  it("refuses a server that does not answer the dqlite-wire subprotocol (wrong token)", async () => {
    const error = await connectWebSocket(`${relay.url}?target=${node.address}`, { token: "wrong", WebSocket: WS }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_FAILED");
    // The ws client itself refuses a handshake without the offered subprotocol; a browser
    // would open, and the transport's own check refuses it then. Either way it is named.
    expect((error as ConnectionError).message).toMatch(/subprotocol/i);
  });

  it("rejects a token that a subprotocol cannot carry", async () => {
    const error = await connectWebSocket(relay.url, { token: "a b/c=", WebSocket: WS }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).message).toMatch(/subprotocol cannot carry/);
  });

  it("gives CONNECTION_FAILED with the close code when nothing listens", async () => {
    const error = await connectWebSocket("ws://127.0.0.1:1/", { WebSocket: WS }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as ConnectionError).code).toBe("CONNECTION_FAILED");
    expect((error as ConnectionError).message).toContain("code 1006");
  });

  it("names the fix when the runtime has no WebSocket and none is given", async () => {
    const saved = (globalThis as { WebSocket?: unknown }).WebSocket;
    (globalThis as { WebSocket?: unknown }).WebSocket = undefined;
    try {
      const error = await connectWebSocket(relay.url).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as ConnectionError).message).toContain("options.WebSocket");
    } finally {
      (globalThis as { WebSocket?: unknown }).WebSocket = saved;
    }
  });
});
