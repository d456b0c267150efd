// Checks a finished build (after scripts/short-wasm-names.mjs and esbuild) the way the browser
// will link it: the import object the minified glue builds must define every import of the wasm
// as a function, define nothing else, and every name must be short (at most 2 characters, as
// scripts/short-wasm-names.mjs gives them). The glue is loaded in Node and `initSync()` is called
// with `WebAssembly.Instance` replaced for that one call, so the import object is captured and the
// wasm is not run. Used by scripts/build-pkg.sh (the build fails) and by
// tests/page/package.test.mjs (on the installed package).
//
// Usage: node scripts/check-wasm-imports.mjs <build dir>...
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const MAX_NAME = 2;

/// The problems found in one build directory (an empty list when it links).
export async function importProblems(dir) {
  const module = new WebAssembly.Module(readFileSync(join(dir, "universal_socket_bg.wasm")));
  const glue = await import(`${pathToFileURL(resolve(dir, "universal_socket.js"))}?check=${Date.now()}`);
  const captured = {};
  const Instance = WebAssembly.Instance;
  WebAssembly.Instance = function capture(_module, imports) {
    captured.imports = imports;
    throw captured;
  };
  try {
    glue.initSync({ module });
    return ["initSync() did not instantiate the wasm"];
  } catch (error) {
    if (error !== captured) throw error;
  } finally {
    WebAssembly.Instance = Instance;
  }

  const problems = [];
  const wanted = WebAssembly.Module.imports(module);
  const long = wanted.filter((entry) => entry.module.length > MAX_NAME || entry.name.length > MAX_NAME);
  if (long.length) {
    problems.push(`${long.length} of ${wanted.length} imports have names longer than ${MAX_NAME} characters, ` +
      `e.g. ${long[0].module}.${long[0].name} (scripts/short-wasm-names.mjs shortens them)`);
  }
  for (const { module: name, name: field, kind } of wanted) {
    const value = captured.imports[name]?.[field];
    if (kind !== "function") problems.push(`the import ${name}.${field} is a ${kind}`);
    else if (typeof value !== "function") problems.push(`the glue does not define the import ${name}.${field}`);
  }
  for (const [name, fields] of Object.entries(captured.imports)) {
    for (const field of Object.keys(fields)) {
      if (!wanted.some((entry) => entry.module === name && entry.name === field)) {
        problems.push(`the glue defines ${name}.${field}, which the wasm does not import`);
      }
    }
  }
  return problems;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dirs = process.argv.slice(2);
  if (!dirs.length) throw new Error("usage: node scripts/check-wasm-imports.mjs <build dir>...");
  let failed = false;
  for (const dir of dirs) {
    const problems = await importProblems(dir);
    for (const problem of problems) console.error(`check-wasm-imports: ${dir}: ${problem}`);
    failed ||= problems.length > 0;
  }
  if (failed) process.exit(1);
  console.log(`check-wasm-imports: every import of ${dirs.join(", ")} is short and defined by its glue`);
}
