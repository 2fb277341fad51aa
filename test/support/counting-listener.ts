// A TCP listener that only counts the connections made to it (and drops each at once). A test
// that says something is refused "before any node is dialled" points it there and checks the
// count stayed 0, instead of reading that from how little time it took.

import { createServer } from "node:net";

export interface CountingListener {
  /** "127.0.0.1:PORT". */
  readonly address: string;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startCountingListener(): Promise<CountingListener> {
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    socket.on("error", () => {});
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
