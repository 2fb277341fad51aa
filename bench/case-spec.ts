// What names one offline case: the vocabulary the bench's processes pass to each other.

import type { ArrowOutput } from "./arrow.ts";
import type { Shape } from "./corpus.ts";
import type { Retention, RowOutput } from "./rows-decode.ts";

export type Output = RowOutput | ArrowOutput;
export type { Retention };

/** One offline case: a shape, an engine (or "JSON.parse"), an output and a retention. */
export interface CaseSpec {
  shape: Shape;
  engine: string;
  output: Output;
  retention: Retention;
}
