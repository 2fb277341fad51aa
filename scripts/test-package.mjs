#!/usr/bin/env node
// The package as its users meet it: `npm pack`, the tarball installed into an empty project
// outside the repository (its dependencies from the registry, as a user gets them; the npm
// cache makes this quick), and then, in that project:
// - what the tarball holds (LICENSE, no source maps, nothing only the repository needs);
// - README's command-line examples (`cmd  # → output`), --help on every command, --lines with
//   bad lines among good ones, encode taking decode's options, through the installed bin;
// - every entry point imported by Node (ESM and require()), Deno and Bun, each exporting exactly
//   the names test/package/entry-exports.json pins (the sources are held to the same list by
//   test/entry-points.test.ts);
// - tsc (strict, no skipLibCheck; bundler and nodenext; with and without the DOM lib) on a file
//   that uses every entry point;
// - Vite builds of a codec page and a codec + rows page, their gzip size held to a budget, run in
//   Debian's Chromium without console errors, also under a strict CSP.
// Each check is one test; the last line is "N passed, N failed".
//
//   node scripts/test-package.mjs        (after `npm run build`; scripts/test.sh runs it)

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../test/support/chromium.mjs";
import { assert, assertEqual, createStepRunner } from "../test/support/step-runner.mjs";
import { readmeExamples } from "../test/package/readme-examples.mjs";
import { buildPage, servePage } from "../test/package/web-pages.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const FIXTURES = join(root, "test/package/fixtures");
/** What each entry point exports at run time: one list for the sources and the installed package. */
const ENTRY_EXPORTS = JSON.parse(readFileSync(join(root, "test/package/entry-exports.json"), "utf8"));
const BIN = (name) => join(root, "node_modules/.bin", name);
/**
 * gzip bytes a page may load up front. The codec page carries the codec and the frame scanner
 * (~12.8 KiB: the one scanner every frame reader shares, its borrow mode, skipping and passing included).
 * The rows page carries the codec and the row engine's JavaScript: the TS core (~3 KiB, the
 * fallback where WebAssembly cannot compile), the WebAssembly engine's loader and call records,
 * the reader, batches and value paths; the WebAssembly bytes themselves (2.8 KiB) and the SIMD
 * build are chunks fetched on demand.
 */
const BUDGET = { codec: 13 * 1024, rows: 22 * 1024 };
const STRICT_CSP = "script-src 'self'";
const OVERALL_TIMEOUT_MS = 180_000;
const STEP_TIMEOUT_MS = 60_000;

const steps = createStepRunner({ name: "run", overallTimeoutMs: OVERALL_TIMEOUT_MS, errorLines: 12, stack: false });
const { test, cleanup, finish, cleanups, figures } = steps;

// Child processes get no npm_* variables: under `npm test` they name this repository as the
// project (npm_config_local_prefix), and npm would install into it instead of the consumer.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_|^INIT_CWD$/i.test(key)));

