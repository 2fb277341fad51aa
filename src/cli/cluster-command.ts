// `dqlite-wire cluster -s HOST:PORT[,…]|file://cluster.yaml [-c CERT -k KEY]`: the members of a
// cluster, their roles, and which one leads. Tabular by default (a header and one line per
// member, the leader marked `*`), or JSON.
//
// Exit status: 0 success, 1 the cluster could not be reached or a named file cannot be used,
// 2 usage errors.

import { parseArgs } from "node:util";
import type { Client } from "../client/index.ts";
import { UsageError } from "./io.ts";
import { ACCESS_USAGE } from "./cluster-access.ts";
import { CONNECTION_OPTIONS, type CommandIo, commandSettings, connectCli, printError, processIo } from "./shell-command.ts";

const CLUSTER_USAGE = `usage: dqlite-wire cluster ${ACCESS_USAGE} [-f tabular|json]
  Lists the members of the cluster with their roles and marks the leader. -s, -c, -k and --ca
  as for shell (a file:// node store, mutual TLS).`;

export async function runClusterCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals: true, options: CONNECTION_OPTIONS });
  if (values.help === true) {
    io.out(`${CLUSTER_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}\n${CLUSTER_USAGE}`);
  const args = await commandSettings(values, io, ["tabular", "json"]);
  if (typeof args === "number") return args;
  let client: Client | undefined;
  try {
    client = await connectCli(args);
    const call = { timeoutMs: args.timeoutMs };
    const leader = await client.leader(call);
    const members = await client.cluster(call);
    if (args.format === "json") {
      const json = {
        leader: { id: leader.id.toString(), address: leader.address },
        members: members.map((m) => ({ id: m.id.toString(), address: m.address, role: m.role, leader: m.address === leader.address })),
      };
      io.out(`${JSON.stringify(json)}\n`);
    } else {
      const rows = [
        ["ID", "ADDRESS", "ROLE", "LEADER"],
        ...members.map((m) => [m.id.toString(), m.address, m.role, m.address === leader.address ? "*" : ""]),
      ];
      const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
      io.out(
        rows
          .map(
            (row) =>
              row
                .map((cell, c) => cell.padEnd(widths[c]!))
                .join("  ")
                .trimEnd() + "\n",
          )
          .join(""),
      );
    }
    return 0;
  } catch (error) {
    printError(io, error);
    return 1;
  } finally {
    await client?.close();
  }
}
