// `npm run capture [-- --rows N] [-- --shape numeric|mixed]`: records from a real dqlite node
// (dqlite-demo on loopback, started and stopped here) the results the benchmark generator
// imitates, and checks the generator against them: frame count, frame sizes, total bytes, and
// whether the bytes are identical. Captures are written to .tmp/capture/.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const argv = process.argv.slice(2);
const option = (name, fallback) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const rows = Number(option("--rows", "1000000"));
const shapes = option("--shape", "all") === "all" ? ["numeric", "mixed"] : [option("--shape")];

execFileSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", "bench/tsconfig.json"], {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"],
});
const load = (path) => import(pathToFileURL(`${root}.tmp/bench-build/${path}`).href);
const { startNode } = await load("src/testing/dqlite-node.js");
const { RawConnection, openDatabase, populate, sendQuery, captureResult } = await load("bench/live-node.js");
const { buildCorpus } = await load("bench/corpus.js");

const { FrameScanner } = await load("src/wire/frame-scanner.js");
const { FrameLayout } = await load("src/wire/layout.js");

/** Body bytes of each frame, found by the library's frame scanner. */
function frameSizes(bytes) {
  const scanner = new FrameScanner({ input: "borrow" });
  scanner.push(bytes);
  const sizes = [];
  for (let frame = scanner.next(); frame !== undefined; frame = scanner.next())
    sizes.push(frame.header.frameBytes - FrameLayout.HeaderBytes);
  return sizes;
}

function summary(sizes) {
  const sorted = [...sizes].sort((a, b) => a - b);
  return {
    frames: sizes.length,
    min: sorted[0],
    median: sorted[sorted.length >> 1],
    max: sorted[sorted.length - 1],
    last: sizes[sizes.length - 1],
  };
}

const outDir = `${root}.tmp/capture`;
mkdirSync(outDir, { recursive: true });
const node = await startNode();
let failed = false;
try {
  const connection = await RawConnection.open(node.address);
  const db = await openDatabase(connection, "bench");
  for (const shape of shapes) {
    const started = performance.now();
    await populate(connection, db, shape, rows);
    const filled = performance.now();
    sendQuery(connection, db, shape);
    const captured = await captureResult(connection);
    const queried = performance.now();
    writeFileSync(`${outDir}/${shape}-${rows}.bin`, captured);

    const generated = buildCorpus(shape, rows).bytes;
    const real = summary(frameSizes(captured));
    const ours = summary(frameSizes(generated));
    let firstDifference = -1;
    const common = Math.min(captured.length, generated.length);
    for (let i = 0; i < common; i++) {
      if (captured[i] !== generated[i]) {
        firstDifference = i;
        break;
      }
    }
    if (firstDifference < 0 && captured.length !== generated.length) firstDifference = common;
    const identical = firstDifference < 0;
    failed ||= !identical;
    const report = {
      shape,
      rows,
      node: node.address,
      real: { bytes: captured.length, ...real },
      generator: { bytes: generated.length, ...ours },
      identical,
      firstDifference,
    };
    writeFileSync(`${outDir}/${shape}-${rows}.json`, JSON.stringify(report, null, 2) + "\n");
    console.log(
      `${shape}: ${rows} rows inserted in ${((filled - started) / 1000).toFixed(1)} s, result of ${captured.length} bytes in ${((queried - filled) / 1000).toFixed(2)} s`,
    );
    console.log(
      `  real node: ${real.frames} frames, body bytes min ${real.min} / median ${real.median} / max ${real.max}, last ${real.last}`,
    );
    console.log(
      `  generator: ${ours.frames} frames, body bytes min ${ours.min} / median ${ours.median} / max ${ours.max}, last ${ours.last}`,
    );
    console.log(
      identical ? "  bytes: identical" : `  bytes: DIFFER, first at offset ${firstDifference} (see ${outDir}/${shape}-${rows}.bin)`,
    );
  }
  connection.close();
} finally {
  await node.stop();
}
process.exitCode = failed ? 1 : 0;
