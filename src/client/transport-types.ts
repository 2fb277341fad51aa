// The byte transport the session layer runs over, as declared by `src/transport/`: Node, Deno
// and Bun TCP, or a browser WebSocket through the bridge. Any object of this shape will do.

export type { Connector, ConnectOptions, Transport } from "../transport/transport.ts";
