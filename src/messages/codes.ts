// Message type codes (protocol.md §6). Request and response codes overlap numerically, so every
// decoder is built for one side.

export const RequestType = {
  Leader: 0,
  Client: 1,
  Heartbeat: 2,
  Open: 3,
  Prepare: 4,
  Exec: 5,
  Query: 6,
  Finalize: 7,
  ExecSql: 8,
  QuerySql: 9,
  Interrupt: 10,
  Connect: 11,
  Add: 12,
  Assign: 13,
  Remove: 14,
  Dump: 15,
  Cluster: 16,
  Transfer: 17,
  Describe: 18,
  Weight: 19,
} as const;
export type RequestType = (typeof RequestType)[keyof typeof RequestType];

export const ResponseType = {
  Failure: 0,
  Leader: 1,
  Welcome: 2,
  Servers: 3,
  Db: 4,
  Stmt: 5,
  Result: 6,
  Rows: 7,
  Empty: 8,
  Files: 9,
  Metadata: 10,
} as const;
export type ResponseType = (typeof ResponseType)[keyof typeof ResponseType];

/** Which way a frame travels; selects the type table. */
export type Side = "request" | "response";

/** Node roles in SERVERS and ASSIGN. */
export const NodeRole = { Voter: 0, Standby: 1, Spare: 2 } as const;
export type NodeRole = (typeof NodeRole)[keyof typeof NodeRole];

/** Well-known FAILURE codes. */
export const FailureCode = {
  Busy: 5,
  NotFound: 12,
  /** SQLITE_IOERR_NOT_LEADER: the node is not (or no longer) the leader. */
  NotLeader: 10250,
  /** SQLITE_IOERR_LEADERSHIP_LOST: leadership was lost while the request ran; outcome unknown. */
  LeadershipLost: 10506,
  NotLeaderLegacy: 8202,
  LeadershipLostLegacy: 8458,
  Parse: 1005,
} as const;
