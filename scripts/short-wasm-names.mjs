// Gives the wasm's imports and glue-only exports short names, in the wasm and in the JS glue that
// wasm-bindgen wrote next to it, before esbuild minifies the glue (scripts/build-pkg.sh).
// wasm-bindgen names each import `__wbg_<name>_<16 hex digits>` (a hash is incompressible: about
// 2 KB gzipped on each side) and exports like
// `wasm_bindgen__convert__closures_____invoke__h<hash>`; only the glue uses them.
//
// Usage: node scripts/short-wasm-names.mjs <build dir>...   (each holds universal_socket_bg.wasm,
// universal_socket.js as wasm-bindgen wrote it, universal_socket.d.ts, and maybe
// universal_socket_bg.wasm.d.ts)
//
// The glue is rewritten where wasm-bindgen's output has a fixed shape, and every rewrite is counted:
// each import must be defined exactly once, as `        <name>: function(` inside
// `__wbg_get_imports()`, and each export is renamed only where the glue reads it (`wasm.<name>`).
// Anything else (a name found twice, a `wasm.<name>` that is no export, an import that is not a
// function) stops the build: a new wasm-bindgen with another glue shape must be looked at, not
// guessed at. The definitions become methods (`<short>(…) {`) rather than `<short>: function(…)`,
// which esbuild keeps as written: the same function when wasm calls it (no `this`, never `new`),
// 10 bytes shorter each. `memory` keeps its name (users read it from `init()`'s result), and so do
// exports the glue never reads. The `InitOutput` declarations (universal_socket.d.ts) and
// universal_socket_bg.wasm.d.ts are renamed to match, so they stay true.
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { readNames, renameNames } from "./wasm-names.mjs";

const KEPT_EXPORTS = new Set(["memory"]);
const RESERVED = new Set(["do", "if", "in"]);
const IDENTIFIER = "[A-Za-z0-9_$]";

