// Finding the leader of a cluster from a list of node addresses, the way go-dqlite's connector
// does: ask each node in turn who the leader is (LEADER); if it names itself, keep that
// connection; if it names another node, connect there and ask again, keeping the connection
// only when the named node confirms it is the leader. A round that finds no leader waits (with
// exponential backoff and a cap) and tries again, for a bounded number of rounds.

import { ConnectionError, WireError, isWireError } from "../errors.ts";
import { bridgeRefusalOf } from "../transport/bridge-protocol.ts";
import { type CallOptions, CallScope, sleep } from "./call-scope.ts";
import { Connection, type ConnectionOptions } from "./connection.ts";
import type { Connector } from "./transport-types.ts";

export interface DiscoveryOptions {
  /** Rounds over the whole address list before giving up. Default 5. */
  rounds?: number;
  /** Wait after the first fruitless round, in ms; doubles each round. Default 100. */
  backoffBaseMs?: number;
  /** Longest wait between rounds, in ms. Default 1 000. */
  backoffMaxMs?: number;
  /** Bound on connecting to one node and asking it (each step), in ms. Default 2 000. */
  attemptTimeoutMs?: number;
}

export interface LeaderConnection {
  connection: Connection;
  /** The leader's node id (0 with the legacy protocol, whose LEADER reply has no id). */
  id: bigint;
  address: string;
}

const DEFAULTS = { rounds: 5, backoffBaseMs: 100, backoffMaxMs: 1_000, attemptTimeoutMs: 2_000 };

/**
 * Connects to the leader. Fails with ConnectionError NO_LEADER when nodes answered but none
 * led (or the named leader could not be reached), CONNECTION_FAILED when no node could be
 * reached at all; the message lists what each address said last.
 */
export async function connectToLeader(
  addresses: readonly string[],
  connector: Connector,
  connectionOptions: ConnectionOptions = {},
  discovery: DiscoveryOptions = {},
  call: CallOptions = {},
): Promise<LeaderConnection> {
  if (addresses.length === 0) throw new WireError("BAD_STATE", "connect: no node address given");
  const settings = { ...DEFAULTS, ...definedOnly(discovery) };
  // The overall deadline, if any, is the caller's; each attempt has its own smaller one.
  const scope = new CallScope("find the leader", call, 0);
  const problems = new Map<string, string>();
  let anyAnswered = false;
  try {
    for (let round = 0; round < settings.rounds; round++) {
      for (const address of addresses) {
        scope.check();
        try {
          const found = await attemptOne(address, connector, connectionOptions, settings.attemptTimeoutMs, scope.signal);
          if (found !== undefined) return found;
          anyAnswered = true;
          problems.set(address, "knows no leader");
        } catch (error) {
          scope.check();
          // A bridge that refuses this client (token, origin, target, its caps) will refuse it again.
          if (bridgeRefusalOf(error) !== undefined) throw error;
          if (error instanceof NamedLeaderProblem) anyAnswered = true;
          problems.set(address, isWireError(error) ? error.message : String(error));
        }
      }
      if (round + 1 < settings.rounds) {
        await sleep(Math.min(settings.backoffMaxMs, settings.backoffBaseMs * 2 ** round), scope.signal);
      }
    }
  } catch (error) {
    // The caller's deadline or cancel ended the search: say what the nodes said so far.
    if (error instanceof WireError && (error.code === "TIMEOUT" || error.code === "ABORTED") && problems.size > 0) {
      error.message += ` (${describeProblems(problems)})`;
    }
    throw error;
  } finally {
    scope.dispose();
  }
  const detail = describeProblems(problems);
  throw new ConnectionError(
    anyAnswered ? "NO_LEADER" : "CONNECTION_FAILED",
    `no leader found after ${settings.rounds} rounds over ${addresses.length} node(s) (${detail})`,
  );
}

function describeProblems(problems: ReadonlyMap<string, string>): string {
  return [...problems].map(([address, problem]) => `${address}: ${problem}`).join("; ");
}

/** A node answered, but the leader it named could not be confirmed. */
class NamedLeaderProblem extends ConnectionError {}

/**
 * One node: the leader connection, undefined when the node knows no leader, or an error when it
 * cannot be reached or the leader it names does not confirm.
 */
async function attemptOne(
  address: string,
  connector: Connector,
  options: ConnectionOptions,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<LeaderConnection | undefined> {
  const call = { signal, timeoutMs };
  const first = await Connection.open(connector, address, options, call);
  let leader: { id: bigint; address: string };
  try {
    leader = await askLeader(first, call);
  } catch (error) {
    await first.close();
    throw error;
  }
  if (leader.address === "") {
    await first.close();
    return undefined;
  }
  if (leader.address === address) return { connection: first, ...leader };
  await first.close();
  // Redirect: the named leader must name itself, or leadership moved on meanwhile.
  let second: Connection;
  try {
    second = await Connection.open(connector, leader.address, options, call);
  } catch (error) {
    throw new NamedLeaderProblem("NO_LEADER", `names ${leader.address} as leader, which cannot be reached (${(error as Error).message})`, {
      cause: error,
    });
  }
  try {
    const confirmed = await askLeader(second, call);
    if (confirmed.address === leader.address) return { connection: second, ...confirmed };
    throw new NamedLeaderProblem(
      "NO_LEADER",
      `names ${leader.address} as leader, which names ${confirmed.address === "" ? "no leader" : confirmed.address}`,
    );
  } catch (error) {
    await second.close();
    throw error;
  }
}

async function askLeader(connection: Connection, call: CallOptions): Promise<{ id: bigint; address: string }> {
  const reply = await connection.request({ type: "LEADER" }, "LEADER", call);
  return { id: "id" in reply ? reply.id : 0n, address: reply.address };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
