// The library as the page uses it, in one place: the package's portable entry point, and the
// capture decoder (dqlite-wire/capture). No other web module names a path in src/.

export * from "../../src/index.ts";
export * from "../../src/capture/index.ts";
