// Kysely's driver for dqlite: one dqlite-wire client (made from the dialect's options, or the
// one given), one database on it, connections that are views of it, and Kysely's transactions
// on `db.transaction()`.

import { CompiledQuery, type DatabaseConnection, type Driver, type TransactionSettings } from "kysely";
import type { Client } from "../client/client.ts";
import type { Database } from "../client/database.ts";
import { connect } from "../client/index.ts";
import { WireError } from "../errors.ts";
import { DqliteConnection } from "./connection.ts";
import type { DqliteDialectConfig } from "./config.ts";

export class DqliteDriver implements Driver {
  readonly #config: DqliteDialectConfig;
  #client: Client | undefined;
  #db: Database | undefined;

  constructor(config: DqliteDialectConfig) {
    this.#config = config;
  }

  async init(): Promise<void> {
    const config = this.#config;
    this.#client = "client" in config && config.client !== undefined ? config.client : await connect(clientOptions(config));
    this.#db = await this.#client.open(config.database);
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.#db === undefined) throw new WireError("BAD_STATE", "the dqlite dialect's driver is not initialised (or was destroyed)");
    return new DqliteConnection(this.#db, this.#config.queryOptions ?? {});
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    if (settings.isolationLevel !== undefined || settings.accessMode !== undefined) {
      throw new WireError(
        "BAD_STATE",
        "beginTransaction: SQLite has no isolation levels or access modes (its transactions are serializable); choose the BEGIN mode with the dialect's transactionMode",
      );
    }
    await (connection as DqliteConnection).begin(this.#config.transactionMode ?? "deferred");
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as DqliteConnection).end(true);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as DqliteConnection).end(false);
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await savepointCommand(connection, "SAVEPOINT", name);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await savepointCommand(connection, "ROLLBACK TO", name);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await savepointCommand(connection, "RELEASE", name);
  }

  async releaseConnection(): Promise<void> {
    // Connections are views of the one client: nothing to give back.
  }

  /** Closes the client if the dialect made it; a client that was given stays open. */
  async destroy(): Promise<void> {
    const made = !("client" in this.#config && this.#config.client !== undefined);
    const client = this.#client;
    this.#client = undefined;
    this.#db = undefined;
    if (made) await client?.close();
  }
}

function clientOptions(config: DqliteDialectConfig): Parameters<typeof connect>[0] {
  const {
    database: _database,
    transactionMode: _mode,
    queryOptions: _query,
    client: _client,
    ...options
  } = config as DqliteDialectConfig & {
    client?: unknown;
  };
  return options as Parameters<typeof connect>[0];
}

/** SAVEPOINT, ROLLBACK TO or RELEASE of `name`, quoted as an SQL identifier. */
async function savepointCommand(connection: DatabaseConnection, command: string, name: string): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw(`${command} "${name.replaceAll('"', '""')}"`));
}
