// Shrinks a failing input while it keeps failing the same way (same kind, same oracle): first the
// split points, then chunks of bytes from large to single (each deletion also tried with the
// size word rewritten to match), then bytes set to zero. Bounded by a number of checks.

import { fixSizeWord } from "./mutators.ts";
import { type Finding, type FuzzInput, checkInput } from "./oracles.ts";

export function sameFailure(findings: readonly Finding[], target: Finding): boolean {
  return findings.some((finding) => finding.kind === target.kind && finding.oracle === target.oracle);
}

function withBytes(input: FuzzInput, bytes: Uint8Array): FuzzInput {
  return { ...input, bytes, splits: input.splits.filter((at) => at > 0 && at < bytes.length) };
}

export function minimise(input: FuzzInput, target: Finding, budget = 600, check: (input: FuzzInput) => Finding[] = checkInput): FuzzInput {
  let best = input;
  let spent = 0;
  const fails = (candidate: FuzzInput): boolean => {
    spent++;
    return sameFailure(check(candidate), target);
  };

  if (best.splits.length > 0 && fails({ ...best, splits: [] })) best = { ...best, splits: [] };
  for (let i = best.splits.length - 1; i >= 0 && spent < budget; i--) {
    const splits = best.splits.filter((_, j) => j !== i);
    if (fails({ ...best, splits })) best = { ...best, splits };
  }

  let size = 1;
  while (size * 2 <= best.bytes.length / 2) size *= 2;
  for (; size >= 1 && spent < budget; size = size >> 1) {
    let at = 0;
    while (at < best.bytes.length && spent < budget) {
      const bytes = best.bytes;
      const shorter = new Uint8Array(bytes.length - Math.min(size, bytes.length - at));
      shorter.set(bytes.subarray(0, at));
      shorter.set(bytes.subarray(at + size), at);
      const plain = withBytes(best, shorter);
      if (fails(plain)) {
        best = plain;
        continue;
      }
      const fixed = withBytes(best, fixSizeWord(shorter));
      if (fixed.bytes !== shorter && spent < budget && fails(fixed)) {
        best = fixed;
        continue;
      }
      at += size;
    }
  }

  if (best.bytes.length <= 512) {
    for (let at = 0; at < best.bytes.length && spent < budget; at++) {
      if (best.bytes[at] === 0) continue;
      const zeroed = best.bytes.slice();
      zeroed[at] = 0;
      const candidate = withBytes(best, zeroed);
      if (fails(candidate)) best = candidate;
    }
  }
  return best;
}
