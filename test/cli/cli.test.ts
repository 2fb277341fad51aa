// The CLI through the real `bin`, as scripts use it. Needs the build (`npm run build`).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { goldenVectors, hexToBytes, bytesToHex } from "../vectors/protocol-examples.ts";

const BIN = "bin/dqlite-wire.mjs";
const built = existsSync("dist/src/cli/main.js");

function cli(args: string[], input = "") {
  if (!built) throw new Error("dist/ is missing: run `npm run build` before the CLI tests");
  return spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", timeout: 20_000 });
}

const jsonLines = (text: string) => text.split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));

describe("dqlite-wire CLI", () => {
  test("every protocol example decodes and re-encodes byte-identical through JSON (--lines)", () => {
    for (const side of ["request", "response"] as const) {
      for (const legacy of [false, true]) {
        const vectors = goldenVectors.filter((v) => v.side === side && (v.legacy === true) === legacy);
        if (vectors.length === 0) continue;
        const flags = legacy ? ["--legacy"] : [];
        const hexes = vectors.map((v) => bytesToHex(hexToBytes(v.hex)));
        const decoded = cli(["decode", "--side", side, "--lines", ...flags], hexes.join("\n") + "\n");
        expect(decoded.status, decoded.stderr).toBe(0);
        const results = jsonLines(decoded.stdout);
        expect(results.map((r) => r.ok)).toEqual(hexes.map(() => true));
        results.forEach((r, i) => expect(r.message.type).toBe(vectors[i]!.message["type"]));
        const encoded = cli(["encode", "--side", side, "--lines", ...flags], results.map((r) => JSON.stringify(r.message)).join("\n") + "\n");
        expect(encoded.status, encoded.stderr).toBe(0);
        expect(encoded.stdout.trim().split("\n")).toEqual(hexes);
      }
    }
  });

  test("decode prints type, code and schema; 64-bit values beyond 2^53 as strings", () => {
    const r = cli(["decode", "--side", "response", "0200000006000000 ffffffffffffffff 0300000000000000".replace(/ /g, "")]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ type: "RESULT", code: 6, schema: 0, lastInsertId: "18446744073709551615", rowsAffected: 3 });
  });

  test("--int-mode number refuses an integer beyond 2^53 with a typed error", () => {
    const rows = "0500000007000000 0100000000000000 7800000000000000 0100000000000000 0000000000002000 ffffffffffffffff".replace(/ /g, "");
    const r = cli(["decode", "--side", "response", "--int-mode", "number", rows]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ name: "DecodeError", code: "UNSAFE_INTEGER" });
    expect(JSON.parse(cli(["decode", "--side", "response", rows]).stdout).rows[0][0]).toEqual({ type: "INTEGER", value: "9007199254740992" });
  });

  test("--max-rows and --max-message-size set the caps", () => {
    const rows = "0500000007000000 0100000000000000 7800000000000000 0500000000000000 0000000000000000 ffffffffffffffff".replace(/ /g, "");
    expect(JSON.parse(cli(["decode", "--side", "response", "--max-rows", "1", rows]).stdout).error.code).toBe("LIMIT");
    expect(JSON.parse(cli(["decode", "--side", "response", "--max-message-size", "16", rows]).stdout).error.code).toBe("LIMIT");
  });

  test("--allow-internal accepts HEARTBEAT", () => {
    const hb = "0100000002000000" + "0700000000000000";
    expect(JSON.parse(cli(["decode", "--side", "request", hb]).stdout).error.code).toBe("INTERNAL_MESSAGE");
    expect(JSON.parse(cli(["decode", "--side", "request", "--allow-internal", hb]).stdout)).toMatchObject({ type: "HEARTBEAT", timestamp: 7 });
  });

  test("--stream decodes a request stream after its handshake, and shows poisoning", () => {
    const ok = cli(["decode", "--stream", "--side", "request"], "0100000000000000" + "01000000010000002a00000000000000" + "\n");
    expect(ok.status).toBe(0);
    expect(jsonLines(ok.stdout)).toEqual([{ ok: true, message: { type: "CLIENT", code: 1, schema: 0, id: 42 } }]);
    const bad = cli(["decode", "--stream", "--side", "response", "0200000004000000" + "00".repeat(16) + "01000000040000000100000000000000"]);
    expect(bad.status).toBe(1);
    expect(jsonLines(bad.stdout).map((l) => l.error?.name)).toEqual(["DecodeError", "PoisonedError"]);
  });

  test("--stream: a frame cut short at the end of input is an error, not a message", () => {
    const r = cli(["decode", "--stream", "--side", "response", "0100000004000000010000"]);
    expect(r.status).toBe(1);
    expect(jsonLines(r.stdout)[0].error.code).toBe("TRUNCATED");
  });

  test("encode refuses what the decoder would refuse, with an EncodeError naming the field", () => {
    const r = cli(["encode", "--side", "response", JSON.stringify({ type: "FILES", files: [{ name: "a", content: "00" }] })]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error).toMatchObject({ name: "EncodeError", code: "BAD_VALUE" });
    expect(JSON.parse(r.stdout).error.message).toContain("FILES.files[0].content");
  });

  test("usage errors exit 2 with one line on stderr", () => {
    for (const args of [["decode", "--no-such-option"], ["decode", "--side", "response", "zz"], ["decode", "--side", "sideways", "00"], ["encode", "--side", "request", "{not json"], ["frobnicate"]]) {
      const r = cli(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")[0]).toMatch(/^dqlite-wire/);
    }
  });
});
