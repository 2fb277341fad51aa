import { defineConfig } from "vitest/config";
import { playwright } from "@vitest/browser-playwright";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./test/support/chromium.mjs";

/**
 * The suites that run a second time against dqlite 1.18 (a bare node built from source), beside
 * every test on Debian's 1.11: those whose outcome depends on what the node does — sessions,
 * transactions, failover, hazards, Kysely and Drizzle, the shell against the Go shell, the
 * bridge, captures and the proxy. Codec, row-engine, transport and TLS tests do not talk to a
 * node or talk to it the same way on every version (TLS is go-dqlite's, over 1.11), so they run
 * once.
 */
const REAL_NODE_SUITES = [
  "test/session/{cli,cluster,faults,hazards,pool,pool-failover,readme-examples,requests,statement-cache,trace,runtimes-transactions,streaming,transaction-failover,transactions,values}.test.ts",
  "test/kysely/kysely.test.ts",
  "test/drizzle/drizzle.test.ts",
  "test/bridge/bridge-{abuse,backpressure,chromium,command,forwarding,hazards,refusals,session}.test.ts",
  "test/capture/{cluster,go-shell,large-result,readme}.test.ts",
  "test/proxy/proxy-{cluster,faults,go-shell}.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/browser/**", "test/e2e/**"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "node-1.18",
          environment: "node",
          include: REAL_NODE_SUITES,
          env: { DQLITE_NODE_VERSION: "1.18" },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          browser: {
            enabled: true,
            headless: true,
            instances: [{ browser: "chromium" }],
            provider: playwright({ launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS } }),
          },
        },
      },
    ],
  },
});
