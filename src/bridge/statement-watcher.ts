// Watches the node's replies for the statement ids it hands out (STMT responses), without
// buffering them: the bytes go to the client as they come, and this walks them frame by frame
// with the frame scanner (src/wire/frame-scanner.ts) in borrow mode. Every frame is skipped
// whole as soon as its header is in, except a STMT frame, which waits for the start of its body
// first; so at most one header and the start of one STMT body are held (and copied) across
// chunks. The id is read by src/messages/fixed-fields.ts; nothing here knows a byte offset.

import { ResponseType } from "../messages/codes.ts";
import { STMT_ID_END_BYTES, readStmtId } from "../messages/fixed-fields.ts";
import { HEADER_BYTES } from "../wire/constants.ts";
import { FrameScanner } from "../wire/frame-scanner.ts";

/** The header and the STMT body up to the end of the statement id. */
const STMT_PREFIX_BYTES = HEADER_BYTES + STMT_ID_END_BYTES;

export class StmtResponseWatcher {
  /**
   * Borrow mode: the chunks are the socket's, never modified after they are pushed. No cap: the
   * node's frames are the node's, and nothing of their bodies is held.
   */
  private readonly scanner = new FrameScanner({ input: "borrow" });

  constructor(private readonly onStatement: (id: number) => void) {}

  push(chunk: Uint8Array): void {
    this.scanner.push(chunk);
    for (let header = this.scanner.header(); header !== undefined; header = this.scanner.header()) {
      if (header.type === ResponseType.Stmt && header.frameBytes >= STMT_PREFIX_BYTES) {
        const prefix = this.scanner.prefix(STMT_PREFIX_BYTES);
        if (prefix === undefined) return;
        this.onStatement(readStmtId(prefix, HEADER_BYTES));
      }
      this.scanner.skipFrame();
    }
  }
}
