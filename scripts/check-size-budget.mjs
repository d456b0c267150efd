// The size budget of the npm package (issue "Lean and fast"): for each build in
// scripts/size-budget.json, the gzipped size (level 9, node's zlib) of its wasm plus its JS glue
// must not exceed the committed budget by more than 1 %. Bytes are deterministic for a given
// toolchain, so a growth past that is a change to look at, not noise. A build more than 1 % under
// its budget passes, with a note that the budget can be tightened. `npm test` runs this right after
// building the package (scripts/test-all.sh); timings stay in the bench.
//
// Two budgets: "gzipBytes" for the package as scripts/build-pkg.sh normally builds it, with `core`
// and `alloc` rebuilt without panic messages, and "gzipBytesPrecompiledCore" for the build a
// machine without rustc's `rust-src` (or with a rustc older than 1.92) makes instead, about 0.3 KB
// larger (scripts/npm-build-env.sh). build-pkg.sh records which one it made.
//
// Usage: node scripts/check-size-budget.mjs            check pkg/ against the budget
//        node scripts/check-size-budget.mjs --write    set the budget to the current sizes
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const root = new URL("../", import.meta.url);
const budgetPath = new URL("scripts/size-budget.json", root);
const TOLERANCE = 0.01;
const FILES = ["universal_socket_bg.wasm", "universal_socket.js"];

const gzipped = (dir, file) => gzipSync(readFileSync(new URL(`${dir}/${file}`, root)), { level: 9 }).length;
const percent = (value) => `${value >= 0 ? "+" : ""}${(value * 100).toFixed(2)} %`;

// The kind of `core` pkg/ was built with (scripts/build-pkg.sh writes it next to its target dir).
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(fileURLToPath(root), "target");
const marker = path.join(targetDir, "npm", "core-build");
const core = existsSync(marker) ? readFileSync(marker, "utf8").trim() : "rebuilt";
if (core !== "rebuilt" && core !== "precompiled") throw new Error(`${marker}: unknown core build "${core}"`);
const key = core === "rebuilt" ? "gzipBytes" : "gzipBytesPrecompiledCore";
if (core === "precompiled") {
  console.log("pkg/ links the precompiled core (no rust-src, or rustc < 1.92): checked against its own, larger budget");
}

const budget = JSON.parse(readFileSync(budgetPath, "utf8"));
const builds = Object.keys(budget[key] ?? {});
if (!builds.length) throw new Error(`${budgetPath.pathname}: no builds under "${key}"`);

const rows = builds.map((dir) => {
  const [wasm, glue] = FILES.map((file) => gzipped(dir, file));
  return { dir, wasm, glue, total: wasm + glue, budget: budget[key][dir] };
});

if (process.argv.includes("--write")) {
  for (const row of rows) budget[key][row.dir] = row.total;
  writeFileSync(budgetPath, `${JSON.stringify(budget, null, 2)}\n`);
  for (const row of rows) console.log(`size budget (${key}): ${row.dir} set to ${row.total} B`);
  process.exit(0);
}

// The package's README states each build's size: it must say what this build weighs (to the
// nearest KB, 1.5 KB either way; the figures are of the normal build).
const stated = [];
if (core !== "rebuilt") {
  console.log("the package README's sizes are of the normal build: not checked against this one");
} else {
  const readme = readFileSync(new URL("scripts/package-readme.md", root), "utf8");
  const imports = { pkg: "universal-socket", "pkg/websocket": "universal-socket/websocket" };
  for (const row of rows) {
    const line = readme.split("\n").find((l) => l.startsWith(`| \`${imports[row.dir]}\` |`));
    const kb = Number(line?.match(/about (\d+) KB/)?.[1]);
    if (!(Math.abs(kb * 1000 - row.total) <= 1500)) {
      stated.push(`scripts/package-readme.md says ${imports[row.dir]} is ${line ? `about ${kb} KB` : "(no row)"}; ` +
        `it is ${row.total} B gzipped: write "about ${Math.round(row.total / 1000)} KB"`);
    }
  }
}

const over = [];
console.log("build            wasm gz   glue gz     total    budget   vs budget");
for (const row of rows) {
  const delta = row.total / row.budget - 1;
  console.log(`${row.dir.padEnd(15)} ${String(row.wasm).padStart(8)} ${String(row.glue).padStart(9)} ` +
    `${String(row.total).padStart(9)} ${String(row.budget).padStart(9)}   ${percent(delta)}`);
  if (delta > TOLERANCE) over.push(row);
  else if (delta < -TOLERANCE) {
    console.log(`  ${row.dir} is ${percent(-delta).slice(1)} under its budget: tighten it to ${row.total} ` +
      "(node scripts/check-size-budget.mjs --write)");
  }
}
for (const why of stated) console.error(why);
if (over.length) {
  for (const row of over) {
    console.error(`size budget exceeded: ${row.dir} is ${row.total} B gzipped (wasm ${row.wasm} + glue ${row.glue}), ` +
      `${row.total - row.budget} B (${percent(row.total / row.budget - 1)}) over its budget of ${row.budget} B ` +
      `(allowed: +${TOLERANCE * 100} %). Make it smaller, or raise the budget in scripts/size-budget.json ` +
      "with the reason in the commit.");
  }
  process.exit(1);
}
if (stated.length) process.exit(1);
console.log("size budget: every build within 1 % of its budget");
