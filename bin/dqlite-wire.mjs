#!/usr/bin/env node
// Runs the compiled CLI (`npm run build` produces dist/).
import { main } from "../dist/src/cli/main.js";

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error) => {
    process.stderr.write(`dqlite-wire: ${error?.stack ?? error}\n`);
    process.exitCode = 1;
  },
);