function run(command, args, { cwd, input = "", env = {}, timeout = STEP_TIMEOUT_MS } = {}) {
  const r = spawnSync(command, args, {
    cwd,
    input,
    env: { ...cleanEnv, FORCE_COLOR: "0", NO_COLOR: "1", ...env },
    encoding: "utf8",
    timeout,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? String(r.error ?? "") };
}

function mustRun(command, args, options) {
  const r = run(command, args, options);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${r.status}\n${r.stderr.slice(-2000)}${r.stdout.slice(-1000)}`);
  return r;
}

// ---- Setup: the tarball and a consumer project that installs it.

function packAndInstall(work) {
  const packed = JSON.parse(mustRun("npm", ["pack", "--json", "--pack-destination", work], { cwd: root }).stdout)[0];
  const tarball = join(work, packed.filename);
  const project = join(work, "consumer");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2));
  // The consumer is a Node project: it has Node's types, and the optional peers of the entry
  // points it uses (kysely for dqlite-wire/kysely), at the versions this repository uses.
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const versionOf = (name) => manifest.devDependencies?.[name] ?? manifest.dependencies?.[name];
  const peers = Object.keys(manifest.peerDependencies ?? {}).map((name) => `${name}@${versionOf(name)}`);
  const install = [
    "install",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    "--loglevel=error",
    tarball,
    `@types/node@${versionOf("@types/node")}`,
    // README's Arrow example reads the stream back with apache-arrow.
    `apache-arrow@${versionOf("apache-arrow")}`,
    ...peers,
  ];
  mustRun("npm", install, { cwd: project, timeout: 120_000 });
  cpSync(FIXTURES, project, { recursive: true });
  // Every module entry point of the exports map, for tsc: one added later is compiled too.
  const entries = Object.keys(manifest.exports).filter((key) => key !== "./package.json" && !key.endsWith(".wasm"));
  const reexports = entries.map((key, i) => `export * as entry${i} from "${key === "." ? "dqlite-wire" : `dqlite-wire/${key.slice(2)}`}";`);
  writeFileSync(
    join(project, "all-entries.mts"),
    `// Written by scripts/test-package.mjs: every entry point of the package.\n${reexports.join("\n")}\n`,
  );
  figures.push(
    `tarball ${packed.filename}: ${(packed.size / 1024).toFixed(1)} KiB packed, ${(packed.unpackedSize / 1024).toFixed(1)} KiB unpacked, ${packed.entryCount} files`,
  );
  return { packed, project, installed: join(project, "node_modules/dqlite-wire") };
}

function filesUnder(dir) {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath ?? entry.path, entry.name)));
}

// ---- The checks.

async function tarballChecks({ packed, installed }) {
  const paths = packed.files.map((f) => f.path);

  await test("the tarball holds LICENSE with the Apache-2.0 text, as package.json's license says", () => {
    assert(paths.includes("LICENSE"), `no LICENSE among ${paths.length} files`);
    const text = readFileSync(join(installed, "LICENSE"), "utf8");
    assert(
      /Apache License\s+Version 2\.0, January 2004/.test(text) && text.includes("END OF TERMS AND CONDITIONS"),
      "LICENSE is not the Apache-2.0 text",
    );
    assertEqual(JSON.parse(readFileSync(join(installed, "package.json"), "utf8")).license, "Apache-2.0", "package.json license");
  });

  await test("the tarball holds only what users need (dist/src, dist/bundle, dist/wasm, bin, docs/*.md, README, CHANGELOG, LICENSE)", () => {
    const allowed = [
      /^package\.json$/,
      /^README\.md$/,
      /^CHANGELOG\.md$/,
      /^LICENSE$/,
      /^bin\/[\w-]+\.mjs$/,
      /^dist\/src\/.+\.(js|d\.ts)$/,
      /^dist\/bundle\/(chunks\/)?[\w-]+\.js$/,
      /^dist\/wasm\/[\w-]+\.wasm$/,
      /^docs\/[\w-]+\.md$/,
    ];
    const extra = paths.filter((path) => !allowed.some((pattern) => pattern.test(path)));
    assertEqual(extra, [], "files outside the allow-list");
  });

  await test("no source maps, and no sourceMappingURL comment pointing at a file that is not shipped", () => {
    assertEqual(
      paths.filter((path) => path.endsWith(".map")),
      [],
      "source maps in the tarball",
    );
    const dangling = paths
      .filter((path) => path.endsWith(".js") || path.endsWith(".mjs"))
      .filter((path) => {
        const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(installed, path), "utf8"))?.[1];
        return url !== undefined && !url.startsWith("data:") && !existsSync(join(installed, dirname(path), url));
      });
    assertEqual(dangling, [], "JS files whose source map is missing");
  });

  await test("every shipped module comes from a current source file, and every source file ships", () => {
    const shipped = new Set(
      paths.filter((p) => p.startsWith("dist/src/") && p.endsWith(".js")).map((p) => p.slice("dist/".length, -".js".length)),
    );
    const sources = new Set(
      filesUnder(join(root, "src"))
        .filter((p) => p.endsWith(".ts") && !p.endsWith(".d.ts"))
        .map((p) => `src/${p.slice(0, -".ts".length)}`),
    );
    assertEqual(
      [...shipped].filter((p) => !sources.has(p)),
      [],
      "shipped modules with no source (stale build output: rebuild dist from a clean dist/src)",
    );
    assertEqual(
      [...sources].filter((p) => !shipped.has(p)),
      [],
      "source files that do not ship (run `npm run build`)",
    );
  });

  await test("every exports target and the bin exist in the installed package", () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === "string" ? [target] : Object.values(target)));
    targets.push(...Object.values(manifest.bin));
    assertEqual(
      targets.filter((target) => !existsSync(join(installed, target))),
      [],
      "missing targets",
    );
  });

  // Links into the source tree, and the screenshot, are for readers of the repository (the
  // package ships neither); every other link, to a doc above all, must resolve in the package.
  const repositoryOnly = /^(src|test|scripts|bench|fuzz|assembly|web)\/|^docs\/screenshot\.png$/;
  await test("README's and the docs' links resolve inside the package (links into the repository's sources and the screenshot aside)", () => {
    const broken = [];
    for (const doc of paths.filter((p) => p.endsWith(".md"))) {
      for (const [, target] of readFileSync(join(installed, doc), "utf8").matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        const path = join(dirname(doc), target);
        if (/^[a-z]+:/.test(target) || repositoryOnly.test(path)) continue;
        if (!existsSync(join(installed, path))) broken.push(`${doc} → ${target}`);
      }
    }
    assertEqual(broken, [], "links to files that are not in the package");
  });
}

