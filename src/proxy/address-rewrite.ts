// The node addresses a proxy hands out in place of the real ones. A client that asks a node for
// the leader (LEADER) or the members (SERVERS) is told the proxy's listen address paired with
// each node, so that when it follows the leader it stays on the proxy. The frames are decoded
// and re-encoded by the codec; an address with no listen address paired is left as it is.

import { decodeFrame, encodeResponse } from "../messages/codec.ts";
import { ResponseType } from "../messages/codes.ts";
import type { NodeInfo, Response } from "../messages/types.ts";

/** Response types whose frames carry node addresses. */
export const ADDRESS_RESPONSES: ReadonlySet<number> = new Set([ResponseType.Leader, ResponseType.Servers]);

export interface Rewritten {
  frame: Uint8Array;
  /** node address → the address the client was given instead. */
  changes: Record<string, string>;
}

export class AddressRewriter {
  private readonly byTarget: ReadonlyMap<string, string>;

  /** `pairs`: each node's address (as the nodes name themselves) and the proxy address that stands for it. */
  constructor(pairs: readonly { target: string; listen: string }[]) {
    this.byTarget = new Map(pairs.map((pair) => [pair.target, pair.listen]));
  }

  /**
   * The frame with its addresses replaced, or undefined when nothing changes (no address known,
   * or a frame that does not decode: it is then relayed as it came).
   */
  rewrite(frame: Uint8Array, legacy: boolean): Rewritten | undefined {
    let message: Response;
    try {
      message = decodeFrame("response", frame, { legacy, intMode: "bigint" }) as Response;
    } catch {
      return undefined;
    }
    const changes: Record<string, string> = {};
    const swap = (address: string): string => {
      const listen = this.byTarget.get(address);
      if (listen === undefined || listen === address) return address;
      changes[address] = listen;
      return listen;
    };
    let changed: Response;
    if (message.type === "LEADER") changed = { ...message, address: swap(message.address) };
    else if (message.type === "SERVERS")
      changed = { ...message, nodes: message.nodes.map((node: NodeInfo) => ({ ...node, address: swap(node.address) })) };
    else return undefined;
    if (Object.keys(changes).length === 0) return undefined;
    try {
      return { frame: encodeResponse(changed, { legacy }), changes };
    } catch {
      return undefined;
    }
  }
}
