/// <reference types="node" />
// TLS at both ends of the proxy, for clusters that listen with mutual TLS (go-dqlite's app
// package, MicroK8s): the proxy presents the cluster certificate to clients and asks for theirs
// (as the nodes do), and dials each node with the same certificate, as go-dqlite's
// SimpleTLSConfig sets both ends up. The node side uses the TCP transport's settings
// (src/transport/tls.ts, node-tcp.ts): one certificate, trusted as the CA unless `ca` is given,
// the node's name taken from the certificate's first DNS name. Between the two TLS sessions the
// bytes are plain dqlite, so they are decoded like any other.

import type { Server, Socket } from "node:net";
import { connect as connectTls, createServer as createTlsServer } from "node:tls";
import type { HostPort } from "../transport/address.ts";
import { nodeTlsOptions } from "../transport/node-tcp.ts";
import type { TlsOptions } from "../transport/tls.ts";
import { resolveTls } from "../transport/tls-certificate.ts";

export type ProxyTls = Pick<TlsOptions, "cert" | "key" | "ca" | "serverName">;

export interface TlsEnds {
  /** A TLS server for clients; connections arrive as "secureConnection". */
  listen(): Server;
  /** A TLS connection to a node; ready at "secureConnect". */
  connect(target: HostPort): Socket;
}

export function tlsEnds(options: ProxyTls): TlsEnds {
  const tls = resolveTls(options);
  return {
    listen: () =>
      createTlsServer({
        cert: tls.cert,
        key: tls.key,
        ca: [...tls.ca],
        // Mutual TLS, as the nodes themselves require: a client without the cluster's certificate is refused.
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: "TLSv1.2",
      }),
    connect: (target) => connectTls(nodeTlsOptions(target.host, target.port, tls)),
  };
}
