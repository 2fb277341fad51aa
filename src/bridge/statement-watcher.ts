// Watches the node's replies for the statement ids it hands out (STMT responses), without
// buffering them: the bytes go to the client as they come, and this walks them frame by frame,
// holding at most one frame header and the start of one STMT body. Headers are read by
// src/wire/header.ts and the id by src/messages/fixed-fields.ts; nothing here knows a byte offset.

import { ResponseType } from "../messages/codes.ts";
import { STMT_ID_END_BYTES, readStmtId } from "../messages/fixed-fields.ts";
import { HEADER_BYTES } from "../wire/constants.ts";
import { readHeader } from "../wire/header.ts";

/** The node's frames are the node's: any size goes (nothing of them is held). */
const NO_CAP = Number.POSITIVE_INFINITY;

export class StmtResponseWatcher {
  private readonly header = new Uint8Array(HEADER_BYTES);
  private headerFill = 0;
  /** Body bytes of the current frame still to skip or read. */
  private bodyLeft = 0;
  private readingStmt = false;
  private readonly stmtStart = new Uint8Array(STMT_ID_END_BYTES);
  private stmtFill = 0;

  constructor(private readonly onStatement: (id: number) => void) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft === 0) {
        at = this.takeHeader(chunk, at);
        continue;
      }
      const take = Math.min(this.bodyLeft, chunk.length - at);
      if (this.readingStmt) this.takeStmtStart(chunk.subarray(at, at + take));
      this.bodyLeft -= take;
      at += take;
    }
  }

  /** Fills the header from `chunk[at]`; once whole, starts on the frame's body. */
  private takeHeader(chunk: Uint8Array, at: number): number {
    const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - at);
    this.header.set(chunk.subarray(at, at + take), this.headerFill);
    this.headerFill += take;
    if (this.headerFill === HEADER_BYTES) {
      this.headerFill = 0;
      const header = readHeader(this.header, 0, NO_CAP);
      this.bodyLeft = header.frameBytes - HEADER_BYTES;
      this.readingStmt = header.type === ResponseType.Stmt && this.bodyLeft >= STMT_ID_END_BYTES;
      this.stmtFill = 0;
    }
    return at + take;
  }

  /** Collects the start of a STMT body; reports the id once it is complete. */
  private takeStmtStart(bytes: Uint8Array): void {
    if (this.stmtFill === STMT_ID_END_BYTES) return;
    const copy = Math.min(STMT_ID_END_BYTES - this.stmtFill, bytes.length);
    this.stmtStart.set(bytes.subarray(0, copy), this.stmtFill);
    this.stmtFill += copy;
    if (this.stmtFill === STMT_ID_END_BYTES) this.onStatement(readStmtId(this.stmtStart));
  }
}