/// a, b, …, Z, aa, ab, …: JS identifiers (no keyword), so esbuild writes `c.a` and `a(e){…}`.
function* shortNames() {
  const first = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  const rest = `${first}0123456789`;
  yield* first;
  for (const a of first) for (const b of rest) if (!RESERVED.has(a + b)) yield a + b;
  throw new Error("more than 3,000 names");
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/// Occurrences of `name` as a whole identifier (not part of a longer one).
const whole = (name, before = "", after = "") =>
  new RegExp(`(?<!${IDENTIFIER})${before}${escape(name)}${after}(?!${IDENTIFIER})`, "g");

function fail(dir, message) {
  throw new Error(`short-wasm-names: ${dir}: ${message}`);
}

function shorten(dir) {
  const wasmPath = join(dir, "universal_socket_bg.wasm");
  const gluePath = join(dir, "universal_socket.js");
  const bytes = new Uint8Array(readFileSync(wasmPath));
  let glue = readFileSync(gluePath, "utf8");
  const { imports, exports } = readNames(bytes);

  // Snippets (the crate's inline JS helpers) that the glue imports by name, for its own import
  // definitions: their source goes into the glue in place of the import (see inlineSnippet).
  glue = glue.replace(/^import \{ ([\w$, ]+) \} from '(\.\/snippets\/[^']+)';\n/gm,
    (_, names, module) => inlineSnippet(dir, module, names.split(",").map((name) => name.trim())));

  // wasm-bindgen imports a snippet module once per function the wasm imports from it directly
  // (`import * as import1 …; import * as import2 …` of the same file, each its own key): the first
  // namespace is kept, the others and their keys go.
  const firstNamespace = new Map();
  const duplicates = [];
  glue = glue.replace(/^import \* as (import\d+) from ("\.\/snippets\/[^"]+");?\n/gm, (line, name, module) => {
    if (!firstNamespace.has(module)) return firstNamespace.set(module, name), line;
    duplicates.push(`\n        ${module}: ${name},`);
    return "";
  });
  for (const key of duplicates) glue = glue.replace(key, "");
  const blockStart = glue.indexOf("\nfunction __wbg_get_imports() {\n");
  const blockEnd = glue.indexOf("\n}\n", blockStart);
  if (blockStart < 0 || blockEnd < 0) fail(dir, "no `function __wbg_get_imports() {…}` in the glue");

  // Import modules: one object key each, in __wbg_get_imports(). A snippet module (an inline JS
  // helper of the crate, which the wasm imports as it is) is the glue's `import * as importN`
  // namespace under its own key: its source is put into the glue in place of that import (its
  // `export`s become plain declarations), its functions join the glue's own import object (the
  // first module, `import0`) under short names, and its key goes, so the wasm imports everything
  // from one module and the package needs no snippet file (scripts/build-pkg.sh removes them).
  const modules = [...new Set(imports.map((entry) => entry.module))];
  const snippets = new Map();
  for (const module of modules) {
    const line = glue.match(new RegExp(`^import \\* as (import\\d+) from ${escape(JSON.stringify(module))};?\n`, "m"));
    if (line) snippets.set(module, line[1]);
  }
  const moduleNames = new Map();
  const moduleGenerator = shortNames();
  for (const module of modules) {
    const key = `${JSON.stringify(module)}: `;
    const at = glue.indexOf(key, blockStart);
    if (at < 0 || at > blockEnd || glue.indexOf(key, at + 1) >= 0) {
      fail(dir, `the import module ${key} is not defined exactly once in __wbg_get_imports()`);
    }
    if (!snippets.has(module)) moduleNames.set(module, moduleGenerator.next().value);
  }
  const ownModules = [...moduleNames.keys()];
  if (snippets.size && (ownModules.length !== 1 || !glue.includes(`\n    const import0 = {\n        __proto__: null,\n`))) {
    fail(dir, "snippet imports need exactly one other import module, `import0`, to join");
  }
  for (const module of snippets.keys()) moduleNames.set(module, moduleNames.get(ownModules[0]));

  // Import names: each defined exactly once, as `        <name>: function(` in the block.
  const importNames = new Map();
  const importGenerator = shortNames();
  for (const { module, name, kind } of imports) {
    if (kind !== "function") fail(dir, `the import ${module}.${name} is a ${kind}, not a function`);
    if (importNames.has(name)) continue;
    if (snippets.has(module)) {
      if (whole(name).test(glue)) fail(dir, `the snippet import ${name} is also named in the glue`);
      importNames.set(name, importGenerator.next().value);
      continue;
    }
    const found = [...glue.matchAll(whole(name))].map((match) => match.index);
    const definition = `\n        ${name}: function(`;
    const at = glue.indexOf(definition, blockStart);
    if (found.length !== 1 || at < 0 || at > blockEnd || found[0] !== at + 9) {
      fail(dir, `the import ${name} occurs ${found.length} times in the glue; expected once, as \`${definition.trim()}\` in __wbg_get_imports()`);
    }
    importNames.set(name, importGenerator.next().value);
  }

  // Exports: renamed where the glue reads them (`wasm.<name>`), most read first (shortest).
  const exported = new Set(exports.map((entry) => entry.name));
  const reads = new Map();
  for (const match of glue.matchAll(new RegExp(`(?<![A-Za-z0-9_$.])wasm\\.(${IDENTIFIER}+)`, "g"))) {
    if (!exported.has(match[1])) fail(dir, `the glue reads wasm.${match[1]}, which the wasm does not export`);
    reads.set(match[1], (reads.get(match[1]) ?? 0) + 1);
  }
  const exportNames = new Map();
  const exportGenerator = shortNames();
  for (const [name] of [...reads].filter(([name]) => !KEPT_EXPORTS.has(name)).sort((a, b) => b[1] - a[1])) {
    let short;
    do short = exportGenerator.next().value; while (exported.has(short));
    exportNames.set(name, short);
  }

  // The glue: definitions, module keys, reads.
  for (const [name, short] of importNames) {
    glue = glue.replace(`\n        ${name}: function(`, `\n        ${short}(`);
  }
  for (const [module, short] of moduleNames) {
    const key = `${JSON.stringify(module)}: `;
    if (snippets.has(module)) {
      // Its key (`"<module>": importN,`) goes; its functions are added to `import0` below.
      const line = `\n        ${key}${snippets.get(module)},`;
      if (!glue.includes(line)) fail(dir, `no \`${line.trim()}\` in __wbg_get_imports()`);
      glue = glue.replace(line, "");
      continue;
    }
    glue = glue.slice(0, blockStart) + glue.slice(blockStart).replace(key, `${short}: `);
  }
  for (const [name, short] of exportNames) {
    const pattern = whole(name, "(?<![.])wasm\\.");
    const count = glue.match(pattern)?.length ?? 0;
    if (count !== reads.get(name)) fail(dir, `wasm.${name}: ${count} reads found, ${reads.get(name)} expected`);
    glue = glue.replace(pattern, `wasm.${short}`);
  }
  for (const name of importNames.keys()) {
    if (whole(name).test(glue)) fail(dir, `the import ${name} is still in the rewritten glue`);
  }
  const joined = imports.filter(({ module }) => snippets.has(module))
    .map(({ name }) => `\n        ${importNames.get(name)}: ${name},`).join("");
  glue = glue.replace("\n    const import0 = {\n        __proto__: null,", (head) => head + joined);
  for (const [module, namespace] of snippets) {
    const line = glue.match(new RegExp(`^import \\* as ${namespace} from ${escape(JSON.stringify(module))};?\n`, "m"))[0];
    const names = imports.filter((entry) => entry.module === module).map((entry) => entry.name);
    glue = glue.replace(line, inlineSnippet(dir, module, names));
    if (glue.includes(`${namespace}.`)) fail(dir, `${namespace} is still used after inlining ${module}`);
  }

  const renamed = renameNames(bytes, {
    renameModule: (module) => moduleNames.get(module),
    renameImport: (_module, name) => importNames.get(name),
    renameExport: (name) => exportNames.get(name) ?? name,
  });
  // Read back: the same entries in the same order, under the new names; and the engine compiles it.
  const check = readNames(renamed);
  const expected = {
    imports: imports.map(({ module, name, kind }) => ({ module: moduleNames.get(module), name: importNames.get(name), kind })),
    exports: exports.map(({ name, kind }) => ({ name: exportNames.get(name) ?? name, kind })),
  };
  if (JSON.stringify(check) !== JSON.stringify(expected)) fail(dir, "the renamed wasm does not read back as expected");
  new WebAssembly.Module(renamed);

  writeFileSync(wasmPath, renamed);
  writeFileSync(gluePath, glue);
  renameDeclarations(dir, join(dir, "universal_socket.d.ts"), /^ {4}readonly (\S+): /, exportNames);
  const wasmDeclarations = join(dir, "universal_socket_bg.wasm.d.ts");
  if (existsSync(wasmDeclarations)) renameDeclarations(dir, wasmDeclarations, /^export const (\S+): /, exportNames);

  console.log(`${dir}: ${importNames.size} imports, ${exportNames.size} exports renamed; wasm ${bytes.length} → ${renamed.length} B`);
}

