// Watches the bytes of a live connection both ways and logs each frame as it completes, without
// changing what the session sends or receives. It wraps the Connector the session uses, so every
// connection the session opens (including a reconnect to a new leader) is watched.

import { type Connector, FrameDecoder, type Transport, encodeHandshake, isWireError } from "./library.ts";
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
  /** The request side's decoder reads the 8-byte protocol version first, logged as its own entry. */
  #decoder: FrameDecoder;
  #handshakeLogged: boolean;
  #broken = false;

  constructor(
    private readonly direction: FrameDirection,
    private readonly log: FrameLog,
    private readonly events: TapEvents,
  ) {
    this.#decoder = new FrameDecoder({ side: direction === "sent" ? "request" : "response" });
    this.#handshakeLogged = direction !== "sent";
  }

  push(chunk: Uint8Array): void {
    if (this.#broken) return;
    try {
      this.#decoder.push(chunk);
      for (let frame = this.#nextFrame(); frame !== undefined; frame = this.#nextFrame()) {
        this.#record(typeName(this.direction, frame.header.type), frame.bytes.slice());
      }
    } catch (error) {
      // The session's own decoder reports the fault; the log only says where it stopped.
      this.#broken = true;
      this.#logHandshake();
      const message = isWireError(error) || error instanceof Error ? error.message : String(error);
      this.log.add({
        direction: this.direction,
        name: "UNREADABLE",
        size: 0,
        source: "live",
        bytes: null,
        resultId: this.events.currentResult(),
        error: message,
      });
    }
  }

  /** The next whole frame; the handshake, once the decoder has read it, is logged before it. */
  #nextFrame() {
    const frame = this.#decoder.nextFrame();
    this.#logHandshake();
    return frame;
  }

  #logHandshake(): void {
    const version = this.#decoder.protocolVersion;
    if (this.#handshakeLogged || version === undefined) return;
    this.#handshakeLogged = true;
    this.#record("HANDSHAKE", encodeHandshake(version));
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
