// Names of the result codes a person is likely to meet, to show next to the number. The codes the
// library itself acts on come from its FailureCode table, so the two cannot disagree.

import { FailureCode } from "./library.ts";

const NAMES: Record<number, string> = {
  0: "SQLITE_OK",
  1: "SQLITE_ERROR",
  2: "SQLITE_INTERNAL",
  3: "SQLITE_PERM",
  4: "SQLITE_ABORT",
  [FailureCode.Busy]: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  7: "SQLITE_NOMEM",
  8: "SQLITE_READONLY",
  9: "SQLITE_INTERRUPT",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  [FailureCode.NotFound]: "SQLITE_NOTFOUND",
  13: "SQLITE_FULL",
  17: "SQLITE_SCHEMA",
  18: "SQLITE_TOOBIG",
  19: "SQLITE_CONSTRAINT",
  20: "SQLITE_MISMATCH",
  21: "SQLITE_MISUSE",
  25: "SQLITE_RANGE",
  [FailureCode.Parse]: "DQLITE_PARSE",
  1555: "SQLITE_CONSTRAINT_PRIMARYKEY",
  2067: "SQLITE_CONSTRAINT_UNIQUE",
  787: "SQLITE_CONSTRAINT_FOREIGNKEY",
  1299: "SQLITE_CONSTRAINT_NOTNULL",
  [FailureCode.NotLeaderLegacy]: "SQLITE_IOERR_NOT_LEADER (legacy)",
  [FailureCode.LeadershipLostLegacy]: "SQLITE_IOERR_LEADERSHIP_LOST (legacy)",
  [FailureCode.NotLeader]: "SQLITE_IOERR_NOT_LEADER",
  [FailureCode.LeadershipLost]: "SQLITE_IOERR_LEADERSHIP_LOST",
};

export function sqliteCodeName(code: number): string | undefined {
  return NAMES[code] ?? NAMES[code & 0xff];
}
