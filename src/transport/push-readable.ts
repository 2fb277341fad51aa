// A ReadableStream for sockets that push data at us (node:net, Bun, WebSocket). Its queue is
// measured in bytes; when it reaches the high-water mark the source is paused, and when the
// reader has drained it below the mark (the stream calls `pull`), the source is resumed. A
// reader that stops reading therefore stops the socket, and TCP flow control stops the peer.

export interface PushSource {
  /** Stop delivering data (may be a no-op for sources that cannot pause, like WebSocket). */
  pause(): void;
  resume(): void;
  /** The reader cancelled the stream: release the connection. */
  cancel(): void;
}

export interface PushReadable {
  readonly stream: ReadableStream<Uint8Array>;
  /** Queues a chunk from the source (empty chunks are dropped). */
  push(chunk: Uint8Array): void;
  /** The peer closed: the reader gets the queued bytes, then the end. */
  end(): void;
  /** The connection broke: the reader gets `error` (queued bytes are discarded). */
  fail(error: Error): void;
  /** True while the source is paused because the queue is full. */
  readonly paused: boolean;
}

export function createPushReadable(source: PushSource, highWaterMarkBytes: number): PushReadable {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let paused = false;
  let finished = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      pull() {
        if (paused && !finished) {
          paused = false;
          source.resume();
        }
      },
      cancel() {
        finished = true;
        source.cancel();
      },
    },
    { highWaterMark: highWaterMarkBytes, size: (chunk) => chunk.byteLength },
  );
  return {
    stream,
    push(chunk) {
      if (finished || chunk.byteLength === 0) return;
      controller.enqueue(chunk);
      if (!paused && (controller.desiredSize ?? 0) <= 0) {
        paused = true;
        source.pause();
      }
    },
    end() {
      if (finished) return;
      finished = true;
      controller.close();
    },
    fail(error) {
      if (finished) return;
      finished = true;
      controller.error(error);
    },
    get paused() {
      return paused;
    },
  };
}
