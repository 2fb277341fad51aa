// "HOST:PORT" addresses as dqlite spells them (go-dqlite and the server's own LEADER and
// SERVERS replies use this form; IPv6 hosts are bracketed: "[::1]:9001"). One grammar for the
// whole library: the client's node addresses, the bridge's targets and its listen address.

import { ConnectionError } from "../errors.ts";

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * HOST is a name or an IPv4 address (letters, digits, dots, hyphens) or an IPv6 address in
 * brackets; an unbracketed IPv6 address is ambiguous and refused, as Go's net.SplitHostPort does.
 */
const HOST_PORT = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/;
const MAX_PORT = 65535;

/**
 * Splits "HOST:PORT" or "[V6]:PORT" (brackets removed), or undefined when `text` is not in that
 * form. Port 0 is returned as is: a listener may ask for it, a dialler must refuse it.
 */
export function splitHostPort(text: string): HostPort | undefined {
  const match = HOST_PORT.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > MAX_PORT) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

/** Splits a node address; anything else, port 0 included, is a CONNECTION_FAILED error. */
export function parseAddress(address: string): HostPort {
  const parts = splitHostPort(address);
  if (parts === undefined || parts.port === 0) {
    throw new ConnectionError("CONNECTION_FAILED", `not a HOST:PORT address: ${JSON.stringify(address)}`);
  }
  return parts;
}
