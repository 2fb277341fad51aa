// Part of `npm run build`: the wire format's numbers (src/wire/layout.ts) written into the shipped
// modules as literals. layout.ts is made of TypeScript enums because AssemblyScript reads enums
// as compile-time constants; tsc (with isolatedModules) emits each as an object holding every
// member's name and a reverse map, which a bundler cannot drop, so a page that only decodes
// frames would download all of them (1.9 KiB gzip on the codec-only page). After tsc, each
// `Enum.Member` in dist/src becomes its number and the import of layout.js goes, as a const
// enum would be inlined by a whole-program compiler. layout.js itself still ships.

import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";

/** Inlines the layout enums into every module under `distSrc`; returns how many modules changed. */
export async function inlineLayout(distSrc) {
  const layoutFile = join(distSrc, "wire", "layout.js");
  const layout = await import(pathToFileURL(layoutFile).href);
  const names = Object.keys(layout);
  if (names.length === 0) throw new Error(`${layoutFile} exports nothing`);
  const access = new RegExp(`(?<![.\\w$])(${names.join("|")})\\.([A-Za-z_$][\\w$]*)`, "g");
  let changed = 0;
  for (const file of modules(distSrc)) {
    if (file === layoutFile) continue;
    const specifier = relative(dirname(file), layoutFile).replace(/^(?!\.)/, "./");
    const importLine = new RegExp(`^import \\{[^}]*\\} from "${specifier.replaceAll(".", "\\.")}";\\n`, "m");
    const text = readFileSync(file, "utf8");
    if (!importLine.test(text)) continue;
    const inlined = text.replace(importLine, "").replace(access, (match, enumName, member) => {
      const value = layout[enumName][member];
      if (typeof value !== "number") throw new Error(`${file}: ${match} is not a number of layout.ts`);
      return String(value);
    });
    const left = inlined.match(new RegExp(`(?<![.\\w$])(${names.join("|")})\\b(?!\\.)`, "g"));
    if (left !== null && /\bimport\b|\(/.test(left.join())) throw new Error(`${file}: ${left[0]} is used other than as Enum.Member`);
    writeFileSync(file, inlined);
    changed++;
  }
  return changed;
}

function* modules(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* modules(path);
    else if (entry.name.endsWith(".js")) yield path;
  }
}
