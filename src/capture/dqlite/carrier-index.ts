// Which packet carried a given byte of a direction's stream: frames come out of the decoder as
// stream offsets, and their records need the capture time and the acknowledgement number of the
// packet their first byte came in. Entries are dropped once the decoder is past them, so the
// index holds only the packets of the bytes still buffered.

import type { Carrier } from "../network/tcp-flow.ts";

export class CarrierIndex {
  private offsets: number[] = [];
  private carriers: Carrier[] = [];
  private head = 0;

  add(offset: number, carrier: Carrier): void {
    this.offsets.push(offset);
    this.carriers.push(carrier);
  }

  /** The carrier of the byte at `offset`; entries before it are dropped (offsets only grow). */
  at(offset: number): Carrier | undefined {
    while (this.head + 1 < this.offsets.length && this.offsets[this.head + 1]! <= offset) this.head++;
    if (this.head >= this.offsets.length || this.offsets[this.head]! > offset) return undefined;
    if (this.head > 1024 && this.head * 2 > this.offsets.length) {
      this.offsets = this.offsets.slice(this.head);
      this.carriers = this.carriers.slice(this.head);
      this.head = 0;
    }
    return this.carriers[this.head];
  }

  clear(): void {
    this.offsets = [];
    this.carriers = [];
    this.head = 0;
  }
}
