// Records the largest allocation the code under test asks for, by wrapping the global
// constructors that size memory from a number (`new Array(n)`, `new Uint8Array(n)`, …) in
// proxies. The codec and the row engines look these globals up at call time, so every sized
// allocation they make passes through here. An allocation sized from the wire before its bytes
// were checked shows up as a request far larger than the input, even when it is freed at once.

type Sized = { [key: string]: unknown };

const TRACKED = [
  "Array",
  "ArrayBuffer",
  "Uint8Array",
  "Int8Array",
  "Uint16Array",
  "Int16Array",
  "Uint32Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
] as const;

/** Bytes per element, so that every request is measured in bytes. */
const ELEMENT_BYTES: Record<(typeof TRACKED)[number], number> = {
  Array: 8,
  ArrayBuffer: 1,
  Uint8Array: 1,
  Int8Array: 1,
  Uint16Array: 2,
  Int16Array: 2,
  Uint32Array: 4,
  Int32Array: 4,
  Float32Array: 4,
  Float64Array: 8,
  BigInt64Array: 8,
  BigUint64Array: 8,
};

let installed = false;
let largestBytes = 0;
let largestWhat = "";

function record(name: string, bytesPer: number, args: unknown[]): void {
  const size = args[0];
  if (typeof size !== "number") return;
  // Array(a, b) builds [a, b]; only a single numeric argument sizes an array.
  if (name === "Array" && args.length !== 1) return;
  const bytes = size * bytesPer;
  if (bytes > largestBytes) {
    largestBytes = bytes;
    largestWhat = `new ${name}(${size})`;
  }
}

/** Wraps the constructors once per realm; later calls do nothing. */
export function installAllocationTracker(): void {
  if (installed) return;
  installed = true;
  const globals = globalThis as unknown as Sized;
  for (const name of TRACKED) {
    const original = globals[name] as (new (...args: unknown[]) => unknown) & ((...args: unknown[]) => unknown);
    const bytesPer = ELEMENT_BYTES[name];
    globals[name] = new Proxy(original, {
      construct(target, args, newTarget) {
        record(name, bytesPer, args);
        return Reflect.construct(target, args, newTarget === globals[name] ? target : newTarget);
      },
      apply(target, thisArg, args) {
        record(name, bytesPer, args);
        return Reflect.apply(target, thisArg, args);
      },
    });
  }
}

export function resetLargestAllocation(): void {
  largestBytes = 0;
  largestWhat = "";
}

/** The largest sized allocation since the last reset, in bytes, and what asked for it. */
export function largestAllocation(): { bytes: number; what: string } {
  return { bytes: largestBytes, what: largestWhat };
}

export function allocationTrackerInstalled(): boolean {
  return installed;
}
