/// <reference types="node" />
// The proxy's decoder thread: reads the messages of decode-tap.ts, writes the JSON lines, and
// tells the relay thread how many bytes it has consumed. It acknowledges a chunk only once its
// lines are accepted by the output, so a slow log counts against the queue cap too.

import { createWriteStream } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { LiveDecoder } from "./live-decoder.ts";
import type { TapMessage } from "./tap-messages.ts";

const port = parentPort!;
const { log, decode } = workerData as { log: string; decode: ConstructorParameters<typeof LiveDecoder>[0]["decode"] };
const out: NodeJS.WritableStream = log === "-" ? process.stdout : createWriteStream(log, { flags: "a" });
let pending: string[] = [];
const decoder = new LiveDecoder({ decode, write: (line) => pending.push(line) });
let waitingForDrain = false;
let shutDown = false;
let unacknowledged = 0;

function flush(): void {
  if (pending.length === 0) return;
  const text = `${pending.join("\n")}\n`;
  pending = [];
  if (!out.write(text) && !waitingForDrain) {
    waitingForDrain = true;
    out.once("drain", () => {
      waitingForDrain = false;
      acknowledge();
    });
  }
}

function acknowledge(): void {
  if (waitingForDrain || unacknowledged === 0) return;
  port.postMessage(unacknowledged);
  unacknowledged = 0;
}

port.on("message", (message: TapMessage | { kind: "shutdown" }) => {
  if (shutDown) return;
  if (message.kind === "shutdown") {
    shutDown = true;
    flush();
    if (out === process.stdout) port.close();
    else out.end(() => port.close());
    return;
  }
  decoder.handle(message);
  flush();
  if (message.kind === "data") unacknowledged += message.bytes.length;
  acknowledge();
});
