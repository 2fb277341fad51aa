// The bytes of a capture file between two chunks: records and blocks may span chunk boundaries,
// so the readers peek at a contiguous view of the next N bytes. A chunk is read in place when
// nothing is pending (no copy); only the tail that does not form a whole record is copied, and
// `detach` copies what is left before the caller may reuse its chunk. The queue holds at most
// one partial record plus one chunk.

const MIN_OWNED_BYTES = 64 * 1024;

export class ByteQueue {
  private buffer: Uint8Array = new Uint8Array(0);
  private head = 0;
  private tail = 0;
  /** True while `buffer` is the caller's chunk rather than our own copy. */
  private borrowed = false;
  /** File position of the first pending byte. */
  position = 0;

  get available(): number {
    return this.tail - this.head;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.head === this.tail) {
      this.buffer = chunk;
      this.head = 0;
      this.tail = chunk.length;
      this.borrowed = true;
      return;
    }
    const pending = this.tail - this.head;
    const needed = pending + chunk.length;
    if (this.borrowed || needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, MIN_OWNED_BYTES, this.borrowed ? 0 : this.buffer.length * 2));
      grown.set(this.buffer.subarray(this.head, this.tail));
      this.buffer = grown;
      this.borrowed = false;
    } else if (this.head > 0) {
      this.buffer.copyWithin(0, this.head, this.tail);
    }
    this.head = 0;
    this.tail = pending;
    this.buffer.set(chunk, this.tail);
    this.tail += chunk.length;
  }

  /** A view of the next `count` bytes, or undefined when fewer are pending. Valid until the next push. */
  peek(count: number): Uint8Array | undefined {
    if (this.tail - this.head < count) return undefined;
    return this.buffer.subarray(this.head, this.head + count);
  }

  skip(count: number): void {
    this.head += count;
    this.position += count;
    if (this.head >= this.tail) {
      this.head = 0;
      this.tail = 0;
      if (this.borrowed) {
        this.buffer = new Uint8Array(0);
        this.borrowed = false;
      }
    }
  }

  /** Copies pending bytes out of a borrowed chunk, so the caller may reuse it. */
  detach(): void {
    if (!this.borrowed) return;
    const pending = this.buffer.slice(this.head, this.tail);
    this.buffer = pending;
    this.head = 0;
    this.tail = pending.length;
    this.borrowed = false;
  }
}
