// What `new DqliteDialect(…)` takes: a client of its own (made from the client options), or an
// existing client; in both cases the database name, and how transactions begin and rows read.

import type { Client } from "../client/client.ts";
import type { TcpClientOptions } from "../client/index.ts";
import type { QueryOptions } from "../client/query-result.ts";
import type { TransactionMode } from "../client/transaction.ts";

interface DialectSettings {
  /** The dqlite database the queries run on (one per client). */
  database: string;
  /** BEGIN mode of Kysely's transactions: "deferred" (default), "immediate", "exclusive". */
  transactionMode?: TransactionMode;
  /**
   * How rows are read (`intMode`, `engine`) and each call's `timeoutMs`/`signal`. Rows are
   * always objects, as Kysely expects.
   */
  queryOptions?: Omit<QueryOptions, "rowMode">;
}

/** The dialect connects its own client (TCP by default; `tls`, `connector` as `connect` takes) and closes it on `destroy()`. */
export interface DqliteOwnClientConfig extends DialectSettings, TcpClientOptions {
  client?: undefined;
}

/** The dialect uses a client the application made, and leaves it open on `destroy()`. */
export interface DqliteSharedClientConfig extends DialectSettings {
  client: Client;
}

export type DqliteDialectConfig = DqliteOwnClientConfig | DqliteSharedClientConfig;
