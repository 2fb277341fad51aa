// The library as the page uses it, in one place: the package's portable entry point, the
// capture decoder (dqlite-wire/capture) and the Arrow writer (dqlite-wire/arrow). No other web
// module names a path in src/.

export * from "../../src/index.ts";
export * from "../../src/capture/index.ts";
export * from "../../src/arrow/index.ts";
