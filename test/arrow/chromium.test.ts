// Arrow output in Debian's Chromium: a page served by Vite connects through the bridge to a real
// node with the browser's WebSocket, writes Arrow from the row engine's batches and reads it back
// with apache-arrow and flechette, bundled for the browser (test/arrow/page, the scenario of
// runtimes/arrow-scenario.ts).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PageRig, startPageRig } from "../support/chromium-page.ts";

let rig: PageRig;

beforeAll(async () => {
  rig = await startPageRig({
    root: "test/arrow/page",
    token: "arrow-page-token-0123456789abcdef",
    optimizeDeps: ["apache-arrow", "@uwdata/flechette"],
  });
});

afterAll(async () => {
  await rig?.close();
});

describe("Arrow output in Chromium", () => {
  it("the page writes Arrow from a real result and both readers agree with .all()", async () => {
    const { result, errors, userAgent } = await rig.run();
    expect(errors).toEqual([]);
    expect(result).toMatch(
      /^ok every type read back by apache-arrow and flechette in 3 intModes; 30000 rows in \d+ chunks, sum 450015000$/,
    );
    expect(userAgent).toContain("HeadlessChrome");
  }, 90_000);
});
