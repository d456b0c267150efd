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
// `{:?}`, `{x:?}`, `{0:#?}`, `{:.2?}`, `{:>8?}`, `{:x?}`, `{:w$?}` and `dbg!` in any bracket.
const DEBUG_FORMAT = /\{\w*:[^{}"]*\?\}|\bdbg!\s*[(\[{]/;

function rustFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return rustFiles(file);
    return name.endsWith(".rs") ? [file] : [];
  });
}

/// The file's lines with each `#[cfg(test)]` (or `#[cfg(all(test, …))]`) module's lines blanked.
/// rustfmt (`cargo fmt --check` runs first in `npm test`) closes a module on a line of its own,
/// indented as its `mod` line: the module ends at the first such line. A module whose end is not
/// found fails the check rather than hiding the rest of the file.
function withoutTestModules(text, file) {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*#\[cfg\((test|all\(test\b.*)\)\]\s*$/.test(lines[i])) continue;
    const mod = /^(\s*)(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{\s*(\}\s*)?$/.exec(lines[i + 1] ?? "");
    if (!mod) continue;
    if (mod[4]) {
      i += 1;
      continue;
    }
    const end = lines.findIndex((line, j) => j > i + 1 && line === mod[1] + "}");
    if (end < 0) {
      console.error(`${path.relative(root, file)}:${i + 2}: the end of this test module was not found`);
      process.exit(1);
    }
    for (let j = i + 1; j <= end; j++) lines[j] = "";
    i = end;
  }
  return lines;
}

const found = [];
for (const file of rustFiles(path.join(root, "src"))) {
  withoutTestModules(readFileSync(file, "utf8"), file).forEach((line, i) => {
    // A line comment ends the code, but a `//` inside a string (a URL) does not start one.
    const code = line.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => literal.replace(/\/\//g, "")).replace(/\/\/.*$/, "");
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
