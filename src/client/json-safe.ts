// JSON for results that hold values JSON cannot carry. Like @libsql/client, bigints are written
// as decimal strings; blobs become base64 strings; non-finite floats become "NaN", "Infinity"
// and "-Infinity" (JSON.stringify would silently turn them into null).

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 (RFC 4648, padded) without Buffer or btoa, so it runs everywhere. */
export function base64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + BASE64[(n >> 6) & 63]! + BASE64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + BASE64[(n >> 6) & 63]! + "=";
  }
  return out;
}

/** A JSON-safe copy of one value (cells, rows, nested arrays and plain objects). */
export function jsonSafe(value: unknown): unknown {
  switch (typeof value) {
    case "bigint":
      return value.toString();
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "object":
      if (value === null) return null;
      if (value instanceof Uint8Array) return base64(value);
      if (Array.isArray(value)) return value.map(jsonSafe);
      {
        const out: Record<string, unknown> = {};
        for (const [key, inner] of Object.entries(value)) {
          Object.defineProperty(out, key, { value: jsonSafe(inner), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
    default:
      return value;
  }
}

/** Gives `target` a non-enumerable `toJSON` (so it stays out of console output and spreads). */
export function withToJSON<T extends object>(target: T, toJSON: () => unknown): T & { toJSON(): unknown } {
  Object.defineProperty(target, "toJSON", { value: toJSON, enumerable: false, writable: false, configurable: true });
  return target as T & { toJSON(): unknown };
}