/// The source of snippet `module` (relative to `dir`) as glue code: its `export function`s become
/// plain functions. It must export only functions, among them every one of `names`, and import
/// nothing; the names must not clash with the glue's own (esbuild would fail on a duplicate).
function inlineSnippet(dir, module, names) {
  const source = readFileSync(join(dir, module), "utf8");
  if (/\bimport\b|\bexport\s+(?!function\s)/.test(source)) {
    fail(dir, `${module}: a snippet may only export functions and import nothing`);
  }
  for (const name of names) {
    if (!new RegExp(`\\bexport function ${escape(name)}\\(`).test(source)) fail(dir, `${module} does not export ${name}`);
  }
  return `${source.replace(/\bexport\s+function\s/g, "function ")}\n`;
}

/// Renames the exports in `InitOutput` (universal_socket.d.ts) or in the wasm's own declarations
/// (`export const <name>:`), each of which must be listed exactly once.
function renameDeclarations(dir, path, line, exportNames) {
  const seen = new Map();
  const text = readFileSync(path, "utf8").split("\n").map((source) => {
    const match = source.match(line);
    if (!match || !exportNames.has(match[1])) return source;
    seen.set(match[1], (seen.get(match[1]) ?? 0) + 1);
    return source.replace(match[0], match[0].replace(match[1], exportNames.get(match[1])));
  }).join("\n");
  for (const name of exportNames.keys()) {
    if (seen.get(name) !== 1) fail(dir, `${path} declares the export ${name} ${seen.get(name) ?? 0} times, not once`);
  }
  writeFileSync(path, text);
}

const dirs = process.argv.slice(2);
if (!dirs.length) throw new Error("usage: node scripts/short-wasm-names.mjs <build dir>...");
for (const dir of dirs) shorten(dir);
