// A call's place on a connection: the requests it sends, and its replies, read in their order.
// dqlite has no message ids: a node answers the requests of a connection in the order they came,
// each reply (a result: all its frames) whole before the next. So several calls may send their
// requests at once (they go out in one write, and the node reads the next request as soon as it
// has answered the one before), and each reads its replies when the calls before it have read
// theirs: the turn at the head of the line reads; the others wait to become the head.
//
// A turn reads exactly the replies of what it sent. It ends when it has (`end`); one that ends
// with a reply still owed, or fails mid-reply, leaves the connection out of step with the node:
// the connection breaks, and every turn behind it fails.

import { ConnectionError, DecodeError, ServerError, WireError } from "../errors.ts";
import type { ResponseTypeName } from "../messages/schemas.ts";
import type { RequestInput, Response, ResponseOf } from "../messages/types.ts";
import type { ResultReader, ResultStep } from "../rows/result-reader.ts";
import type { RawFrame } from "../stream/frame-decoder.ts";
import type { IntMode } from "../values/int-mode.ts";
import type { CallScope } from "./call-scope.ts";
import { serverErrorFrom } from "./server-errors.ts";

/** Request types whose effect persists: if their reply is lost, the outcome is unknown. */
const WRITE_REQUESTS = new Set(["EXEC", "EXEC_SQL", "ADD", "ASSIGN", "REMOVE", "TRANSFER", "WEIGHT"]);

/**
 * What a turn uses of its connection (connection.ts). The connection hands it to its turns only:
 * its input buffer is read through a turn's cursor (`frame`, `readRows`), never from outside.
 */
export interface TurnHost {
  readonly address: string;
  /** Guards and encodes `input`: throws (an EncodeError) without any effect when it must not be sent. */
  encode(input: RequestInput): Uint8Array;
  /**
   * Queues encoded requests for the next write (one write per turn of the event loop). A write
   * that fails breaks the connection: the turn learns it when it reads.
   */
  write(bytes: Uint8Array): void;
  /** The next whole frame of the connection's input, reading the transport as needed. */
  nextFrame(scope: CallScope): Promise<RawFrame>;
  /** Decodes a frame just read (before the next read). */
  decode(frame: RawFrame, intMode: IntMode): Response;
  /** Feeds the connection's input to `reader` until it yields rows or the result ends (see `Turn.readRows`). */
  readRows(reader: ResultReader, scope: CallScope): Promise<ResultStep>;
  /** Breaks the connection because of `error`; returns it. */
  breakWith<E>(error: E): E;
  /** The turn left the line: the next one becomes the head. */
  leave(turn: Turn): void;
}

export class Turn {
  readonly scope: CallScope;
  readonly #host: TurnHost;
  readonly #release: () => void;
  /** Made only for a turn that waits: most calls are at the head of the line as they start. */
  #becameHead: Promise<void> | undefined;
  #makeHead: (() => void) | undefined;
  #isHead = false;
  /** Replies the node owes this turn: requests sent whose reply has not been read. */
  #owed = 0;
  #ended = false;
  /** Turns queued behind this one (they sent their requests after this turn's). */
  #behind = false;
  /** Set by the reader of a result that goes on over several frames (see `Connection.sharable`). */
  streaming = false;

  /** Made by the connection (`Connection.turn`); `release` gives back what admitted it (a lease's turn). */
  constructor(host: TurnHost, scope: CallScope, release: () => void) {
    this.#host = host;
    this.scope = scope;
    this.#release = release;
  }

  /** True when no turn has queued behind this one: a request it sends now is answered right after its own replies. */
  get last(): boolean {
    return !this.#behind;
  }

  /** The connection calls this when the turn reaches the head of the line. */
  becomeHead(): void {
    this.#isHead = true;
    this.#makeHead?.();
  }

  /** The connection calls this when another turn queues behind this one. */
  queuedBehind(): void {
    this.#behind = true;
  }

