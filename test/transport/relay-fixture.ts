// Test fixture, not the product bridge: a minimal WebSocket-to-TCP relay that follows the
// bridge's conventions (token subprotocol, allow-listed `?target=`, refusals explained in the
// close frame) and nothing else: no caps, no Origin check, no frame parsing. It lets the
// WebSocket transport be tested against a real node without depending on the bridge.

import { connect as netConnect } from "node:net";
import { WebSocketServer } from "ws";

export const RELAY_FIXTURE_TOKEN = "s3cret-token_123";

export interface RelayFixture {
  /** "ws://127.0.0.1:PORT/" */
  url: string;
  close(): Promise<void>;
}

export async function startRelayFixture(allowedTargets: string[]): Promise<RelayFixture> {
  const server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols) =>
      protocols.has(`dqlite-wire.token.${RELAY_FIXTURE_TOKEN}`) && protocols.has("dqlite-wire") ? "dqlite-wire" : false,
  });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  server.on("connection", (ws, request) => {
    const target = new URL(request.url ?? "/", "ws://fixture").searchParams.get("target") ?? "";
    if (!allowedTargets.includes(target)) {
      ws.close(4003, `target not allowed: ${target}`);
      return;
    }
    const colon = target.lastIndexOf(":");
    const tcp = netConnect({ host: target.slice(0, colon), port: Number(target.slice(colon + 1)) });
    tcp.on("data", (chunk) => ws.send(chunk));
    tcp.on("close", () => ws.close(1000, "node closed the connection"));
    tcp.on("error", () => ws.close(1011, "node connection failed"));
    ws.on("message", (data) => tcp.write(data as Buffer));
    ws.on("close", () => tcp.destroy());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
