// Requests that are well-formed but take a dqlite 1.11 node down: RETURNING and finalized
// statement ids (hazards 3 and 5 of src/messages/hazards.ts, where what the node does is
// explained). The library's client never sends them; a page talking through the bridge could, so
// the bridge refuses them too. Of the others, raft-internal requests (1) are refused by type in
// the frame gate and DESCRIBE with a format other than 0 (4) does not decode; schema-1
// parameters (2) are forwarded: the node misreads them, but that harms only the page's own data.
//
// The node hands a finalized id out again to a later PREPARE, so the bridge learns from the
// node's STMT replies (statement-watcher.ts) when a finalized id is live again.

import { hasReturningClause, sqlOf, statementIdOf } from "../messages/hazards.ts";
import type { Request } from "../messages/types.ts";

export class NodeHazardGuard {
  /** Statement ids finalized on this connection and not handed out again since. */
  private readonly finalized = new Set<number>();

  /** The reason to refuse `request`, or undefined when it is safe to forward. */
  check(request: Request): string | undefined {
    const sql = sqlOf(request);
    if (sql !== undefined && hasReturningClause(sql)) {
      return `${request.type} with RETURNING refused: it leaves dqlite 1.11 in a state that kills the node at the next write`;
    }
    const stmt = statementIdOf(request);
    if (stmt !== undefined && this.finalized.has(stmt)) {
      return `${request.type} of finalized statement ${stmt} refused: dqlite 1.11 can crash on it`;
    }
    return undefined;
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
