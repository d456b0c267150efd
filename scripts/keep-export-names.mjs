// Keeps the `name` of what the JS glue exports (`UniversalSocket.name === "UniversalSocket"`, so
// `socket.constructor.name` says what it is; `decodeMessage.name`, …) through esbuild's
// minification, which renames them. esbuild's `--keep-names` would do it for every function of
// the glue, about 400 B gzipped per build for names nobody reads (wasm-bindgen's helpers); this
// names only the exports, with one statement each appended to the glue before esbuild runs
// (scripts/build-pkg.sh), so esbuild renames the reference with the declaration.
//
// Usage: node scripts/keep-export-names.mjs <glue.js>...
import { readFileSync, writeFileSync } from "node:fs";

for (const path of process.argv.slice(2)) {
  const glue = readFileSync(path, "utf8");
  const names = [...glue.matchAll(/^export (?:async )?(?:class|function\*?) ([A-Za-z_$][A-Za-z0-9_$]*)/gm)]
    .map((match) => match[1]);
  // `export { initSync, __wbg_init as default };`: the local names, as `--keep-names` kept them.
  for (const [, list] of glue.matchAll(/^export \{([^}]*)\};?$/gm)) {
    names.push(...list.split(",").map((entry) => entry.trim().split(/\s+as\s+/)[0]).filter(Boolean));
  }
  if (!names.includes("UniversalSocket")) throw new Error(`keep-export-names: ${path} has no \`export class UniversalSocket\``);
  const statements = names.map((name) => `Object.defineProperty(${name}, "name", { value: ${JSON.stringify(name)} });`);
  writeFileSync(path, `${glue.trimEnd()}\n// The exports keep their names through minification (scripts/keep-export-names.mjs).\n${statements.join("\n")}\n`);
}