  /**
   * Sends `input` (it goes out with the other requests of this turn of the event loop); its reply
   * is this turn's to read. A refused request (a guard) sends nothing. The write's failure, if
   * any, is what the reading of the reply reports.
   */
  send(input: RequestInput): void {
    if (this.#ended) throw new WireError("BAD_STATE", `${input.type}: this turn has ended`);
    const bytes = this.#host.encode(input);
    this.#owed++;
    this.#host.write(bytes);
  }

  /** Waits until the turns before this one have read their replies (`scope` bounds the wait). */
  async head(scope: CallScope = this.scope): Promise<void> {
    if (this.#isHead) return;
    this.#becameHead ??= new Promise<void>((resolve) => {
      this.#makeHead = resolve;
    });
    await scope.race(this.#becameHead);
  }

  /** The next whole frame of this turn's replies. */
  async frame(scope: CallScope = this.scope): Promise<RawFrame> {
    await this.head(scope);
    return this.#host.nextFrame(scope);
  }

  /**
   * Reads the one reply of a request this turn sent. FAILURE becomes a ServerError; a reply of
   * another type than `expect` is a DecodeError BAD_SEQUENCE (and breaks the connection).
   */
  async reply<N extends ResponseTypeName>(requestType: string, expect: N, intMode: IntMode = "number"): Promise<ResponseOf<N>> {
    let reply: Response;
    try {
      reply = this.#host.decode(await this.frame(), intMode);
    } catch (error) {
      throw this.#afterSend(requestType, error);
    }
    // A result's first frame is its reply only when it is the last (DONE); the reader of the rest says when.
    if (!(reply.type === "ROWS" && reply.marker === "PART")) this.replied();
    if (reply.type === expect) return reply as ResponseOf<N>;
    if (reply.type === "FAILURE") throw serverErrorFrom(reply, requestType);
    throw this.#host.breakWith(
      new DecodeError("BAD_SEQUENCE", `${requestType}: the node answered ${reply.type} where ${expect} was expected`, {
        field: "header.type",
      }),
    );
  }

  /** A reply of this turn was read whole (a result: its last frame). */
  replied(): void {
    this.#owed = Math.max(0, this.#owed - 1);
  }

  /** Every reply of this turn was read (a result read to its end, and the EMPTY of its INTERRUPT). */
  repliedAll(): void {
    this.#owed = 0;
  }

  /**
   * The next step of a result this turn reads: the reader is fed the connection's input (read
   * from the transport as needed) until it yields a batch with rows or the result ends (DONE, a
   * FAILURE, an EMPTY). In the "borrow" input mode a batch points into the connection's buffer:
   * it is valid until the next read. A reader's DecodeError breaks the connection.
   */
  readRows(reader: ResultReader, scope: CallScope = this.scope): Promise<ResultStep> {
    // No promise layer for the head (most calls): a point read is a handful of awaits in all.
    if (this.#isHead) return this.#host.readRows(reader, scope);
    return this.head(scope).then(() => this.#host.readRows(reader, scope));
  }

  /**
   * Breaks the connection because of `error` (the reply stream's position is lost: a result
   * abandoned mid-way, a reply that makes no sense); returns it, to throw.
   */
  break<E>(error: E): E {
    return this.#host.breakWith(error);
  }

  /**
   * Leaves the line (once): the next turn becomes the head. A turn that leaves with a reply still
   * owed breaks the connection: the node will send it, and nothing could tell whose it is.
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#owed > 0) {
      this.#host.breakWith(
        new ConnectionError(
          "CONNECTION_CLOSED",
          `a call on ${this.#host.address} ended before the node's reply (timed out, cancelled or failed)`,
        ),
      );
    }
    this.scope.dispose();
    this.#host.leave(this);
    this.#release();
  }

  /**
   * What a failure after the request was (maybe) sent means to the caller: for a write, a broken
   * connection says nothing of whether it ran (OUTCOME_UNKNOWN); a timeout or a cancel leaves
   * the connection out of step, so it is closed.
   */
  #afterSend(requestType: string, error: unknown): unknown {
    if (error instanceof ServerError) return error;
    // Nothing after this point can tell which request a late reply belongs to.
    this.#host.breakWith(error);
    if (WRITE_REQUESTS.has(requestType) && error instanceof ConnectionError && error.code === "CONNECTION_CLOSED") {
      return new ConnectionError(
        "OUTCOME_UNKNOWN",
        `${requestType}: the connection to ${this.#host.address} broke before the reply; the write may or may not have run (it was not resent)`,
        { cause: error },
      );
    }
    if (WRITE_REQUESTS.has(requestType) && error instanceof WireError && (error.code === "TIMEOUT" || error.code === "ABORTED")) {
      error.message += `; the write may or may not have run (it was not resent)`;
    }
    return error;
  }
}
