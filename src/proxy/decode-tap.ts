/// <reference types="node" />
// Between the relay and the decoder: the relay hands over a copy of every chunk and goes on at
// once; the decoder (in a worker thread, so decoding never takes the relay's time) reads them
// when it can. The bytes waiting are capped: past the cap, chunks are not queued, and the
// decoder is told how many bytes of which direction it missed (it reports the gap and finds
// the next frame boundary). The relay itself never waits for the decoder.

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { Side } from "../messages/codes.ts";
import { LiveDecoder, type LiveDecoderOptions } from "./live-decoder.ts";
import type { TapMessage } from "./tap-messages.ts";

export interface DecodeTap {
  send(message: TapMessage): void;
  /** Bytes handed over and not yet decoded. */
  readonly queuedBytes: number;
  /** Bytes not handed over because the queue was full, since the start. */
  readonly droppedBytes: number;
  /** Decodes what is queued, then stops. */
  close(): Promise<void>;
}

/** Decoding in the relaying thread: nothing is queued, nothing dropped (for tests and small loads). */
export function inlineTap(options: LiveDecoderOptions): DecodeTap {
  const decoder = new LiveDecoder(options);
  return {
    send: (message) => decoder.handle(message),
    queuedBytes: 0,
    droppedBytes: 0,
    close: async () => {},
  };
}

export interface WorkerTapOptions {
  /** Where the JSON lines go: "-" for stdout, or a file path (appended to). */
  log: string;
  decode?: LiveDecoderOptions["decode"];
  /** Bytes waiting for the decoder before chunks are dropped from it. */
  maxQueuedBytes: number;
}

const WORKER_URL = new URL("./decode-worker.js", import.meta.url);

/** True when the compiled worker module is there (it is not when running the TypeScript sources). */
export function workerAvailable(): boolean {
  return WORKER_URL.protocol === "file:" && existsSync(fileURLToPath(WORKER_URL));
}

export function workerTap(options: WorkerTapOptions): DecodeTap {
  const worker = new Worker(WORKER_URL, { workerData: { log: options.log, decode: options.decode ?? {} } });
  let queued = 0;
  let dropped = 0;
  let closed = false;
  const missed = new Map<string, number>();
  worker.on("message", (consumed: number) => {
    queued -= consumed;
  });
  const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
  return {
    get queuedBytes() {
      return queued;
    },
    get droppedBytes() {
      return dropped;
    },
    send(message) {
      if (closed) return;
      if (message.kind !== "data") {
        worker.postMessage(message);
        return;
      }
      const key = `${message.conn}/${message.direction}`;
      const length = message.bytes.length;
      if (queued + length > options.maxQueuedBytes) {
        missed.set(key, (missed.get(key) ?? 0) + length);
        dropped += length;
        return;
      }
      const before = missed.get(key);
      if (before !== undefined) {
        missed.delete(key);
        worker.postMessage({
          kind: "dropped",
          conn: message.conn,
          direction: message.direction as Side,
          length: before,
          timeMs: message.timeMs,
        } satisfies TapMessage);
      }
      queued += length;
      // A fresh buffer of its own, moved to the worker: a socket's Buffer may be a view of a
      // shared pool (Buffer#slice does not copy), which must never be transferred.
      const copy = new Uint8Array(message.bytes);
      worker.postMessage({ ...message, bytes: copy }, [copy.buffer]);
    },
    async close() {
      if (!closed) {
        closed = true;
        worker.postMessage({ kind: "shutdown" });
      }
      await exited;
    },
  };
}
