// What a proxy tells its decoder about each connection, in order: the decoder may run in a
// worker thread, so these are plain structured-clone-able objects. Data carries a copy of the
// bytes as they were relayed (the node's bytes before any address rewrite).

import type { Side } from "../messages/codes.ts";

export type TapMessage =
  | { kind: "open"; conn: string; client: string; server: string; via: string; timeMs: number }
  | {
      kind: "data";
      conn: string;
      direction: Side;
      bytes: Uint8Array;
      /** For responses: how many client bytes the proxy had passed to the node when these arrived. */
      clientBytes: number;
      timeMs: number;
    }
  /** Bytes the decoder did not get (its queue was full); they were relayed all the same. */
  | { kind: "dropped"; conn: string; direction: Side; length: number; timeMs: number }
  | { kind: "rewrite"; conn: string; offset: number; changes: Record<string, string> }
  | { kind: "passthrough"; conn: string; offset: number; why: string; timeMs: number }
  | { kind: "error"; conn: string; message: string; timeMs: number }
  | { kind: "close"; conn: string; reason: string; requestBytes: number; responseBytes: number; timeMs: number };
