/// <reference types="node" />
// dqlite-wire/testing (Node only): real dqlite nodes and clusters on loopback, for tests, demos
// and benchmarks: `dqlite-demo` nodes (Debian's go-dqlite 1.11), go-dqlite `app` nodes that
// listen with mutual TLS, bare nodes on libdqlite's C API (dqlite 1.18), and raw probes that ask
// a node for its leader and members without a session. See docs/testing.md.

export {
  type DqliteCluster,
  type DqliteNode,
  type StartClusterOptions,
  type StartNodeOptions,
  findDqliteDemo,
  startCluster,
  startNode,
} from "./dqlite-node.ts";
export type { ClusterFormOptions, NodeCluster, NodeHandle } from "./node-process.ts";
export {
  type CertificateFiles,
  type CertificateOptions,
  type StartTlsClusterOptions,
  type StartTlsNodeOptions,
  type TlsCluster,
  type TlsNode,
  findTlsNodeBinary,
  generateClusterCertificate,
  probeTlsFor,
  startTlsCluster,
  startTlsNode,
} from "./tls-node.ts";
export {
  BARE_NODE_DQLITE_VERSION,
  type BareCluster,
  type BareNode,
  type StartBareClusterOptions,
  type StartBareNodeOptions,
  findBareNodeBinary,
  startBareCluster,
  startBareNode,
} from "./bare-node.ts";
export { probeAdd, probeAssign, probeCluster, probeLeader, rawRequest, type ProbeTls, type RawServer } from "./raw-probe.ts";