async function readmeExampleChecks({ project, installed }) {
  const examples = readmeExamples(readFileSync(join(installed, "README.md"), "utf8"));
  await test("README shows command-line examples with their output (`# →`)", () => {
    assert(examples.length >= 4, `only ${examples.length} examples with output found in README's sh blocks`);
  });
  const env = { PATH: `${join(project, "node_modules/.bin")}:${process.env.PATH}` };
  let node;
  for (const example of examples) {
    await test(`README line ${example.line}: ${example.command.slice(0, 90)}`, async () => {
      let command = example.command;
      if (command.includes("127.0.0.1:9001")) {
        node ??= await startSeededNode(project);
        command = command.replaceAll("127.0.0.1:9001", node.address);
      }
      const r = run("bash", ["-c", command], { cwd: project, env });
      assertEqual(r.stdout.replace(/\n$/, "").split("\n"), example.expected, `output (stderr: ${r.stderr.slice(0, 300)})`);
    });
  }
}

/** A real node from the installed package's test rig, holding what README's Usage example writes. */
async function startSeededNode(project) {
  const resolve = createRequire(join(project, "package.json")).resolve;
  const { startNode } = await import(pathToFileURL(resolve("dqlite-wire/testing")).href);
  const { connect } = await import(pathToFileURL(resolve("dqlite-wire/client")).href);
  const node = await startNode();
  cleanups.push(() => node.stop());
  const client = await connect({ addresses: node.address });
  try {
    const db = await client.open("demo");
    await db.exec("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v INTEGER)");
    await db.exec("INSERT OR REPLACE INTO kv VALUES (?, ?)", ["answer", 42]);
  } finally {
    await client.close();
  }
  return node;
}

/** Options of a help text: `--name` and its placeholder, from lines `  [-x, ]--name [VALUE]  text`. */
function helpOptions(text) {
  return [...text.matchAll(/^ {2,}(?:-\w, )?--([a-z][a-z-]*)(?: (\S+))?(?: {2,}|$)/gm)].map((m) => ({ name: m[1], value: m[2] }));
}

