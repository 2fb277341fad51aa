// One budget for every byte the capture decoder holds undecoded (out-of-order segments, partial
// frames, resync windows), so the total stays under `maxBufferedBytes` however many connections
// the capture holds. A holder that cannot reserve drops what it would have kept and says so.

export class BufferBudget {
  private usedBytes = 0;
  readonly maxBytes: number;
  /** The most bytes held at once, for the summary. */
  peakBytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  get used(): number {
    return this.usedBytes;
  }

  tryReserve(bytes: number): boolean {
    if (this.usedBytes + bytes > this.maxBytes) return false;
    this.usedBytes += bytes;
    if (this.usedBytes > this.peakBytes) this.peakBytes = this.usedBytes;
    return true;
  }

  release(bytes: number): void {
    this.usedBytes = Math.max(0, this.usedBytes - bytes);
  }
}
