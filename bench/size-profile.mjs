// Where the bytes of each npm build are: every function of pkg/'s wasm (and pkg/websocket/'s) put
// in one part of the SDK by its name (from bench/named-wasm.sh's same-code builds), the data
// segments, the imports and the rest of the module, and the JS glue; for each part its raw bytes
// and what it adds to the gzipped total (the build gzipped with it, less the build gzipped
// without it: what parts repeat of each other is counted in neither, so these add up to less than
// the total, which is printed too). The parts are bench/wasm-parts.mjs's (shared with
// bench/profile.mjs). This is the profile README.md's "Size and speed" section
// quotes for the size goals of issue 9.
//
// Usage: bash scripts/build-pkg.sh && bash bench/named-wasm.sh && node bench/size-profile.mjs
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { layout } from "../scripts/wasm-names.mjs";
import { namedWasmFor, namesFor, partOf } from "./wasm-parts.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

const SECTION_PARTS = { 2: "imports: names and types", 11: "data: message texts, tables" };

function profile(dir) {
  const wasmFile = path.join(root, dir, "universal_socket_bg.wasm");
  const wasm = readFileSync(wasmFile);
  const glue = readFileSync(path.join(root, dir, "universal_socket.js"));
  const names = namesFor(wasmFile, namedWasmFor(root, dir));
  // The module as consecutive ranges that cover it exactly, each in one part.
  const chunks = layout(wasm).map((r) => ({
    part: r.kind === "function" ? partOf(names.get(r.index) ?? "")
      : r.kind === "header" ? "module structure: types, exports, table, section headers"
      : r.id === 0 ? `custom section ${r.custom}`
      : SECTION_PARTS[r.id] ?? "module structure: types, exports, table, section headers",
    bytes: wasm.subarray(r.start, r.end),
  }));
  const whole = gz(wasm);
  const parts = [...new Set(chunks.map((c) => c.part))].map((part) => {
    const raw = chunks.filter((c) => c.part === part).reduce((n, c) => n + c.bytes.length, 0);
    const without = gz(Buffer.concat(chunks.filter((c) => c.part !== part).map((c) => c.bytes)));
    return { part, raw, gz: whole - without };
  });
  parts.push({ part: "JS glue (minified; its own gzip stream)", raw: glue.length, gz: gz(glue) });
  parts.sort((a, b) => b.gz - a.gz);
  return { dir, wasmGz: whole, glueGz: gz(glue), parts };
}

const builds = [profile("pkg"), profile("pkg/websocket")];
const byPart = new Map();
for (const [i, b] of builds.entries()) for (const p of b.parts) (byPart.get(p.part) ?? byPart.set(p.part, [null, null]).get(p.part))[i] = p;
const cell = (p) => (p ? `${(p.gz / 1000).toFixed(1)} KB (${(p.raw / 1000).toFixed(1)} KB raw)` : "—");
console.log(`| part | ${builds.map((b) => `${b.dir}: gz added (raw)`).join(" | ")} |`);
console.log(`| --- | ${builds.map(() => "---").join(" | ")} |`);
for (const [part, ps] of [...byPart].sort((a, b) => (b[1][0]?.gz ?? 0) - (a[1][0]?.gz ?? 0))) console.log(`| ${part} | ${ps.map(cell).join(" | ")} |`);
console.log(`| **total: wasm gz + glue gz** | ${builds.map((b) => `**${((b.wasmGz + b.glueGz) / 1000).toFixed(1)} KB** (wasm ${(b.wasmGz / 1000).toFixed(1)} + glue ${(b.glueGz / 1000).toFixed(1)})`).join(" | ")} |`);
console.log(`| sum of the parts' gz added | ${builds.map((b) => `${(b.parts.reduce((n, p) => n + p.gz, 0) / 1000).toFixed(1)} KB`).join(" | ")} |`);
