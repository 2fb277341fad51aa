// Every frame that went either way, in order: a summary for the page's list, and the bytes for
// the inspector and the engine comparison. Bytes are kept up to a budget; past it the oldest
// frames lose theirs (their summary stays), so a long session cannot grow without bound.

import { requestSchemas, responseSchemas } from "./library.ts";
import type { FrameDirection, FrameSummary } from "./worker-protocol.ts";

/** Bytes of frame content the log keeps. A million-row result is about 40 MB of ROWS frames. */
const KEPT_BYTES_BUDGET = 160 * 1024 * 1024;

const REQUEST_NAMES = namesByCode(requestSchemas);
const RESPONSE_NAMES = namesByCode(responseSchemas);

function namesByCode(schemas: Record<string, { type: string; code: number }>): Map<number, string> {
  return new Map(Object.values(schemas).map((declaration) => [declaration.code, declaration.type]));
}

/** The protocol's name of a type code; requests and responses share numbers, so the side matters. */
export function typeName(direction: FrameDirection, code: number): string {
  const names = direction === "sent" ? REQUEST_NAMES : RESPONSE_NAMES;
  return names.get(code) ?? `type ${code}`;
}

export interface FrameRecord extends FrameSummary {
  /** The frame's bytes (header and body), until the budget pushes them out. */
  bytes: Uint8Array | null;
  /** The result the frame belongs to, if it was sent or received while one was running. */
  resultId: number | undefined;
}

export class FrameLog {
  readonly #records: FrameRecord[] = [];
  #unsent: FrameSummary[] = [];
  #keptBytes = 0;
  /** Index of the oldest record that still has its bytes. */
  #oldestKept = 0;
  #dropped = 0;

  add(entry: Omit<FrameRecord, "seq">): FrameRecord {
    const record: FrameRecord = { ...entry, seq: this.#records.length };
    this.#records.push(record);
    const { bytes: _bytes, resultId: _resultId, ...summary } = record;
    this.#unsent.push(summary);
    if (record.bytes !== null) {
      this.#keptBytes += record.bytes.length;
      this.#evict();
    }
    return record;
  }

  get(seq: number): FrameRecord | undefined {
    return this.#records[seq];
  }

  /** The records of one result, in order. */
  ofResult(resultId: number): FrameRecord[] {
    return this.#records.filter((record) => record.resultId === resultId);
  }

  /** Summaries added since the last call, and how many frames have lost their bytes so far. */
  takeUnsent(): { frames: FrameSummary[]; dropped: number } | undefined {
    if (this.#unsent.length === 0) return undefined;
    const frames = this.#unsent;
    this.#unsent = [];
    return { frames, dropped: this.#dropped };
  }

  #evict(): void {
    while (this.#keptBytes > KEPT_BYTES_BUDGET && this.#oldestKept < this.#records.length) {
      const record = this.#records[this.#oldestKept++]!;
      if (record.bytes === null) continue;
      this.#keptBytes -= record.bytes.length;
      record.bytes = null;
      this.#dropped++;
    }
  }
}
