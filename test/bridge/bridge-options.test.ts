// The bridge's option checking, close-reason fitting and close-code helpers (no network).

import { describe, expect, it } from "vitest";
import { fitCloseReason } from "../../src/bridge/connection.ts";
import { BRIDGE_DEFAULTS, generateBridgeToken, parseHostPort, resolveBridgeOptions } from "../../src/bridge/options.ts";
import { BridgeCloseCode, bridgeSubprotocols, describeBridgeCloseCode, isBridgeRefusal } from "../../src/transport/index.ts";
import { ConnectionError } from "../../src/errors.ts";
import { parseAddress, splitHostPort } from "../../src/transport/address.ts";

describe("bridge options", () => {
  it("applies the documented defaults", () => {
    const resolved = resolveBridgeOptions({ targets: ["127.0.0.1:9001"] });
    expect(resolved).toMatchObject({ ...BRIDGE_DEFAULTS, targets: ["127.0.0.1:9001"] });
    expect(resolved.origins.size).toBe(0);
    expect(resolved.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(BRIDGE_DEFAULTS).toEqual({
      host: "127.0.0.1",
      port: 0,
      allowMissingOrigin: true,
      allowAdmin: false,
      returningQueries: false,
      maxConnections: 64,
      maxConnectionsPerClient: 16,
      maxMessageBytes: 1048576,
      maxFrameBytes: 1048576,
      maxBufferedBytes: 1048576,
      idleTimeoutMs: 120000,
      frameTimeoutMs: 10000,
      connectTimeoutMs: 5000,
      maxPendingRefusals: 32,
      closeGraceMs: 1000,
    });
  });

  it("generates a different token each time", () => {
    expect(new Set(Array.from({ length: 20 }, generateBridgeToken)).size).toBe(20);
  });

  it.each([
    [{ targets: [] }, /at least one target/],
    [{ targets: ["nohost"] }, /HOST:PORT/],
    [{ targets: ["127.0.0.1:0"] }, /port 1-65535/],
    [{ targets: ["127.0.0.1:9001"], token: "has space in it 0123" }, /token must be/],
    [{ targets: ["127.0.0.1:9001"], origins: ["*"] }, /exact origin/],
    [{ targets: ["127.0.0.1:9001"], maxConnections: 0 }, /maxConnections must be a positive integer/],
    [{ targets: ["127.0.0.1:9001"], idleTimeoutMs: 1.5 }, /idleTimeoutMs/],
    [{ targets: ["127.0.0.1:9001"], maxFrameBytes: 8 }, /maxFrameBytes must be at least 64/],
    [{ targets: ["127.0.0.1:9001"], port: 70000 }, /port must be 0-65535/],
  ])("refuses %j", (options, message) => {
    expect(() => resolveBridgeOptions(options)).toThrow(message);
  });

  it("parses IPv4, names and bracketed IPv6 addresses", () => {
    expect(parseHostPort("127.0.0.1:9001", "t")).toEqual({ host: "127.0.0.1", port: 9001 });
    expect(parseHostPort("node-1.local:1", "t")).toEqual({ host: "node-1.local", port: 1 });
    expect(parseHostPort("[::1]:9001", "t")).toEqual({ host: "::1", port: 9001 });
    expect(() => parseHostPort("::1:9001", "t")).toThrow(RangeError);
  });

  it("reads addresses with the client's grammar: the same accepted, the same refused", () => {
    const cases = [
      "127.0.0.1:9001",
      "node-1.local:1",
      "[::1]:9001",
      "[fe80::1]:65535",
      "::1:9001",
      "nohost",
      "host:",
      ":9001",
      "h:65536",
      "h:0",
      "h:123456",
      "under_score:1",
      "[::1]",
      "a b:1",
    ];
    for (const address of cases) {
      let client: unknown;
      let bridge: unknown;
      try {
        client = parseAddress(address);
      } catch (error) {
        expect(error).toBeInstanceOf(ConnectionError);
        client = "refused";
      }
      try {
        bridge = parseHostPort(address, "t");
      } catch (error) {
        expect(error).toBeInstanceOf(RangeError);
        bridge = "refused";
      }
      expect({ address, bridge }).toEqual({ address, bridge: client });
    }
    expect(parseAddress("[::1]:9001")).toEqual({ host: "::1", port: 9001 });
    // A listener may ask for port 0 (any free port); a node address may not.
    expect(splitHostPort("127.0.0.1:0")).toEqual({ host: "127.0.0.1", port: 0 });
    expect(() => parseAddress("127.0.0.1:0")).toThrow(/not a HOST:PORT address/);
  });
});

describe("close reasons and codes", () => {
  it("keeps reasons within the 123 bytes of a close frame, on a character boundary", () => {
    expect(fitCloseReason("short")).toBe("short");
    const ascii = fitCloseReason("x".repeat(500));
    expect(Buffer.byteLength(ascii)).toBeLessThanOrEqual(123);
    expect(ascii.endsWith("…")).toBe(true);
    const wide = fitCloseReason("é".repeat(200));
    expect(Buffer.byteLength(wide)).toBeLessThanOrEqual(123);
    expect(wide).not.toContain("\uFFFD");
  });

  it("describes every code and tells refusals apart", () => {
    for (const code of Object.values(BridgeCloseCode)) expect(describeBridgeCloseCode(code)).toBeTypeOf("string");
    expect(isBridgeRefusal(BridgeCloseCode.Unauthorized)).toBe(true);
    expect(isBridgeRefusal(BridgeCloseCode.ForbiddenTarget)).toBe(true);
    expect(isBridgeRefusal(BridgeCloseCode.Idle)).toBe(false);
    expect(bridgeSubprotocols("abc")).toEqual(["dqlite-wire", "dqlite-wire.token.abc"]);
  });
});
