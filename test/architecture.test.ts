// The structure rules of src/:
// - portability: one source runs in Node, Deno, Bun and browsers, so only the modules that must
//   talk to Node (its TCP transport, the bridge, the test rig, the CLI) import node:*;
// - depend downward: no import cycle between files;
// - small functions: none longer than 120 lines;
// - a layout has one home: frame headers are read and written in src/wire/ and src/messages/
//   only (the edges go through readHeader, readHandshake and the fixed-field readers), frame
//   sizes are computed from the size word in src/wire/ only (everything else walks frames with
//   the frame scanner), and the ROWS markers and value-type codes are numbers in
//   src/wire/layout.ts only. These layout rules read assembly/, bench/ and web/src/ as well.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseSync } from "vite";
import { expect, test } from "vitest";

const NODE_ONLY = [/^src\/cli\//, /^src\/testing\//, /^src\/transport\/node-tcp\.ts$/, /^src\/bridge\//, /^src\/proxy\//];

/** Folders of other languages (the bench's Go peers) hold no TypeScript. */
const NOT_SCANNED = new Set(["node_modules", "go-peer", "go-pool"]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return NOT_SCANNED.has(entry.name) ? [] : sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

test("only Node-specific modules import node:* (and nothing imports Node's globals by name)", () => {
  const offenders = sources("src")
    .filter((path) => !NODE_ONLY.some((pattern) => pattern.test(path)))
    .filter((path) => /from\s+["']node:|import\(\s*["']node:|require\(/.test(readFileSync(path, "utf8")));
  expect(offenders).toEqual([]);
});

test("portable modules do not use Node's globals (Buffer, process, __dirname)", () => {
  const offenders = sources("src")
    .filter((path) => !NODE_ONLY.some((pattern) => pattern.test(path)))
    .filter((path) => {
      const code = readFileSync(path, "utf8")
        .replace(/\/\/.*$/gm, "")
        .replace(/\/\*[\s\S]*?\*\//g, "");
      return /\bBuffer\.|\bprocess\.|\b__dirname\b|\brequire\(/.test(code);
    });
  expect(offenders).toEqual([]);
});

test("the portable entry point does not reach a Node-only module", () => {
  const seen = new Set<string>();
  const visit = (path: string) => {
    if (seen.has(path)) return;
    seen.add(path);
    const text = readFileSync(path, "utf8");
    for (const match of text.matchAll(/(?:from|import)\s*\(?\s*["'](\.[^"']+)["']/g)) {
      visit(join(path, "..", match[1]!));
    }
  };
  visit("src/index.ts");
  const reached = [...seen].filter((path) => NODE_ONLY.some((pattern) => pattern.test(path)));
  expect(reached).toEqual([]);
  expect(seen.size).toBeGreaterThan(10);
});

// ---- Structure rules over src/ (not web/, not tests), read with a real TypeScript parser: oxc,
// through vite's parseSync, so comments, strings and templates never pass for code.

interface ParsedSource {
  path: string;
  code: string;
  program: AstNode;
}

interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

/**
 * AssemblyScript's decorators on top-level functions (`@inline function …`) are not TypeScript;
 * they are blanked to spaces of the same length, so offsets and lines stay as written.
 */
const ASSEMBLYSCRIPT_DECORATOR = /@(inline|global|unmanaged|final|lazy|operator|external)\b(\([^)]*\))?/g;

function parseSource(path: string): ParsedSource {
  const code = readFileSync(path, "utf8");
  const parsable = path.startsWith("assembly/") ? code.replace(ASSEMBLYSCRIPT_DECORATOR, (match) => " ".repeat(match.length)) : code;
  const result = parseSync(path, parsable, { lang: "ts", sourceType: "module" });
  if (result.errors.length > 0) throw new Error(`${path}: ${result.errors[0]!.message}`);
  return { path, code, program: result.program as unknown as AstNode };
}

const parsedSources: ParsedSource[] = sources("src").map(parseSource);
/** Every TypeScript file that may touch the wire's bytes: the library, its WebAssembly core, the bench and the web app. */
const LAYOUT_SCANNED_DIRS = ["src", "assembly", "bench", "web/src"];
const parsedEverywhere: ParsedSource[] = [
  ...parsedSources,
  ...LAYOUT_SCANNED_DIRS.slice(1).flatMap((dir) => sources(dir).map(parseSource)),
];

/** Calls `visit` on every node under `node`, with the name the nearest declaration gives it. */
function walk(node: unknown, visit: (node: AstNode, name: string) => void, name = ""): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit, name);
    return;
  }
  if (node === null || typeof node !== "object" || typeof (node as AstNode).type !== "string") return;
  const ast = node as AstNode;
  const key = ast["key"] ?? ast["id"];
  const own =
    key !== null && typeof key === "object" && typeof (key as AstNode)["name"] === "string" ? ((key as AstNode)["name"] as string) : name;
  visit(ast, own);
  for (const [field, child] of Object.entries(ast)) {
    if (field !== "type" && field !== "start" && field !== "end") walk(child, visit, own);
  }
}

function lineAt(code: string, offset: number): number {
  let line = 1;
  for (let at = code.indexOf("\n"); at !== -1 && at < offset; at = code.indexOf("\n", at + 1)) line++;
  return line;
}

/**
 * The relative modules a file imports statically: `import`, `import type` and `export … from`.
 * Type-only imports count (the rule is about structure: depend downward); `import()` does not,
 * since it is how a portable module loads a runtime-specific one on demand.
 */
function staticImports(source: ParsedSource): string[] {
  const targets: string[] = [];
  for (const statement of source.program["body"] as AstNode[]) {
    const from = statement["source"] as AstNode | null | undefined;
    const specifier = from?.["value"];
    if (typeof specifier === "string" && specifier.startsWith(".")) targets.push(join(dirname(source.path), specifier));
  }
  return targets;
}

test("no import cycle between files of src/", () => {
  const graph = new Map(parsedSources.map((source) => [source.path, staticImports(source)]));
  // Tarjan's strongly connected components: a component of two or more files is a cycle, and so
  // is a file that imports itself.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (path: string): void => {
    index.set(path, counter);
    low.set(path, counter++);
    stack.push(path);
    onStack.add(path);
    for (const target of graph.get(path) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        connect(target);
        low.set(path, Math.min(low.get(path)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(path, Math.min(low.get(path)!, index.get(target)!));
      }
    }
    if (low.get(path) !== index.get(path)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== path);
    if (component.length > 1 || (graph.get(path) ?? []).includes(path)) cycles.push(component.sort());
  };
  for (const path of graph.keys()) if (!index.has(path)) connect(path);
  expect(cycles).toEqual([]);
  expect(graph.size).toBeGreaterThan(50);
});

/**
 * A function's length is the lines its body spans, from the line of its opening brace to the line
 * of its closing brace, both counted: functions, methods, getters, constructors and arrow
 * functions with a block body. A nested function counts toward its parent too.
 */
const MAX_FUNCTION_LINES = 120;

test(`no function in src/ is longer than ${MAX_FUNCTION_LINES} lines`, () => {
  const tooLong: string[] = [];
  let functions = 0;
  for (const source of parsedSources) {
    walk(source.program, (node, name) => {
      if (node.type !== "FunctionDeclaration" && node.type !== "FunctionExpression" && node.type !== "ArrowFunctionExpression") return;
      const body = node["body"] as AstNode | null;
      if (body === null || body.type !== "BlockStatement") return;
      functions++;
      const first = lineAt(source.code, body.start);
      const lines = lineAt(source.code, body.end) - first + 1;
      if (lines > MAX_FUNCTION_LINES) tooLong.push(`${source.path}:${first} ${name || "(anonymous)"}: ${lines} lines`);
    });
  }
  expect(tooLong).toEqual([]);
  expect(functions).toBeGreaterThan(500);
});

/** Where byte layouts live: the wire primitives and the message declarations. */
const LAYOUT_HOMES = [/^src\/wire\//, /^src\/messages\//];
/** Byte arrays that hold frames: indexing one with a literal 4 or 5 reads the type or the schema. */
const FRAME_ARRAY_NAMES = /frame|pending|header|chunk|bytes|buffer/i;
/** Layout facts named once in src/wire/constants.ts: redefining or using them elsewhere is parsing by hand. */
const LAYOUT_CONSTANTS = new Set(["HEADER_BYTES", "HANDSHAKE_BYTES", "WORD_BYTES"]);
const HEADER_OFFSETS = new Set(["HEADER_SIZE_OFFSET", "HEADER_TYPE_OFFSET", "HEADER_SCHEMA_OFFSET", "HEADER_RESERVED_OFFSET"]);

const nameOf = (node: AstNode | null | undefined): string =>
  node?.type === "Identifier"
    ? (node["name"] as string)
    : node?.type === "MemberExpression" && !node["computed"]
      ? nameOf(node["property"] as AstNode)
      : "";
const literal = (node: AstNode | null | undefined): unknown => (node?.type === "Literal" ? node["value"] : undefined);

/**
 * What reads or writes a dqlite frame header by hand, with no false positive on today's code
 * (the size word turned into bytes is sizeWordRead's, below):
 * - the type, schema or reserved bytes at their offsets: `getUint8(4)`, `getUint8(5)`,
 *   `getUint16(6, …)` (and the set… forms), or a literal `[4]`/`[5]` on a byte array named like
 *   a frame (`pending[4]`, `this.header[4]`);
 * - the header offsets by name (HEADER_TYPE_OFFSET…), or a layout size redefined
 *   (`const HEADER_BYTES = 8`).
 * Other formats' headers (pcap records read by src/capture/) use getUint32(0) without the
 * word multiplier and are not dqlite frames.
 */
function bareHeaderAccess(node: AstNode): string | undefined {
  if (node.type === "CallExpression") {
    const method = nameOf(node["callee"] as AstNode);
    const offset = literal((node["arguments"] as AstNode[])[0]);
    if ((method === "getUint8" || method === "setUint8") && (offset === 4 || offset === 5)) return `${method}(${String(offset)})`;
    if ((method === "getUint16" || method === "setUint16") && offset === 6) return `${method}(6)`;
  }
  if (node.type === "MemberExpression" && node["computed"]) {
    const index = literal(node["property"] as AstNode);
    const name = nameOf(node["object"] as AstNode);
    if ((index === 4 || index === 5) && FRAME_ARRAY_NAMES.test(name)) return `${name}[${String(index)}]`;
  }
  if (node.type === "Identifier" && HEADER_OFFSETS.has(node["name"] as string)) return `${node["name"] as string}`;
  if (
    node.type === "VariableDeclarator" &&
    LAYOUT_CONSTANTS.has(nameOf(node["id"] as AstNode)) &&
    literal(node["init"] as AstNode) !== undefined
  ) {
    return `${nameOf(node["id"] as AstNode)} redefined`;
  }
  return undefined;
}

test("frame headers are read and written only in src/wire/ and src/messages/", () => {
  const bare = new Set<string>();
  for (const source of parsedEverywhere) {
    if (LAYOUT_HOMES.some((home) => home.test(source.path))) continue;
    walk(source.program, (node) => {
      const what = bareHeaderAccess(node);
      if (what !== undefined) bare.add(`${source.path}:${lineAt(source.code, node.start)} ${what}`);
    });
  }
  expect([...bare]).toEqual([]);
});

// ---- The frame size and the numbers of the format, over src/, assembly/, bench/ and web/src/.

/** Where a size word becomes a frame size: the header reader and the frame scanner. */
const SIZE_WORD_HOME = /^src\/wire\//;
/** Where the ROWS markers and the value-type and message codes are numbers: layout.ts alone. */
const NUMBERS_HOME = /^src\/wire\/layout\.ts$/;
/** The value-type codes (1–5, 9–11): a switch with two of them as literal cases decodes cells by hand. */
const VALUE_CODES = new Set([1, 2, 3, 4, 5, 9, 10, 11]);
/** The largest request or response code: a type named like one, compared with a number up to it, is a code by hand. */
const MAX_MESSAGE_CODE = 19;
/** What a value-type, message-type or nibble is called where it is switched on or compared. */
const CODE_NAMES = /type|code|nibble|kind/i;
const EQUALITY = new Set(["===", "!==", "==", "!="]);

/** Looks through parentheses, casts (`as`, AssemblyScript's `<u64>x`) and `!`. */
function unwrap(node: AstNode | null | undefined): AstNode | undefined {
  let at = node ?? undefined;
  while (at !== undefined && ["ParenthesizedExpression", "TSAsExpression", "TSTypeAssertion", "TSNonNullExpression"].includes(at.type))
    at = at["expression"] as AstNode;
  return at;
}

/** The source text of a numeric literal (`0xee`, `8`, `0xffn`), undefined for anything else. */
const rawNumber = (node: AstNode | null | undefined): string | undefined => {
  const at = unwrap(node);
  return at?.type === "Literal" && typeof at["raw"] === "string" && /^[0-9]/.test(at["raw"])
    ? (at["raw"] as string).toLowerCase()
    : undefined;
};

/**
 * A 32-bit read turned into a frame size in one expression: `getUint32(at, true) * 8`,
 * `8 * view.getUint32(p, true)`, `getUint32(pos, true) << 3`, AssemblyScript's
 * `<u64>load<u32>(p) << 3`, or the same with WORD_BYTES, FrameLayout.WordBytes or WordShift.
 */
function sizeWordRead(node: AstNode): string | undefined {
  if (node.type !== "BinaryExpression") return undefined;
  const operator = node["operator"];
  const left = unwrap(node["left"] as AstNode);
  const right = unwrap(node["right"] as AstNode);
  const isRead = (side: AstNode | undefined) =>
    side?.type === "CallExpression" && ["getUint32", "load"].includes(nameOf(side["callee"] as AstNode));
  const isWordBytes = (side: AstNode | undefined) => rawNumber(side) === "8" || ["WORD_BYTES", "WordBytes"].includes(nameOf(side));
  const isWordShift = (side: AstNode | undefined) => rawNumber(side) === "3" || nameOf(side) === "WordShift";
  if (operator === "*" && ((isRead(left) && isWordBytes(right)) || (isRead(right) && isWordBytes(left))))
    return "size word read by hand: a 32-bit read times 8";
  if (operator === "<<" && isRead(left) && isWordShift(right)) return "size word read by hand: a 32-bit read shifted by 3";
  return undefined;
}

/**
 * A number of layout.ts written as a literal:
 * - the PART marker in any width (`0xee`, `0xeeeeeeee`);
 * - the DONE marker (`0xff`, `0xffffffff`, `0xffffffffffffffffn`) compared with `===`/`!==` or
 *   filled with `.fill(0xff…)` (as a mask, `& 0xff`, it is any byte);
 * - a switch on something named like a type or code with two value codes as literal cases
 *   (`switch (type) { case 1: … case 3: … }`);
 * - something named like a type or code compared with a literal code (`header.type === 7`).
 */
function literalLayoutNumber(node: AstNode, code: string): string | undefined {
  const raw = rawNumber(node);
  if (node.type === "Literal" && raw !== undefined && /^0x(ee)+n?$/.test(raw)) return `ROWS PART marker ${raw}`;
  if (node.type === "CallExpression" && nameOf(node["callee"] as AstNode) === "fill") {
    const filled = rawNumber((node["arguments"] as AstNode[])[0]);
    if (filled !== undefined && /^0x(ff)+n?$/.test(filled)) return `ROWS DONE marker filled as ${filled}`;
  }
  if (node.type === "BinaryExpression" && EQUALITY.has(node["operator"] as string)) {
    for (const [named, other] of [
      [node["left"], node["right"]],
      [node["right"], node["left"]],
    ] as [AstNode, AstNode][]) {
      const number = rawNumber(other);
      if (number === undefined) continue;
      if (/^0x(ff)+n?$/.test(number)) return `ROWS DONE marker compared as ${number}`;
      const value = Number(number.replace(/n$/, ""));
      if (value <= MAX_MESSAGE_CODE && CODE_NAMES.test(nameOf(unwrap(named))))
        return `type code compared as ${number}: ${code.slice(node.start, node.end)}`;
    }
  }
  if (node.type === "SwitchStatement") {
    const discriminant = node["discriminant"] as AstNode;
    const cases = (node["cases"] as AstNode[])
      .map((branch) => rawNumber(branch["test"] as AstNode))
      .filter((raw) => raw !== undefined && VALUE_CODES.has(Number(raw)));
    if (cases.length >= 2 && CODE_NAMES.test(code.slice(discriminant.start, discriminant.end)))
      return `value codes as literal cases: case ${cases.join(":, case ")}:`;
  }
  return undefined;
}

test("frame sizes are computed from the size word only in src/wire/ (everything else walks frames with the frame scanner)", () => {
  const found: string[] = [];
  for (const source of parsedEverywhere) {
    if (SIZE_WORD_HOME.test(source.path)) continue;
    walk(source.program, (node) => {
      const what = sizeWordRead(node);
      if (what !== undefined) found.push(`${source.path}:${lineAt(source.code, node.start)} ${what}`);
    });
  }
  expect(found).toEqual([]);
});

test("ROWS markers, value codes and message codes are numbers in src/wire/layout.ts only", () => {
  const found: string[] = [];
  for (const source of parsedEverywhere) {
    if (NUMBERS_HOME.test(source.path)) continue;
    walk(source.program, (node) => {
      const what = literalLayoutNumber(node, source.code);
      if (what !== undefined) found.push(`${source.path}:${lineAt(source.code, node.start)} ${what}`);
    });
  }
  expect(found).toEqual([]);
});

test("the layout rules read every folder they claim to, and see layout.ts's numbers where they are", () => {
  for (const dir of LAYOUT_SCANNED_DIRS) expect(parsedEverywhere.some((source) => source.path.startsWith(`${dir}/`))).toBe(true);
  // A rule that finds nothing anywhere proves nothing: in their home, both find what they look for.
  const home = (path: string) => parsedEverywhere.find((source) => source.path === path)!;
  const inHome = (source: ParsedSource, rule: (node: AstNode, code: string) => string | undefined): number => {
    let count = 0;
    walk(source.program, (node) => {
      if (rule(node, source.code) !== undefined) count++;
    });
    return count;
  };
  expect(inHome(home("src/wire/frame-scanner.ts"), sizeWordRead)).toBeGreaterThan(0);
  expect(inHome(home("src/wire/layout.ts"), literalLayoutNumber)).toBeGreaterThan(0);
});

// ---- The capture decoder's layers: src/capture/files/ (pcap and pcapng files to packets),
// network/ (link layer, IP and TCP to ordered streams), dqlite/ (streams to frames and
// conversations). Each imports only the layers below it and the shared leaves at the top of
// src/capture/; the modules that tie the layers together (the decoder, the connection table)
// sit at the top and are imported by none of them.

const CAPTURE_LAYERS = ["files", "network", "dqlite"];
const CAPTURE_SHARED_LEAVES = new Set(["buffer-budget.ts", "capture-limits.ts", "capture-records.ts", "connection-kind.ts"]);

test("the capture layers import only downward: files ← network ← dqlite, and the shared leaves", () => {
  const wrong: string[] = [];
  let layered = 0;
  for (const source of parsedSources) {
    const layer = /^src\/capture\/([a-z]+)\//.exec(source.path)?.[1];
    if (layer === undefined) continue;
    layered++;
    for (const target of staticImports(source)) {
      if (!target.startsWith("src/capture/")) continue;
      const rest = target.slice("src/capture/".length);
      const targetLayer = rest.includes("/") ? rest.slice(0, rest.indexOf("/")) : undefined;
      const allowed =
        targetLayer === undefined ? CAPTURE_SHARED_LEAVES.has(rest) : CAPTURE_LAYERS.indexOf(targetLayer) <= CAPTURE_LAYERS.indexOf(layer);
      if (!allowed) wrong.push(`${source.path} imports ${target}`);
    }
  }
  expect(wrong).toEqual([]);
  expect(layered).toBeGreaterThan(15);
});
