// The TCP connections of a capture: packets are grouped by their two endpoints, each direction
// is reassembled (tcp-flow.ts), and the connection's client and server are found: the SYN's
// sender is the client; without a captured SYN, the side that sends the dqlite handshake, or
// the side whose port was given as dqlite's (--port), or whose address:port earlier connections
// showed to be a dqlite node. A connection is retired when both directions have ended, or when
// a new SYN reuses its endpoints.

import type { ResolvedDecodeOptions } from "../messages/codec.ts";
import type { BufferBudget } from "./buffer-budget.ts";
import type { CaptureLimits } from "./capture-limits.ts";
import type { CaptureRecord, ConnectionInfo } from "./capture-records.ts";
import type { ConnectionKind } from "./connection-kind.ts";
import { DqliteConversation } from "./dqlite/dqlite-conversation.ts";
import { HeldEvents } from "./dqlite/held-events.ts";
import { type TcpPacket, endpoint } from "./network/packet-dissector.ts";
import { looksLikeClientStart } from "./dqlite/protocol-sniff.ts";
import { type Carrier, type FlowEvent, TcpFlow } from "./network/tcp-flow.ts";
import { TcpFlag } from "./network/tcp-segment.ts";

export interface ConnectionTableOptions {
  /** Server ports to treat as dqlite's. */
  ports: ReadonlySet<number>;
  limits: Readonly<CaptureLimits>;
  decodeOptions: ResolvedDecodeOptions;
  budget: BufferBudget;
  /** Records carry a copy of their frame's bytes. */
  keepFrameBytes: boolean;
  emit(record: CaptureRecord): void;
  /** Called once per connection when it is retired, with what it turned out to be. */
  retired(connection: RetiredConnection): void;
}

export interface RetiredConnection {
  info: ConnectionInfo;
  kind: ConnectionKind;
  detail: string | undefined;
  payloadBytes: number;
  duplicateBytes: number;
  lostBytes: number;
  unansweredRequests: number;
}

class TrackedConnection {
  readonly flows: [TcpFlow, TcpFlow];
  /** Index of the client's flow; flow 0 carries packets from `endpoints[0]`. */
  clientIndex: 0 | 1 | undefined;
  conversation: DqliteConversation | undefined;
  kind: ConnectionKind | undefined;
  detail: string | undefined;
  info: ConnectionInfo;
  /** Events waiting for the roles to be known (a connection that began before the capture). */
  held: HeldEvents | undefined;

  constructor(
    readonly id: string,
    readonly endpoints: [string, string],
    private readonly table: ConnectionTable,
    limits: Readonly<CaptureLimits>,
    budget: BufferBudget,
  ) {
    this.info = { id, client: endpoints[0], server: endpoints[1] };
    this.flows = [
      new TcpFlow(limits, budget, (event) => this.event(0, event)),
      new TcpFlow(limits, budget, (event) => this.event(1, event)),
    ];
  }

  get ended(): boolean {
    return this.flows[0].isEnded && this.flows[1].isEnded;
  }

  private event(index: 0 | 1, event: FlowEvent): void {
    if (this.held !== undefined) {
      if (!this.held.add(index, event)) this.table.giveUpRoles(this);
      return;
    }
    if (this.clientIndex === undefined && event.kind === "data") {
      const held = this.table.assignRoles(this, index, event);
      if (held !== undefined) {
        held.add(index, event);
        return;
      }
    }
    this.deliver(index, event);
  }

  deliver(index: 0 | 1, event: FlowEvent): void {
    if (this.conversation === undefined) return;
    if (index === this.clientIndex) this.conversation.client(event);
    else this.conversation.server(event);
  }
}

export class ConnectionTable {
  private readonly connections = new Map<string, TrackedConnection>();
  private readonly knownServers = new Set<string>();
  private readonly waiting = new Set<TrackedConnection>();
  private count = 0;
  /** New connections not tracked because the table was full. */
  untracked = 0;

  constructor(private readonly options: ConnectionTableOptions) {}

  get open(): number {
    return this.connections.size;
  }

  packet(tcp: TcpPacket, carrier: Carrier): void {
    const source = endpoint(tcp.source, tcp.sourcePort, tcp.ipVersion);
    const destination = endpoint(tcp.destination, tcp.destinationPort, tcp.ipVersion);
    const key = source < destination ? `${source}|${destination}` : `${destination}|${source}`;
    const syn = (tcp.flags & TcpFlag.syn) !== 0;
    const ackFlag = (tcp.flags & TcpFlag.ack) !== 0;
    let connection = this.connections.get(key);
    if (
      connection !== undefined &&
      syn &&
      !ackFlag &&
      connection.flows[connection.endpoints[0] === source ? 0 : 1].started &&
      !this.isRetransmittedSyn(connection, source, tcp.seq)
    ) {
      // A new connection on the same endpoints.
      this.retire(key, connection, carrier);
      connection = undefined;
    }
    if (connection === undefined) {
      if (!syn && tcp.payloadLength === 0) return;
      if (this.connections.size >= this.options.limits.maxConnections) {
        this.untracked++;
        return;
      }
      connection = new TrackedConnection(`c${++this.count}`, [source, destination], this, this.options.limits, this.options.budget);
      this.connections.set(key, connection);
    }
    const index = connection.endpoints[0] === source ? 0 : 1;
    if (syn && connection.clientIndex === undefined) this.setClient(connection, (ackFlag ? 1 - index : index) as 0 | 1);
    connection.flows[index].segment(tcp, carrier);
    if (ackFlag) connection.flows[1 - index]!.acknowledged(tcp.ack, carrier);
    // A reset ends both directions: nothing more will be delivered either way.
    if ((tcp.flags & TcpFlag.rst) !== 0) connection.flows[1 - index]!.finish("rst", carrier);
    if (connection.ended) this.retire(key, connection, carrier);
  }

