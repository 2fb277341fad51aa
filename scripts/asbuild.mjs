// Compiles every WebAssembly variant of the row core in one asc process (binaryen loads once,
// which is most of asc's start-up cost), then embeds the results as TS modules.
import asc from "assemblyscript/asc";
import { embedWasm } from "./embed-wasm.mjs";

const ENTRY = "assembly/rows.ts";
const TARGETS = ["release", "release-simd"];

for (const target of TARGETS) {
  const { error, stderr } = await asc.main([ENTRY, "--config", "asconfig.json", "--target", target], {
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (error) {
    console.error(`asc failed for target ${target}: ${error.message}`);
    console.error(stderr.toString());
    process.exit(1);
  }
}
await embedWasm();
