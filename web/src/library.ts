// The library as the page uses it, in one place: the package's portable entry point.
// No other web module names a path in src/.

export * from "../../src/index.ts";