async function cliChecks({ project }) {
  const cli = (args, input = "") => run(join(project, "node_modules/.bin/dqlite-wire"), args, { cwd: project, input });

  await test("--help on every command exits 0 and lists the options its synopsis names", () => {
    const top = cli(["--help"]);
    assertEqual(top.status, 0, "dqlite-wire --help exit status");
    const synopses = top.stdout.split("commands:")[1]?.split(/\n\n/)[0] ?? "";
    const commands = [...synopses.matchAll(/^ {2}([a-z]+)\b([\s\S]*?)(?=^ {2}[a-z]|(?![\s\S]))/gm)].map((m) => ({
      name: m[1],
      options: [...m[2].matchAll(/--[a-z-]+/g)].map((o) => o[0]),
    }));
    assert(commands.length >= 5, `the usage lists ${commands.length} commands`);
    const problems = [];
    for (const { name, options } of commands) {
      const r = cli([name, "--help"]);
      if (r.status !== 0) problems.push(`${name} --help: exit ${r.status} ${r.stderr.trim().slice(0, 100)}`);
      else if (!r.stdout.includes(`usage: dqlite-wire ${name}`)) problems.push(`${name} --help: no usage line`);
      const missing = options.filter((option) => !r.stdout.includes(option));
      if (missing.length > 0) problems.push(`${name} --help does not list ${missing.join(", ")}`);
    }
    assertEqual(problems, [], "commands whose --help fails");
  });

  await test("decode --lines: one result per input line, in order, bad and blank lines included; exit 1", () => {
    const db = "0100000004000000 0100000000000000";
    const r = cli(["decode", "--side", "response", "--lines"], [db, "zz", "", "01000000", db].join("\n") + "\n");
    const lines = r.stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    assertEqual(
      lines.map((l) => (l.ok ? l.message.type : `${l.error.name} ${l.error.code}`)),
      ["DB", "InputError NOT_HEX", "DecodeError TRUNCATED", "DecodeError TRUNCATED", "DB"],
      "results",
    );
    assertEqual(r.status, 1, "exit status with failed lines");
    assertEqual(cli(["decode", "--side", "response", "--lines"], `${db}\n${db}\n`).status, 0, "exit status when every line decodes");
  });

  await test("encode --lines: one output per input line, in order, bad JSON and blank lines included; exit 1", () => {
    const r = cli(
      ["encode", "--side", "request", "--lines"],
      ['{"type":"CLIENT","id":42}', "{nope", "", '{"type":"CLIENT","id":1}'].join("\n") + "\n",
    );
    const lines = r.stdout.split("\n").slice(0, -1);
    assertEqual(
      lines.map((l) => (l.startsWith("{") ? JSON.parse(l).error.code : l)),
      ["01000000010000002a00000000000000", "BAD_JSON", "BAD_JSON", "01000000010000000100000000000000"],
      "results",
    );
    assertEqual(r.status, 1, "exit status with failed lines");
  });

  await test("encode takes every option decode takes", () => {
    // decode's first form, frames as hex (its second form, --pcap, reads captures: nothing to encode).
    const decodeOptions = helpOptions(cli(["decode", "--help"]).stdout.split(/\n(?=usage: )/)[0]);
    const encodeHelp = cli(["encode", "--help"]).stdout;
    assert(decodeOptions.length >= 8, `decode --help lists ${decodeOptions.length} options`);
    const client = '{"type":"CLIENT","id":42}';
    const problems = [];
    for (const { name, value } of decodeOptions) {
      if (name === "side" || name === "help") continue;
      if (!encodeHelp.includes(`--${name}`)) problems.push(`encode --help does not list --${name}`);
      const argument = value === undefined ? [] : [value.includes("|") ? value.split("|").at(-1) : "100000"];
      const stdinMode = name === "lines" || name === "stream";
      const r = cli(
        ["encode", "--side", "request", `--${name}`, ...argument, ...(stdinMode ? [] : [client])],
        stdinMode ? `${client}\n` : "",
      );
      if (r.status !== 0 || !r.stdout.includes("01000000010000002a00000000000000"))
        problems.push(`encode --${name} ${argument.join(" ")}: exit ${r.status} ${(r.stderr || r.stdout).trim().slice(0, 120)}`);
    }
    assertEqual(problems, [], "decode options encode does not take");
  });
}

