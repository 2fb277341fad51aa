// "HOST:PORT" addresses as dqlite spells them (go-dqlite and the server's own LEADER and
// SERVERS replies use this form; IPv6 hosts are bracketed: "[::1]:9001").

import { ConnectionError } from "../errors.ts";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Splits "HOST:PORT" or "[V6]:PORT"; a missing or invalid port is a CONNECTION_FAILED error. */
export function parseAddress(address: string): HostPort {
  const colon = address.lastIndexOf(":");
  const portText = address.slice(colon + 1);
  const port = Number(portText);
  let host = colon > 0 ? address.slice(0, colon) : "";
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (host === "" || !/^\d{1,5}$/.test(portText) || port < 1 || port > 65535) {
    throw new ConnectionError("CONNECTION_FAILED", `not a HOST:PORT address: ${JSON.stringify(address)}`);
  }
  return { host, port };
}
