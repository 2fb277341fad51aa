// One call at a time per connection: turns are taken in order, and a caller that gives up while
// waiting leaves the line without blocking the ones behind it.

import { describe, expect, it } from "vitest";
import { CallScope } from "../../src/client/call-scope.ts";
import { RequestQueue } from "../../src/client/request-queue.ts";
import { CancelledError, TimeoutError } from "../../src/errors.ts";

describe("RequestQueue", () => {
  it("grants turns first come, first served, one at a time", async () => {
    const queue = new RequestQueue();
    const order: string[] = [];
    const run = async (name: string, ms: number) => {
      const release = await queue.acquire();
      order.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(`end ${name}`);
      release();
    };
    await Promise.all([run("a", 20), run("b", 1), run("c", 5)]);
    expect(order).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
  });

  it("a waiter whose signal aborts rejects at once and does not block the next one", async () => {
    const queue = new RequestQueue();
    const first = await queue.acquire();
    const controller = new AbortController();
    const scope = new CallScope("waiting", { signal: controller.signal });
    const gaveUp = queue.acquire(scope);
    const third = queue.acquire();
    controller.abort(new Error("no longer needed"));
    const error = await gaveUp.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).cause).toEqual(new Error("no longer needed"));
    expect(queue.waiting).toBe(1);
    let thirdStarted = false;
    void third.then(() => {
      thirdStarted = true;
    });
    // The third must not start while the first holds the turn: an absence, watched over a short
    // window (a slower machine can only make it start later, never sooner).
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(thirdStarted).toBe(false);
    first();
    const release = await third;
    expect(thirdStarted).toBe(true);
    release();
    release(); // idempotent
    expect(queue.busy).toBe(false);
    (await queue.acquire())();
  });
});

describe("CallScope", () => {
  it("times out with a TimeoutError naming the call, and cancels with a CancelledError carrying the reason", async () => {
    const timed = new CallScope("LEADER", { timeoutMs: 10 });
    const error = await timed.race(new Promise(() => {})).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("LEADER: no answer within 10 ms");
    timed.dispose();

    const controller = new AbortController();
    const cancelled = new CallScope("EXEC", { signal: controller.signal, timeoutMs: 0 });
    const reason = new Error("user left");
    const pending = cancelled.race(new Promise(() => {}));
    controller.abort(reason);
    const cancel = await pending.catch((e: unknown) => e);
    expect(cancel).toBeInstanceOf(CancelledError);
    expect((cancel as Error).cause).toBe(reason);
    cancelled.dispose();

    const already = new CallScope("OPEN", { signal: AbortSignal.abort("before") });
    expect(() => already.check()).toThrow(CancelledError);
    // An AbortSignal made on demand carries the scope's end, before or after it is asked for.
    expect(already.signal.aborted).toBe(true);
    expect(already.signal.reason).toBe(already.reason);
    const later = new CallScope("QUERY", { timeoutMs: 10 });
    const signal = later.signal;
    expect(signal.aborted).toBe(false);
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    expect(signal.reason).toBeInstanceOf(TimeoutError);
    expect(later.isEnd(signal.reason)).toBe(true);
    later.dispose();
    expect(() => new CallScope("X", { timeoutMs: -1 })).toThrow(RangeError);
  });
});
