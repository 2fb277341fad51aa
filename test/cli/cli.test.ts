// The CLI through the real `bin`, as scripts use it. Needs the build (`npm run build`).

import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { existsSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { goldenVectors, hexToBytes, bytesToHex } from "../vectors/protocol-examples.ts";

const BIN = "bin/dqlite-wire.mjs";
const built = existsSync("dist/src/cli/main.js");

function cli(args: string[], input = "") {
  if (!built) throw new Error("dist/ is missing: run `npm run build` before the CLI tests");
  return spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", timeout: 20_000 });
}

const jsonLines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

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
        expect(results.map((r) => r.message.type)).toEqual(vectors.map((v) => v.message["type"]));
        const encoded = cli(
          ["encode", "--side", side, "--lines", ...flags],
          results.map((r) => JSON.stringify(r.message)).join("\n") + "\n",
        );
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
    expect(JSON.parse(cli(["decode", "--side", "response", rows]).stdout).rows[0][0]).toEqual({
      type: "INTEGER",
      value: "9007199254740992",
    });
  });

  test("--max-rows and --max-message-size set the caps", () => {
    const rows = "0500000007000000 0100000000000000 7800000000000000 0500000000000000 0000000000000000 ffffffffffffffff".replace(/ /g, "");
    expect(JSON.parse(cli(["decode", "--side", "response", "--max-rows", "1", rows]).stdout).error.code).toBe("LIMIT");
    expect(JSON.parse(cli(["decode", "--side", "response", "--max-message-size", "16", rows]).stdout).error.code).toBe("LIMIT");
  });

  test("--allow-internal accepts HEARTBEAT", () => {
    const hb = "0100000002000000" + "0700000000000000";
    expect(JSON.parse(cli(["decode", "--side", "request", hb]).stdout).error.code).toBe("INTERNAL_MESSAGE");
    expect(JSON.parse(cli(["decode", "--side", "request", "--allow-internal", hb]).stdout)).toMatchObject({
      type: "HEARTBEAT",
      timestamp: 7,
    });
  });

  test("--stream decodes a request stream after its handshake, and shows poisoning", () => {
    const ok = cli(["decode", "--stream", "--side", "request"], "0100000000000000" + "01000000010000002a00000000000000" + "\n");
    expect(ok.status).toBe(0);
    expect(jsonLines(ok.stdout)).toEqual([{ ok: true, message: { type: "CLIENT", code: 1, schema: 0, id: 42 } }]);
    const bad = cli([
      "decode",
      "--stream",
      "--side",
      "response",
      "0200000004000000" + "00".repeat(16) + "01000000040000000100000000000000",
    ]);
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

  test("several HEX arguments are one frame's bytes (hex split by spaces, unquoted)", () => {
    const r = cli(["decode", "--side", "response", "0100000004000000", "01000000", "00000000"]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ type: "DB", code: 4, schema: 0, id: 1 });
  });

  test("every command answers --help (and `help COMMAND`) with exit 0 and its options", () => {
    const top = cli(["--help"]);
    expect(top.status).toBe(0);
    const commands = [...top.stdout.split("commands:")[1]!.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!);
    expect(commands).toEqual(expect.arrayContaining(["decode", "encode", "shell", "cluster", "bridge"]));
    for (const command of commands) {
      for (const args of [
        [command, "--help"],
        [command, "-h"],
        ["help", command],
      ]) {
        const r = cli(args);
        expect(r.status, `${args.join(" ")}: ${r.stderr}`).toBe(0);
        expect(r.stdout, args.join(" ")).toMatch(new RegExp(`usage: dqlite-wire ${command}`));
      }
    }
    const decodeHelp = cli(["decode", "--help"]).stdout;
    for (const option of [
      "--side",
      "--lines",
      "--stream",
      "--int-mode",
      "--max-rows",
      "--max-message-size",
      "--legacy",
      "--allow-internal",
      "--help",
    ]) {
      expect(decodeHelp, option).toContain(option);
    }
  });

  test("decode --lines: one result per input line, in order, bad and blank lines included; exit 1 if any failed", () => {
    const db = "0100000004000000 0100000000000000";
    const r = cli(["decode", "--side", "response", "--lines"], `${db}\nzz\n\n0100000004000000\r\n${db}`);
    expect(r.status).toBe(1);
    const results = jsonLines(r.stdout);
    expect(results.map((l) => l.ok)).toEqual([true, false, false, false, true]);
    expect(results[0].message).toEqual({ type: "DB", code: 4, schema: 0, id: 1 });
    expect(results[1].error).toMatchObject({ name: "InputError", code: "NOT_HEX" });
    expect(results[2].error).toMatchObject({ name: "DecodeError", code: "TRUNCATED" }); // a blank line is an empty frame
    expect(results[3].error).toMatchObject({ name: "DecodeError", code: "TRUNCATED" });
    expect(results[4]).toEqual(results[0]);
    expect(cli(["decode", "--side", "response", "--lines"], `${db}\n${db}\n`).status).toBe(0);
  });

  test("--lines answers each line as it arrives: stdin is read as a stream, not whole first", async () => {
    if (!built) throw new Error("dist/ is missing: run `npm run build` before the CLI tests");
    // One line in, then wait for its result before the next: a command that read all of stdin
    // before answering would never answer with stdin still open, and the test would time out.
    for (const [args, input, expected] of [
      [
        ["decode", "--side", "response", "--lines"],
        "01000000040000000100000000000000",
        '{"ok":true,"message":{"type":"DB","code":4,"schema":0,"id":1}}',
      ],
      [["encode", "--side", "request", "--lines"], '{"type":"CLIENT","id":42}', "01000000010000002a00000000000000"],
    ] as const) {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "inherit"] });
      const output = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      for (let i = 0; i < 3; i++) {
        child.stdin.write(`${input}\n`);
        expect((await output.next()).value).toBe(expected);
      }
      child.stdin.end();
      const status = await new Promise((resolve) => child.on("close", resolve));
      expect(status).toBe(0);
    }
  });

  test("decode --lines: a line over the cap is one LIMIT line, not held; the next line still decodes", () => {
    const db = "01000000040000000100000000000000";
    const r = cli(["decode", "--side", "response", "--lines", "--max-message-size", "16"], `${db}\n${"a".repeat(100_000)}\n${db}\n`);
    expect(r.status).toBe(1);
    const results = jsonLines(r.stdout);
    expect(results.map((l) => l.ok)).toEqual([true, false, true]);
    expect(results[1].error).toMatchObject({ name: "InputError", code: "LIMIT" });
  });

  test("encode --lines: one output per input line, in order; bad JSON, blank lines and refusals are error lines", () => {
    const input = [
      '{"type":"CLIENT","id":42}',
      "not json",
      "",
      '{"type":"NOPE"}',
      '{"ok":true,"message":{"type":"CLIENT","id":1}}',
      '{"ok":false,"error":{"name":"DecodeError","code":"TRUNCATED","message":"m"}}',
    ];
    const r = cli(["encode", "--side", "request", "--lines"], input.join("\n") + "\n");
    expect(r.status).toBe(1);
    const out = r.stdout.split("\n").slice(0, -1);
    expect(out).toHaveLength(input.length);
    expect(out[0]).toBe("01000000010000002a00000000000000");
    expect(JSON.parse(out[1]!).error).toMatchObject({ name: "InputError", code: "BAD_JSON" });
    expect(JSON.parse(out[2]!).error).toMatchObject({ name: "InputError", code: "BAD_JSON" });
    expect(JSON.parse(out[3]!).error).toMatchObject({ name: "EncodeError", code: "UNKNOWN_TYPE" });
    expect(out[4]).toBe("01000000010000000100000000000000"); // decode's output lines are encode's input
    expect(JSON.parse(out[5]!)).toEqual({ ok: false, error: { name: "DecodeError", code: "TRUNCATED", message: "m" } });
  });

  test("encode takes decode's flags; decode | encode with the same flags round-trips HEARTBEAT", () => {
    const hb = "01000000020000000700000000000000";
    const flags = ["--allow-internal", "--legacy", "--int-mode", "string", "--max-rows", "10", "--max-message-size", "4096"];
    const decoded = cli(["decode", "--side", "request", ...flags, hb]);
    expect(decoded.status, decoded.stderr).toBe(0);
    const encoded = cli(["encode", "--side", "request", ...flags], decoded.stdout);
    expect(encoded.status, encoded.stderr).toBe(0);
    expect(encoded.stdout.trim()).toBe(hb);
    // Without --allow-internal, encode refuses what decode refuses.
    const refused = cli(["encode", "--side", "request", decoded.stdout.trim()]);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ name: "EncodeError", code: "INTERNAL_MESSAGE" });
    // And the caps apply when writing: a frame over --max-message-size is refused.
    const big = cli([
      "encode",
      "--side",
      "request",
      "--max-message-size",
      "16",
      '{"type":"OPEN","name":"a-long-database-name","flags":0,"vfs":"unix"}',
    ]);
    expect(JSON.parse(big.stdout).error).toMatchObject({ name: "EncodeError", code: "LIMIT" });
  });

  test("decode --stream | encode --stream gives back the byte stream, handshake included", () => {
    const stream =
      "0100000000000000" + "01000000010000002a00000000000000" + "0300000003000000746573742e6462000000000000000000756e697800000000";
    const decoded = cli(["decode", "--side", "request", "--stream"], stream.replace(/(.{16})/g, "$1 ") + "\n");
    expect(decoded.status, decoded.stderr).toBe(0);
    expect(jsonLines(decoded.stdout).map((l) => l.message.type)).toEqual(["CLIENT", "OPEN"]);
    const encoded = cli(["encode", "--side", "request", "--stream"], decoded.stdout);
    expect(encoded.status, encoded.stderr).toBe(0);
    expect(encoded.stdout).toBe(stream + "\n");
  });

  test("decode --stream: input that turns out not to be hex ends the stream with an InputError line", () => {
    const r = cli(["decode", "--side", "response", "--stream"], "0100000004000000 0100000000000000\nxyz\n");
    expect(r.status).toBe(1);
    const results = jsonLines(r.stdout);
    expect(results[0]).toMatchObject({ ok: true, message: { type: "DB" } });
    expect(results[1].error).toMatchObject({ name: "InputError", code: "NOT_HEX", offset: 34 });
  });

  test("usage errors exit 2 with one line on stderr", () => {
    for (const args of [
      ["decode", "--no-such-option"],
      ["decode", "--side", "response", "zz"],
      ["decode", "--side", "sideways", "00"],
      ["encode", "--side", "request", "{not json"],
      ["frobnicate"],
    ]) {
      const r = cli(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.trim().split("\n")[0]).toMatch(/^dqlite-wire/);
    }
  });
});
