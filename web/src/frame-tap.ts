// Watches the bytes of a live connection both ways and logs each frame as it completes, without
// changing what the session sends or receives. It wraps the Connector the session uses, so every
// connection the session opens (including a reconnect to a new leader) is watched.

import { type Connector, FrameDecoder, HANDSHAKE_BYTES, type Transport, isWireError } from "./library.ts";
import { type FrameLog, typeName } from "./frame-log.ts";
import type { FrameDirection } from "./worker-protocol.ts";

export interface TapEvents {
  /** The result running now, if any: its frames are tagged with it. */
  currentResult(): number | undefined;
  /** Called with every received frame's size (for the byte counter of the running result). */
  onReceived(bytes: number): void;
  onOpen(peer: string): void;
  onClose(peer: string, reason: string): void;
}

/** Splits one direction's bytes into frames and logs them. */
class DirectionSplitter {
  #decoder: FrameDecoder;
  /** The request side starts with the 8-byte protocol version, logged as its own entry. */
  #handshake: Uint8Array | undefined;
  #handshakeFill = 0;
  #broken = false;

  constructor(
    private readonly direction: FrameDirection,
    private readonly log: FrameLog,
    private readonly events: TapEvents,
  ) {
    this.#decoder = new FrameDecoder({ side: direction === "sent" ? "request" : "response", handshake: false });
    if (direction === "sent") this.#handshake = new Uint8Array(HANDSHAKE_BYTES);
  }

  push(chunk: Uint8Array): void {
    if (this.#broken) return;
    let rest = chunk;
    if (this.#handshake !== undefined) {
      const take = Math.min(rest.length, HANDSHAKE_BYTES - this.#handshakeFill);
      this.#handshake.set(rest.subarray(0, take), this.#handshakeFill);
      this.#handshakeFill += take;
      rest = rest.subarray(take);
      if (this.#handshakeFill < HANDSHAKE_BYTES) return;
      this.#record("HANDSHAKE", this.#handshake);
      this.#handshake = undefined;
    }
    try {
      this.#decoder.push(rest);
      for (let frame = this.#decoder.nextFrame(); frame !== undefined; frame = this.#decoder.nextFrame()) {
        this.#record(typeName(this.direction, frame.header.type), frame.bytes.slice());
      }
    } catch (error) {
      // The session's own decoder reports the fault; the log only says where it stopped.
      this.#broken = true;
      const message = isWireError(error) || error instanceof Error ? error.message : String(error);
      this.log.add({ direction: this.direction, name: "UNREADABLE", size: 0, source: "live", bytes: null, resultId: this.events.currentResult(), error: message });
    }
  }

  #record(name: string, bytes: Uint8Array): void {
    if (this.direction === "received") this.events.onReceived(bytes.length);
    this.log.add({ direction: this.direction, name, size: bytes.length, source: "live", bytes, resultId: this.events.currentResult() });
  }
}

function tap(transport: Transport, log: FrameLog, events: TapEvents): Transport {
  const sent = new DirectionSplitter("sent", log, events);
  const received = new DirectionSplitter("received", log, events);
  let closed = false;
  const noteClose = (reason: string) => {
    if (closed) return;
    closed = true;
    events.onClose(transport.peer, reason);
  };
  // A pull-through stream: it reads the transport only when the session asks, so the
  // transport's own backpressure is unchanged.
  const source = transport.readable.getReader();
  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await source.read();
          if (done) {
            noteClose("the bridge closed the connection");
            controller.close();
            return;
          }
          received.push(value);
          controller.enqueue(value);
        } catch (error) {
          noteClose(error instanceof Error ? error.message : String(error));
          controller.error(error);
        }
      },
      cancel(reason) {
        return source.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return {
    readable,
    peer: transport.peer,
    async write(bytes: Uint8Array): Promise<void> {
      sent.push(bytes);
      await transport.write(bytes);
    },
    async close(): Promise<void> {
      noteClose("closed by the page");
      await transport.close();
    },
  };
}

/** A Connector like `inner` whose transports log their frames. */
export function tapConnector(inner: Connector, log: FrameLog, events: TapEvents): Connector {
  return async (address, options) => {
    const transport = await inner(address, options);
    events.onOpen(transport.peer);
    return tap(transport, log, events);
  };
}
