// Capture timestamps. Files give seconds and a fraction at some resolution (microseconds,
// nanoseconds, or pcapng's if_tsresol: any power of 10 or of 2); they are kept as whole seconds
// plus nanoseconds, and printed with as many digits as the file recorded.

export interface CaptureTime {
  /** Seconds since the Unix epoch (UTC). */
  seconds: number;
  /** 0 … 999,999,999. */
  nanoseconds: number;
  /** Fraction digits the file recorded (6 for microseconds, 9 for nanoseconds). */
  digits: number;
}

const NS_PER_SECOND = 1_000_000_000n;

/** A time from a count of `units` since the epoch, where one second is `unitsPerSecond`. */
export function timeFromUnits(units: bigint, unitsPerSecond: bigint, offsetSeconds = 0n): CaptureTime {
  const seconds = units / unitsPerSecond + offsetSeconds;
  const fraction = units % unitsPerSecond;
  return {
    seconds: Number(seconds),
    nanoseconds: Number((fraction * NS_PER_SECOND) / unitsPerSecond),
    digits: fractionDigits(unitsPerSecond),
  };
}

/** A time from whole seconds and a fraction counted in 10^-digits seconds. */
export function timeFromParts(seconds: number, fraction: number, digits: 6 | 9): CaptureTime {
  return { seconds, nanoseconds: digits === 6 ? fraction * 1000 : fraction, digits };
}

function fractionDigits(unitsPerSecond: bigint): number {
  let digits = 0;
  for (let scale = 1n; scale < unitsPerSecond && digits < 9; scale *= 10n) digits++;
  return digits;
}

/** The date and time of the last second formatted: packets come many to a second. */
let lastSeconds = Number.NaN;
let lastBase = "";

/** ISO 8601 in UTC with the file's precision: `2025-12-07T00:08:30.621137Z`. */
export function formatCaptureTime(time: CaptureTime): string {
  if (time.seconds !== lastSeconds) {
    const date = new Date(time.seconds * 1000);
    lastBase = Number.isFinite(date.getTime()) ? date.toISOString().slice(0, 19) : `@${time.seconds}`;
    lastSeconds = time.seconds;
  }
  const base = lastBase;
  if (time.digits === 0) return `${base}Z`;
  const fraction = String(time.nanoseconds).padStart(9, "0").slice(0, time.digits);
  return `${base}.${fraction}Z`;
}

/** Seconds as a number with the fraction (for durations and sorting). */
export function captureSeconds(time: CaptureTime): number {
  return time.seconds + time.nanoseconds / 1e9;
}
