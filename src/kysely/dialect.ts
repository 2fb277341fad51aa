// The dqlite dialect for Kysely: SQLite's query compiler, adapter and introspector (a dqlite
// database is SQLite), with a driver that runs the queries through a dqlite-wire client.

import {
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import type { DqliteDialectConfig } from "./config.ts";
import { DqliteDriver } from "./driver.ts";

export class DqliteDialect implements Dialect {
  readonly #config: DqliteDialectConfig;

  constructor(config: DqliteDialectConfig) {
    this.#config = { ...config };
  }

  createDriver(): Driver {
    return new DqliteDriver(this.#config);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect interface declares this parameter so
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