async function runtimeChecks({ project }) {
  const expectAllEntries = (report, what) => {
    const failing = Object.entries(report.entries).filter(([, status]) => status !== "ok");
    assertEqual(failing, [], `${what}: entry points that fail`);
    assertEqual(report.exports, ENTRY_EXPORTS, `${what}: the names each entry point exports (test/package/entry-exports.json)`);
    const unbundled = Object.entries(report.resolved ?? {}).filter(([, file]) => !file.startsWith("dist/bundle/"));
    assertEqual(unbundled, [], `${what}: entry points not resolved to their bundle (the exports map's "node" condition)`);
  };
  const importAll = (command, args, what) => {
    const r = run(command, args, { cwd: project, env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" } });
    assert(r.status === 0, `${what} exited ${r.status}: ${r.stderr.slice(-1500)}`);
    const report = JSON.parse(r.stdout.trim().split("\n").at(-1));
    expectAllEntries(report, what);
    assertEqual(report.roundTrip?.sql, "SELECT ?", `${what}: the codec round trip`);
    assertEqual(report.rows?.objects, [{ k: "answer", v: 42 }], `${what}: rows decoded by the row engine (${report.rows?.engine})`);
  };
  await test("Node (ESM) imports every entry point and uses the codec and the row engine", () =>
    importAll(process.execPath, ["entry-points.mjs"], "node"));
  await test("Node (CommonJS) require()s every entry point (require(esm), Node ≥ 20.19)", () => {
    const r = run(process.execPath, ["entry-points.cjs"], { cwd: project });
    assert(r.status === 0, `node entry-points.cjs exited ${r.status}: ${r.stderr.slice(-1500)}`);
    const report = JSON.parse(r.stdout.trim().split("\n").at(-1));
    expectAllEntries(report, "require()");
    assertEqual(report.roundTrip, "42", "require('dqlite-wire') round trip");
  });
  await test("Deno imports every entry point", () => importAll(BIN("deno"), ["run", "-A", "entry-points.mjs"], "deno"));
  await test("Bun imports every entry point", () => importAll(BIN("bun"), ["entry-points.mjs"], "bun"));
  for (const release of ["22", "24"]) {
    const node = join(root, `test/runtimes/node-versions/node_modules/node-${release}/bin/node`);
    await test(`Node ${release} (ESM) imports every entry point and uses the codec and the row engine`, () =>
      importAll(node, ["entry-points.mjs"], "node"));
  }
}

/**
 * README's sections whose TypeScript examples are whole programs (the browser page's snippets
 * leave the bridge's URL and the bytes to the reader): each compiles against the installed package.
 */
const README_EXAMPLES = [
  "### A service on Bun, Deno or Node",
  "### A bulk job",
  "## Many callers: the pool",
  "## Transactions",
  "## Query builders",
  "## Arrow",
];

/** The ```ts blocks of README's section headed `heading` (up to the next heading of its level or above). */
function readmeBlocks(heading) {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const start = readme.indexOf(`\n${heading}\n`);
  assert(start >= 0, `README has no section "${heading}"`);
  const level = heading.indexOf(" ");
  const next = new RegExp(`\\n#{2,${level}} `, "g");
  next.lastIndex = start + 1;
  const end = next.exec(readme)?.index ?? readme.length;
  return [...readme.slice(start, end).matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
}

async function typeScriptChecks({ project }) {
  const configs = [
    { name: "nodenext, no DOM", module: "nodenext", moduleResolution: "nodenext", lib: ["es2022"], types: ["node"], file: "consumer.mts" },
    {
      name: "nodenext, DOM",
      module: "nodenext",
      moduleResolution: "nodenext",
      lib: ["es2022", "dom"],
      types: ["node"],
      file: "consumer.mts",
    },
    { name: "bundler, no DOM", module: "preserve", moduleResolution: "bundler", lib: ["es2022"], types: ["node"], file: "consumer.mts" },
    {
      name: "bundler, DOM",
      module: "preserve",
      moduleResolution: "bundler",
      lib: ["es2022", "dom"],
      types: ["node"],
      file: "consumer.mts",
    },
    {
      name: "a browser page: bundler, DOM, no Node types, the portable entry points",
      module: "preserve",
      moduleResolution: "bundler",
      lib: ["es2022", "dom"],
      types: [],
      file: "portable.mts",
    },
  ];
  await test("tsc strict, no skipLibCheck (nodenext) compiles README's TypeScript examples as a user writes them", () => {
    const files = README_EXAMPLES.flatMap((title) =>
      readmeBlocks(title).map((code, i) => {
        const file = `readme-${title.replace(/\W+/g, "-").toLowerCase()}-${i}.mts`;
        writeFileSync(join(project, file), `${code}\nexport {};\n`);
        return file;
      }),
    );
    assert(files.length >= README_EXAMPLES.length, `README has ${files.length} TypeScript examples in ${README_EXAMPLES.join(", ")}`);
    const config = join(project, "tsconfig.readme.json");
    const compilerOptions = {
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      target: "es2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      lib: ["es2022"],
      types: ["node"],
    };
    writeFileSync(config, JSON.stringify({ compilerOptions, files }, null, 2));
    const r = run(BIN("tsc"), ["-p", config], { cwd: project });
    assert(r.status === 0, `tsc exited ${r.status}:\n${(r.stdout + r.stderr).trim().split("\n").slice(0, 10).join("\n")}`);
  });

  for (const { name, file, ...options } of configs) {
    await test(`tsc strict, no skipLibCheck (${name}) compiles ${file === "consumer.mts" ? "every entry point and typed object rows" : "the portable entry points"}`, () => {
      const config = join(project, `tsconfig.${file}.${configs.findIndex((c) => c.name === name)}.json`);
      const compilerOptions = { strict: true, skipLibCheck: false, noEmit: true, target: "es2022", ...options };
      writeFileSync(
        config,
        JSON.stringify({ compilerOptions, files: file === "consumer.mts" ? [file, "all-entries.mts"] : [file] }, null, 2),
      );
      const r = run(BIN("tsc"), ["-p", config], { cwd: project });
      assert(r.status === 0, `tsc exited ${r.status}:\n${(r.stdout + r.stderr).trim().split("\n").slice(0, 10).join("\n")}`);
    });
  }
}

async function webChecks({ project, installed }) {
  const pages = {};
  const wasm = (name) => readFileSync(join(installed, "dist/wasm", name));
  // The SIMD build as a bundle would carry it: inlined as base64, or emitted as a file.
  const simdBase64 = wasm("rows-simd.wasm").toString("base64");
  const scalarBase64 = wasm("rows.wasm").toString("base64");
  const carries = (text, base64) => text.includes(base64.slice(64, 192));
  for (const page of ["codec", "rows"]) {
    await test(`Vite builds the ${page === "codec" ? "codec-only" : "codec + rows"} page within ${BUDGET[page] / 1024} KiB gzip loaded up front`, async () => {
      const built = await buildPage(join(project, `web-${page}`), join(project, `dist-${page}`));
      pages[page] = join(project, `dist-${page}`);
      const listing = built.files.map((f) => `${f.name} ${(f.gzip / 1024).toFixed(1)} KiB gzip${f.lazy ? " (lazy)" : ""}`).join(", ");
      figures.push(
        `vite page "${page}": ${(built.initialBytes / 1024).toFixed(1)} KiB gzip up front (budget ${BUDGET[page] / 1024} KiB); ${listing}`,
      );
      const problems = [];
      if (built.initialBytes > BUDGET[page])
        problems.push(`${built.initialBytes} gzip bytes up front, over the budget of ${BUDGET[page]}: ${listing}`);
      if (page === "codec" && (carries(built.allText, scalarBase64) || carries(built.allText, simdBase64)))
        problems.push("the codec-only page carries a WebAssembly module");
      if (page === "rows" && !carries(built.allText, scalarBase64) && !built.files.some((f) => f.name.endsWith(".wasm")))
        problems.push("the rows page carries no WebAssembly module");
      if (page === "rows" && carries(built.initialText, simdBase64))
        problems.push("the rows page loads the SIMD module up front, though nothing asked for it");
      // dqlite-wire/arrow is an entry point of its own: a page that does not import it carries none of it.
      if (built.allText.includes("Arrow output reads the columnar batches"))
        problems.push("the page carries the Arrow writer, though it never imports dqlite-wire/arrow");
      assertEqual(problems, [], "the build");
    });
  }
  if (!existsSync(CHROMIUM_PATH)) {
    await test("Chromium is installed for the page checks", () =>
      assert(false, `${CHROMIUM_PATH} is missing: apt-get install -y chromium (scripts/setup.sh does)`));
    return;
  }
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  cleanups.push(() => browser.close());
  const expected = {
    codec: (result) => {
      assertEqual(result.client, "01000000010000002a00000000000000", "CLIENT frame");
      assertEqual(
        result.messages,
        [
          { type: "DB", id: 1 },
          { type: "FAILURE", message: "not leader" },
        ],
        "messages decoded from the byte stream",
      );
      assertEqual(result.single, { type: "DB", id: 1 }, "a frame decoded alone");
    },
    rows: (result, csp) => {
      assertEqual(
        result.rows,
        [
          { k: "answer", v: 42, blob: [0xca, 0xfe] },
          { k: "pi", v: 3.5, blob: null },
        ],
        "rows decoded",
      );
      if (csp)
        assert(
          result.engine === "js" || /^\w+Error [A-Z_]+$/.test(result.engine),
          `under CSP initRowEngine() should give the TS engine or a typed error, gave ${result.engine}`,
        );
      else assert(result.engine.startsWith("wasm"), `initRowEngine() gave ${result.engine} without a CSP`);
    },
  };
  for (const csp of [undefined, STRICT_CSP]) {
    for (const page of ["codec", "rows"]) {
      await test(`the ${page} page runs in Chromium ${csp ? `under CSP "${csp}"` : "(no CSP)"} without console errors`, async () => {
        assert(pages[page], "the page was not built");
        const server = await servePage(pages[page], csp);
        const tab = await browser.newPage();
        try {
          const errors = [];
          tab.on("console", (message) => message.type() === "error" && errors.push(`console: ${message.text()}`));
          tab.on("pageerror", (error) => errors.push(`page: ${error.message}`));
          await tab.goto(server.url);
          await tab.waitForSelector("body[data-done]", { state: "attached", timeout: 20_000 }).catch(() => {});
          const result = JSON.parse((await tab.evaluate(() => document.body.dataset.result)) ?? "null");
          assertEqual(errors, [], "console errors");
          assert(result !== null, "the page did not finish");
          expected[page](result, csp);
          if (page === "rows") figures.push(`rows page ${csp ? "under CSP" : "without CSP"}: engine ${result.engine}`);
        } finally {
          await tab.close();
          await server.close();
        }
      });
    }
  }
}

async function main() {
  if (!existsSync(join(root, "dist/src/index.js"))) throw new Error("dist/ is missing: run `npm run build` (scripts/test.sh does)");
  // Outside the repository, so that nothing resolves from the repository's node_modules.
  const work = mkdtempSync(join(tmpdir(), "dqlite-wire-package-"));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  console.log(`package: packing and installing into ${work}…`);
  const setup = packAndInstall(work);
  await tarballChecks(setup);
  await readmeExampleChecks(setup);
  await cliChecks(setup);
  await runtimeChecks(setup);
  await typeScriptChecks(setup);
  await webChecks(setup);
}

try {
  await main();
} catch (error) {
  steps.fail("setup");
  console.log(`  ✗ setup: ${error?.stack ?? error}`);
}
await cleanup();
finish();
