// Message type codes (protocol.md §6). Request and response codes overlap numerically, so every
// decoder is built for one side. The numbers are those of src/wire/layout.ts.

import { RequestCode, ResponseCode } from "../wire/layout.ts";

export const RequestType = {
  Leader: RequestCode.Leader,
  Client: RequestCode.Client,
  Heartbeat: RequestCode.Heartbeat,
  Open: RequestCode.Open,
  Prepare: RequestCode.Prepare,
  Exec: RequestCode.Exec,
  Query: RequestCode.Query,
  Finalize: RequestCode.Finalize,
  ExecSql: RequestCode.ExecSql,
  QuerySql: RequestCode.QuerySql,
  Interrupt: RequestCode.Interrupt,
  Connect: RequestCode.Connect,
  Add: RequestCode.Add,
  Assign: RequestCode.Assign,
  Remove: RequestCode.Remove,
  Dump: RequestCode.Dump,
  Cluster: RequestCode.Cluster,
  Transfer: RequestCode.Transfer,
  Describe: RequestCode.Describe,
  Weight: RequestCode.Weight,
} as const;
export type RequestType = (typeof RequestType)[keyof typeof RequestType];

export const ResponseType = {
  Failure: ResponseCode.Failure,
  Leader: ResponseCode.Leader,
  Welcome: ResponseCode.Welcome,
  Servers: ResponseCode.Servers,
  Db: ResponseCode.Db,
  Stmt: ResponseCode.Stmt,
  Result: ResponseCode.Result,
  Rows: ResponseCode.Rows,
  Empty: ResponseCode.Empty,
  Files: ResponseCode.Files,
  Metadata: ResponseCode.Metadata,
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
