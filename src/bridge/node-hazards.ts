// Requests that are well-formed but take a dqlite node down: RETURNING and finalized statement
// ids (hazards 3 and 5 of src/messages/hazards.ts, where what each version does is explained). The
// library's client never sends them where they harm; a page talking through the bridge could, so
// the bridge refuses them too. RETURNING is refused in every form unless the bridge was told its
// targets read it in queries (dqlite ≥ 1.18.2: `returningQueries`); then QUERY_SQL with RETURNING
// goes through, while an exec of it (which every version mishandles) and a PREPARE of it (whose
// later EXEC the bridge could not tell from a QUERY) stay refused. Of the others, raft-internal
// requests (1) are refused by type in the frame gate and DESCRIBE with a format other than 0 (4)
// does not decode; schema-1 parameters (2) are forwarded: a node older than 1.12 misreads them,
// but that harms only the page's own data.
//
// The node hands a finalized id out again to a later PREPARE, so the bridge learns from the
// node's STMT replies (statement-watcher.ts) when a finalized id is live again.

import { hasReturningClause, sqlOf, statementIdOf } from "../messages/hazards.ts";
import type { Request } from "../messages/types.ts";

export class NodeHazardGuard {
  /** Statement ids finalized on this connection and not handed out again since. */
  private readonly finalized = new Set<number>();

  /** `returningQueries`: the node reads RETURNING in a QUERY_SQL (dqlite ≥ 1.18.2). */
  constructor(private readonly returningQueries = false) {}

  /** The reason to refuse `request`, or undefined when it is safe to forward. */
  check(request: Request): string | undefined {
    const sql = sqlOf(request);
    if (sql !== undefined && hasReturningClause(sql) && !(this.returningQueries && request.type === "QUERY_SQL")) {
      return this.returningQueries
        ? `${request.type} with RETURNING refused: only a query may carry it (an exec of it leaves the node's write open)`
        : `${request.type} with RETURNING refused: it leaves dqlite before 1.18.2 in a state that kills the node at the next write`;
    }
    const stmt = statementIdOf(request);
    if (stmt !== undefined && this.finalized.has(stmt)) {
      return `${request.type} of finalized statement ${stmt} refused: dqlite can crash on it`;
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
