// Entry point of the compiled benchmark (bench/run.mjs starts it with --expose-gc).
import { argv } from "node:process";
import { main } from "./rows-bench.ts";

await main(argv.slice(2));
