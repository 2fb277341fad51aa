// The frame decoder as a Web Streams TransformStream: bytes in, messages out. An error errors
// the stream (the decoder is poisoned, see frame-decoder.ts); a partial frame at the end of the
// input errors it with DecodeError TRUNCATED.

import type { Message } from "../messages/types.ts";
import { FrameDecoder, type FrameDecoderOptions } from "./frame-decoder.ts";

export class FrameDecoderStream extends TransformStream<Uint8Array, Message> {
  readonly decoder: FrameDecoder;

  constructor(options: FrameDecoderOptions) {
    const decoder = new FrameDecoder(options);
    super({
      transform(chunk, controller) {
        decoder.push(chunk);
        for (let message = decoder.next(); message !== undefined; message = decoder.next()) {
          controller.enqueue(message);
        }
      },
      flush() {
        decoder.end();
      },
    });
    this.decoder = decoder;
  }
}
