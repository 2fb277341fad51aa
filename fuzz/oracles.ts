// The checks every fuzz input goes through. Each oracle feeds the bytes to one decoder (or two
// decoders that must agree) and reports findings:
//
// - crash: something other than a WireError was thrown (or a non-throwing API threw);
// - mismatch: two decoders, or a decoder and the encoder, disagree about the same bytes;
// - unboundedAllocation: a decoded value exceeds a configured cap, the decoded output is larger
//   than the input could describe, an allocation was sized far beyond the input, or a stream
//   decoder buffered more than one frame plus one chunk;
// - hang: measured by the harness around this whole function (worker.ts and main.ts).
//
// `checkInput` is deterministic: the same input gives the same findings, which is what lets the
// minimiser shrink an input and the corpus test replay it in CI.
//
// The oracles live in one module per decoder: oracle-codec.ts (stateless codec, encoder, JSON,
// inspector), oracle-stream.ts (FrameDecoder), oracle-engines.ts (row engines, FAILURE tail),
// oracle-capture.ts (the capture decoder: pcap/pcapng, TCP reassembly, conversations).

import { allocationTrackerInstalled, largestAllocation, resetLargestAllocation } from "./alloc-tracker.ts";
import { type Finding, type FuzzInput, Findings, TIGHT_LIMITS, allocationBound } from "./findings.ts";
import { checkCapture } from "./oracle-capture.ts";
import { checkInspect, checkStateless } from "./oracle-codec.ts";
import { checkEngines, prepareEnvironment, takeEngineAllocationProblem } from "./oracle-engines.ts";
import { checkStream } from "./oracle-stream.ts";

export { type Finding, type FindingKind, type FuzzInput, TIGHT_LIMITS, allocationBound, gravest } from "./findings.ts";
export { capViolation, footprint } from "./message-checks.ts";
export { prepareEnvironment } from "./oracle-engines.ts";

/** Runs every oracle on one input. */
export function checkInput(input: FuzzInput): Finding[] {
  prepareEnvironment();
  const findings = new Findings();
  takeEngineAllocationProblem();
  const tracking = allocationTrackerInstalled();
  if (tracking) resetLargestAllocation();

  for (const side of ["request", "response"] as const) {
    const stateless = checkStateless(input, side, findings);
    checkInspect(input, side, stateless, findings);
  }
  checkStream(input, false, findings);
  if (input.splits.length > 0) checkStream(input, true, findings);
  checkStream(input, input.splits.length > 0, findings, TIGHT_LIMITS);
  if (input.side === "response") checkEngines(input, findings);
  checkCapture(input, findings);

  const engineProblem = takeEngineAllocationProblem();
  if (engineProblem !== undefined) findings.add("unboundedAllocation", "row engine request", engineProblem);
  if (tracking) {
    const largest = largestAllocation();
    if (largest.bytes > allocationBound(input.bytes.length + 16)) {
      findings.add(
        "unboundedAllocation",
        "allocation size",
        `${largest.what} (${largest.bytes} bytes) for a ${input.bytes.length}-byte input`,
      );
    }
  }
  return findings.list;
}
