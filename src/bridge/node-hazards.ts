/// <reference types="node" />
// Requests that are well-formed but take a dqlite 1.11 node down (see src/client/hazards.ts for
// what was observed). The library's client never sends them; a page talking through the bridge
// could, so the bridge refuses them too:
// - SQL with RETURNING (EXEC_SQL, QUERY_SQL, PREPARE): the node keeps a write transaction open
//   and dies at the next write from any connection;
// - EXEC, QUERY or FINALIZE of a statement id this connection finalized: the node crashes when a
//   statement with a higher id still exists.
// (DESCRIBE with a format other than 0 and the raft-internal requests never pass the decoder.)
//
// Statement ids come back in STMT responses, and the node reuses a finalized id for a later
// PREPARE, so the bridge watches the node's replies for STMT frames (headers only, nothing is
// buffered) to know when a finalized id is live again.

import { hasReturningClause } from "../client/hazards.ts";
import { ResponseType } from "../messages/codes.ts";
import type { Request } from "../messages/types.ts";
import { HEADER_BYTES, WORD_BYTES } from "../wire/constants.ts";

export class NodeHazardGuard {
  /** Statement ids finalized on this connection and not handed out again since. */
  private readonly finalized = new Set<number>();

  /** The reason to refuse `request`, or undefined when it is safe to forward. */
  check(request: Request): string | undefined {
    switch (request.type) {
      case "EXEC_SQL":
      case "QUERY_SQL":
      case "PREPARE":
        if (hasReturningClause(request.sql)) {
          return `${request.type} with RETURNING refused: it leaves dqlite 1.11 in a state that kills the node at the next write`;
        }
        return undefined;
      case "EXEC":
      case "QUERY":
      case "FINALIZE":
        if (this.finalized.has(request.stmt)) {
          return `${request.type} of finalized statement ${request.stmt} refused: dqlite 1.11 can crash on it`;
        }
        return undefined;
      default:
        return undefined;
    }
  }

  /** Records a request that was forwarded. */
  forwarded(request: Request): void {
    if (request.type === "FINALIZE") this.finalized.add(request.stmt);
  }

  /** The node handed out statement `id` (a STMT response): it is live again. */
  statementPrepared(id: number): void {
    this.finalized.delete(id);
  }
}

/**
 * Walks the node's response stream frame by frame without buffering it, and reports the
 * statement id of every STMT response. It holds at most one header and one STMT id word.
 */
export class StmtResponseWatcher {
  private readonly header = new Uint8Array(HEADER_BYTES);
  private headerFill = 0;
  /** Body bytes of the current frame still to skip or read. */
  private bodyLeft = 0;
  private readingStmt = false;
  private readonly stmtIds = new Uint8Array(WORD_BYTES);
  private stmtFill = 0;

  constructor(private readonly onStatement: (id: number) => void) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft === 0) {
        const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - at);
        this.header.set(chunk.subarray(at, at + take), this.headerFill);
        this.headerFill += take;
        at += take;
        if (this.headerFill < HEADER_BYTES) return;
        this.headerFill = 0;
        const words = (this.header[0]! | (this.header[1]! << 8) | (this.header[2]! << 16) | (this.header[3]! << 24)) >>> 0;
        this.bodyLeft = words * WORD_BYTES;
        this.readingStmt = this.header[4] === ResponseType.Stmt && this.bodyLeft >= WORD_BYTES;
        this.stmtFill = 0;
        continue;
      }
      const take = Math.min(this.bodyLeft, chunk.length - at);
      if (this.readingStmt && this.stmtFill < WORD_BYTES) {
        const copy = Math.min(WORD_BYTES - this.stmtFill, take);
        this.stmtIds.set(chunk.subarray(at, at + copy), this.stmtFill);
        this.stmtFill += copy;
        if (this.stmtFill === WORD_BYTES) {
          // STMT body: uint32 db id, uint32 statement id, ...
          const id = (this.stmtIds[4]! | (this.stmtIds[5]! << 8) | (this.stmtIds[6]! << 16) | (this.stmtIds[7]! << 24)) >>> 0;
          this.onStatement(id);
        }
      }
      this.bodyLeft -= take;
      at += take;
    }
  }
}
