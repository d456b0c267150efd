// Fails when the crate's non-test code formats with `Debug` (`{:?}`, `{x:?}`, `{:#?}`, `dbg!`).
// Why: the npm builds compile with `-Zfmt-debug=none` (scripts/npm-build-env.sh), where `Debug`
// output is empty, so such a placeholder in an error message would leave a hole in the `Error`
// a user reads, and cost almost no bytes, so the size budget would not notice. Host tests and
// clippy build with full `Debug`; this check stands in for them. Test modules (`#[cfg(test)] mod`)
// and comments are not checked.
//
//   node scripts/check-no-debug-format.mjs      (`npm test` runs it with the lints)
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DEBUG_FORMAT = /\{[A-Za-z0-9_.]*:#?\?\}|\bdbg!\s*\(/;

function rustFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return rustFiles(file);
    return name.endsWith(".rs") ? [file] : [];
  });
}

/// The file's lines with each `#[cfg(test)]` module's lines blanked (its braces counted from the
/// `mod` line on, outside string and char literals and line comments; a string that spans lines
/// is not understood).
function withoutTestModules(text) {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*#\[cfg\((test|all\(test\b.*)\)\]\s*$/.test(lines[i]) || !/^\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{/.test(lines[i + 1] ?? "")) continue;
    let depth = 0;
    let j = i + 1;
    for (; j < lines.length; j++) {
      const code = lines[j].replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)'|\/\/.*$/g, "");
      for (const c of code) depth += c === "{" ? 1 : c === "}" ? -1 : 0;
      lines[j] = "";
      if (depth === 0) break;
    }
    i = j;
  }
  return lines;
}

const found = [];
for (const file of rustFiles(path.join(root, "src"))) {
  withoutTestModules(readFileSync(file, "utf8")).forEach((line, i) => {
    const code = line.replace(/\/\/.*$/, "");
    if (DEBUG_FORMAT.test(code)) found.push(`${path.relative(root, file)}:${i + 1}: ${line.trim()}`);
  });
}
if (found.length > 0) {
  console.error(
    "Debug formatting in non-test code (empty in the npm builds: -Zfmt-debug=none, scripts/npm-build-env.sh); build the text by hand (src/core/text.rs):\n  " +
      found.join("\n  "),
  );
  process.exit(1);
}
console.log("check-no-debug-format: no Debug formatting outside tests in src/");
