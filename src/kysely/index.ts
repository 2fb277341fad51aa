// "dqlite-wire/kysely": a Kysely dialect for dqlite. Kysely is an optional peer dependency:
// only this entry point imports it.
//
//   import { Kysely } from "kysely";
//   import { DqliteDialect } from "dqlite-wire/kysely";
//   const db = new Kysely<DB>({ dialect: new DqliteDialect({ addresses: "127.0.0.1:9001", database: "demo" }) });

export { DqliteDialect } from "./dialect.ts";
export { DqliteDriver } from "./driver.ts";
export { DqliteConnection } from "./connection.ts";
export type { DqliteDialectConfig, DqliteOwnClientConfig, DqliteSharedClientConfig } from "./config.ts";
