// The Arrow scenario in a browser page: connects through the bridge named in the URL's hash
// (#bridge=ws://…&token=…&node=HOST:PORT) with the browser's WebSocket, runs arrow-scenario.ts
// and leaves its summary (or the error) in body[data-result].

import { connectClient, webSocketConnector } from "../../../src/client/index.ts";
import { arrowScenario } from "../runtimes/arrow-scenario.ts";

const params = new URLSearchParams(location.hash.slice(1));

async function run(): Promise<string> {
  const client = await connectClient({
    addresses: [params.get("node")!],
    connector: webSocketConnector(params.get("bridge")!, { token: params.get("token")! }),
    timeoutMs: 10_000,
  });
  try {
    return `ok ${await arrowScenario(client)}`;
  } finally {
    await client.close();
  }
}

run().then(
  (summary) => (document.body.dataset["result"] = summary),
  (error: unknown) => (document.body.dataset["result"] = `failed: ${(error as Error).stack ?? String(error)}`),
);
