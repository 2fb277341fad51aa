// The structure rules of src/:
// - portability: one source runs in Node, Deno, Bun and browsers, so only the modules that must
//   talk to Node (its TCP transport, the bridge, the test rig, the CLI) import node:*;
// - depend downward: no import cycle between files;
// - small functions: none longer than 120 lines;
// - a layout has one home: frame headers are read and written in src/wire/ and src/messages/
//   only (the edges go through readHeader, readHandshake and the fixed-field readers).

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseSync } from "vite";
import { expect, test } from "vitest";

const NODE_ONLY = [/^src\/cli\//, /^src\/testing\//, /^src\/transport\/node-tcp\.ts$/, /^src\/bridge\//, /^src\/proxy\//];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
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
      const code = readFileSync(path, "utf8").replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
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

const parsedSources: ParsedSource[] = sources("src").map((path) => {
  const code = readFileSync(path, "utf8");
  const result = parseSync(path, code, { lang: "ts", sourceType: "module" });
  if (result.errors.length > 0) throw new Error(`${path}: ${result.errors[0]!.message}`);
  return { path, code, program: result.program as unknown as AstNode };
});

/** Calls `visit` on every node under `node`, with the name the nearest declaration gives it. */
function walk(node: unknown, visit: (node: AstNode, name: string) => void, name = ""): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit, name);
    return;
  }
  if (node === null || typeof node !== "object" || typeof (node as AstNode).type !== "string") return;
  const ast = node as AstNode;
  const key = ast["key"] ?? ast["id"];
  const own = key !== null && typeof key === "object" && typeof (key as AstNode)["name"] === "string" ? ((key as AstNode)["name"] as string) : name;
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
  node?.type === "Identifier" ? (node["name"] as string) : node?.type === "MemberExpression" && !node["computed"] ? nameOf(node["property"] as AstNode) : "";
const literal = (node: AstNode | null | undefined): unknown => (node?.type === "Literal" ? node["value"] : undefined);

/**
 * What reads or writes a dqlite frame header by hand, with no false positive on today's code:
 * - the size word read and turned into bytes: `….getUint32(0, …) * 8` (or `* WORD_BYTES`);
 * - the type, schema or reserved bytes at their offsets: `getUint8(4)`, `getUint8(5)`,
 *   `getUint16(6, …)` (and the set… forms), or a literal `[4]`/`[5]` on a byte array named like
 *   a frame (`pending[4]`, `this.header[4]`);
 * - the header offsets by name (HEADER_TYPE_OFFSET…), or a layout size redefined
 *   (`const HEADER_BYTES = 8`).
 * Other formats' headers (pcap records read by src/capture/) use getUint32(0) without the
 * word multiplier and are not dqlite frames.
 */
function bareHeaderAccess(node: AstNode): string | undefined {
  if (node.type === "BinaryExpression" && node["operator"] === "*") {
    const left = node["left"] as AstNode;
    const right = node["right"] as AstNode;
    const sizeWord = left.type === "CallExpression" && nameOf(left["callee"] as AstNode) === "getUint32" && literal((left["arguments"] as AstNode[])[0]) === 0;
    if (sizeWord && (literal(right) === 8 || nameOf(right) === "WORD_BYTES")) return "size word read by hand: getUint32(0) * 8";
  }
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
  if (node.type === "VariableDeclarator" && LAYOUT_CONSTANTS.has(nameOf(node["id"] as AstNode)) && literal(node["init"] as AstNode) !== undefined) {
    return `${nameOf(node["id"] as AstNode)} redefined`;
  }
  return undefined;
}

test("frame headers are read and written only in src/wire/ and src/messages/", () => {
  const bare = new Set<string>();
  for (const source of parsedSources) {
    if (LAYOUT_HOMES.some((home) => home.test(source.path))) continue;
    walk(source.program, (node) => {
      const what = bareHeaderAccess(node);
      if (what !== undefined) bare.add(`${source.path}:${lineAt(source.code, node.start)} ${what}`);
    });
  }
  expect([...bare]).toEqual([]);
});
