// The library as the page uses it, in one place: the package's entry points for the protocol
// (dqlite-wire), sessions (dqlite-wire/client), the row engine (dqlite-wire/rows), the bridge's
// protocol and transports (dqlite-wire/transport), the capture decoder (dqlite-wire/capture)
// and the Arrow writer (dqlite-wire/arrow). No other web module names a path in src/.

export * from "../../src/index.ts";
export * from "../../src/client/index.ts";
export * from "../../src/rows/index.ts";
export * from "../../src/transport/index.ts";
export * from "../../src/capture/index.ts";
export * from "../../src/arrow/index.ts";
