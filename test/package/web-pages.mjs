// The package test's web pages: a Vite production build of a page of the consumer project, what
// a visitor downloads for it (gzip), and a loopback static server with an optional CSP.

import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { gzipSync } from "node:zlib";

/**
 * Builds `root` (index.html + its modules) with the repository's Vite, as a user's project
 * would, into `outDir`. Returns the emitted files with their gzip sizes, and `initialBytes`: the
 * gzip bytes a visitor loads up front (the entry chunk and its static imports, recursively; lazy
 * chunks and assets fetched on demand are not counted).
 */
export async function buildPage(root, outDir) {
  const { build } = await import("vite");
  const result = await build({
    root,
    configFile: false,
    logLevel: "silent",
    build: { outDir, emptyOutDir: true, target: "es2022" },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output);
  const byName = new Map(outputs.map((item) => [item.fileName, item]));
  const bytesOf = (item) => (item.type === "chunk" ? Buffer.from(item.code) : Buffer.from(item.source));
  const files = outputs
    .filter((item) => item.fileName !== "index.html")
    .map((item) => ({ name: item.fileName, bytes: bytesOf(item).length, gzip: gzipSync(bytesOf(item), { level: 9 }).length, lazy: true }));
  const initial = new Set();
  const visit = (name) => {
    if (initial.has(name)) return;
    initial.add(name);
    const item = byName.get(name);
    for (const imported of item?.type === "chunk" ? [...item.imports, ...(item.viteMetadata?.importedCss ?? [])] : []) visit(imported);
  };
  for (const item of outputs) if (item.type === "chunk" && item.isEntry) visit(item.fileName);
  for (const file of files) file.lazy = !initial.has(file.name);
  const initialBytes = files.filter((f) => !f.lazy).reduce((sum, f) => sum + f.gzip, 0);
  const text = (name) => bytesOf(byName.get(name)).toString("latin1");
  return {
    files,
    initialBytes,
    initialText: [...initial]
      .filter((n) => byName.has(n))
      .map(text)
      .join("\n"),
    allText: files.map((f) => text(f.name)).join("\n"),
  };
}

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm" };

/** Serves `dir` on 127.0.0.1 (a free port), with `Content-Security-Policy: csp` when given. */
export function servePage(dir, csp) {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(dir, path === "/" ? "index.html" : path);
    const headers = csp ? { "Content-Security-Policy": csp } : {};
    try {
      const body = readFileSync(file);
      response.writeHead(200, { ...headers, "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404, headers);
      response.end();
    }
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((done) => server.close(done)) });
    });
  });
}