  /** End of the capture: every open connection ends where the capture does. */
  finish(): void {
    for (const [key, connection] of [...this.connections]) this.retire(key, connection, undefined);
  }

  /** First data of a connection whose SYN was not captured: who is the client? */
  assignRoles(connection: TrackedConnection, index: 0 | 1, event: Extract<FlowEvent, { kind: "data" }>): HeldEvents | undefined {
    const other = (1 - index) as 0 | 1;
    const handshake = event.offset === 0 && looksLikeClientStart(event.bytes, this.options.decodeOptions);
    if (handshake || this.isServer(connection.endpoints[other])) this.setClient(connection, index);
    else if (this.isServer(connection.endpoints[index])) this.setClient(connection, other);
    else {
      // Wait for a later connection to show which endpoint is the node.
      connection.held = new HeldEvents(this.options.limits.maxResyncBytes, this.options.budget);
      this.waiting.add(connection);
      return connection.held;
    }
    if (!connection.flows[connection.clientIndex!].synSeen && !handshake) connection.conversation!.startMidStream(0, 0);
    return undefined;
  }

  /** An endpoint turned out to be a dqlite node: connections waiting on it learn their roles. */
  private learnServer(address: string): void {
    if (this.knownServers.has(address)) return;
    this.knownServers.add(address);
    for (const connection of [...this.waiting]) {
      const serverIndex = connection.endpoints.indexOf(address);
      if (serverIndex < 0) continue;
      this.waiting.delete(connection);
      const held = connection.held!.drain();
      connection.held = undefined;
      this.setClient(connection, (1 - serverIndex) as 0 | 1);
      connection.conversation!.startMidStream(0, 0);
      for (const { index, event } of held) connection.deliver(index, event);
    }
  }

  /** The roles stay unknown (cap reached, or the connection ended): raft traffic, or not decoded. */
  giveUpRoles(connection: TrackedConnection): void {
    if (connection.held === undefined) return;
    this.waiting.delete(connection);
    const raft = connection.held.holdsRaft();
    connection.held.drain();
    connection.held = undefined;
    connection.clientIndex ??= 0;
    connection.kind = raft ? "raft" : "unknown-start";
    connection.detail = raft ? "raft messages (the connection began before the capture)" : undefined;
  }

  private setClient(connection: TrackedConnection, index: 0 | 1): void {
    connection.clientIndex = index;
    connection.info = { id: connection.id, client: connection.endpoints[index], server: connection.endpoints[1 - index]! };
    const clientFlow = connection.flows[index];
    connection.conversation = new DqliteConversation(
      connection.info,
      this.options.decodeOptions,
      this.options.limits,
      this.options.budget,
      {
        emit: this.options.emit,
        classify: (kind, detail) => {
          connection.kind = kind;
          connection.detail = detail;
          if (kind === "dqlite") this.learnServer(connection.info.server);
        },
        clientOffsetOfAck: (ack) => clientFlow.offsetOf(ack),
        keepFrameBytes: this.options.keepFrameBytes,
      },
    );
  }

  private isServer(address: string): boolean {
    if (this.knownServers.has(address)) return true;
    const port = Number(address.slice(address.lastIndexOf(":") + 1));
    return this.options.ports.has(port);
  }

  private isRetransmittedSyn(connection: TrackedConnection, source: string, seq: number): boolean {
    const flow = connection.flows[connection.endpoints[0] === source ? 0 : 1];
    return flow.synSeen && flow.offsetOf((seq + 1) % 2 ** 32) === 0;
  }

  private retire(key: string, connection: TrackedConnection, carrier: Carrier | undefined): void {
    this.connections.delete(key);
    for (const flow of connection.flows) flow.finish("capture-end", carrier);
    this.giveUpRoles(connection);
    const payload = connection.flows[0].payloadBytes + connection.flows[1].payloadBytes;
    this.options.retired({
      info: connection.info,
      kind: connection.kind ?? (payload === 0 ? "empty" : "other"),
      detail: connection.detail,
      payloadBytes: payload,
      duplicateBytes: connection.flows[0].duplicateBytes + connection.flows[1].duplicateBytes,
      lostBytes: connection.flows[0].lostBytes + connection.flows[1].lostBytes,
      unansweredRequests: connection.conversation?.unansweredRequests ?? 0,
    });
  }
}
