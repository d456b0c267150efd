// Where the bytes of each npm build are: every function of pkg/'s wasm (and pkg/websocket/'s) put
// in one part of the SDK by its name (from bench/named-wasm.sh's same-code builds), the data
// segments, the imports and the rest of the module, and the JS glue; for each part its raw bytes
// and what it adds to the gzipped total (the build gzipped with it, less the build gzipped
// without it: parts that repeat each other's code share what gzip saves, so these do not add up to
// the total, which is printed too). This is the profile README.md's "Size and speed" section
// quotes for the size goals of issue 9.
//
// Usage: bash scripts/build-pkg.sh && bash bench/named-wasm.sh && node bench/size-profile.mjs
import { readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";
import { functionNames, layout } from "../scripts/wasm-names.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;

/** The part of the SDK a wasm function belongs to, by its (demangled) name; first match wins. */
const PARTS = [
  [/maybe_catch_unwind|^universalsocket_|^__wbg_universalsocket|^(encode|decode)Message$|^liveTransportListeners$|^__wbindgen_/, "wasm-bindgen's export wrappers (the JS class's methods and getters)"],
  [/^universal_socket::core::connection/, "core: connection state machine"],
  [/^universal_socket::core::session/, "core: resumable sessions"],
  [/^universal_socket::core::(batch|queue)/, "core: send queue and batching"],
  [/^universal_socket::core::(fallback|upgrade|backoff|closing|transport_kind|rng|float)/, "core: fallback, upgrade, backoff, closing"],
  [/^universal_socket::core::(codec|frame|payload)/, "core: binary codec and frames"],
  [/^universal_socket::core::/, "core: text, JSON check, errors"],
  [/^universal_socket::web::driver/, "driver (core ↔ transports ↔ JS)"],
  [/^universal_socket::web::(js_socket|js_events|listener|handoff|events|socket)/, "JS API: class, events, listeners"],
  [/^universal_socket::(web::options|option_rules)/, "options: reading and checking"],
  [/^universal_socket::(endpoints|redact)/, "URLs, endpoints, token redaction"],
  [/^universal_socket::web::transport::(stream_support|event_rules|open|mod)|^universal_socket::web::transport::[A-Z]/, "transports: shared read loops and event rules"],
  [/^universal_socket::web::transport::(http_shared|sse|long_polling)/, "transports: SSE and long polling"],
  [/^universal_socket::web::transport::(\w+)/, (m) => `transport: ${m[1].replace(/_/g, " ")}`],
  [/^universal_socket::allocator/, "allocator"],
  [/^universal_socket::/, "browser bindings, feature detection"],
  [/^core::ops::function::Fn(Once|Mut)?::call(_once|_mut)?\{\{vtable\.shim\}\}/, "closure bodies behind dyn Fn (any module)"],
  [/^(wasm_bindgen|js_sys|web_sys)::/, "wasm-bindgen, js-sys, web-sys runtime"],
  [/^core::ptr::drop_in_place/, "drop glue (any type)"],
  [/^core::(fmt|panicking|result::unwrap_failed|option::expect_failed)|^<core::fmt|::fmt::h|Display|Debug/, "Rust core: formatting kept by panic sites"],
  [/^alloc::|^<alloc::/, "Rust alloc: Vec, VecDeque, Rc, String"],
  [/^core::|^<core::|^<&/, "Rust core: other"],
];

function partOf(name) {
  // `<T as Trait>::f` is sorted by `T`; hashes and crate disambiguators are dropped.
  const clean = name.replace(/\[[0-9a-f]+\]/g, "").replace(/::h[0-9a-f]{16}$/, "").replace(/^<([^ >]+(?:<[^>]*>)?) as [^>]+>/, "$1");
  for (const [pattern, part] of PARTS) {
    const m = pattern.exec(clean);
    if (m) return typeof part === "function" ? part(m) : part;
  }
  return "other";
}

function profile(dir, namedFile) {
  const wasm = readFileSync(path.join(root, dir, "universal_socket_bg.wasm"));
  const glue = readFileSync(path.join(root, dir, "universal_socket.js"));
  const named = readFileSync(path.join(root, namedFile));
  const { sections, functions } = layout(wasm);
  const namedCode = layout(named).sections.find((s) => s.id === 10)?.bytes;
  const code = sections.find((s) => s.id === 10)?.bytes;
  if (!namedCode || !Buffer.from(namedCode).equals(Buffer.from(code))) {
    throw new Error(`${namedFile} does not have the code of ${dir}: run bench/named-wasm.sh on the tree the package was built from`);
  }
  const names = functionNames(named);
  // The build as parts in file order: each section but the code, whose functions go one by one.
  const chunks = [];
  for (const s of sections) {
    if (s.id === 10) {
      for (const f of functions) chunks.push({ part: partOf(names.get(f.index) ?? ""), bytes: f.body });
    } else {
      const part = s.id === 11 ? "data: message texts, tables" : s.id === 2 ? "imports: names and types" : s.id === 0 ? `custom section ${s.custom}` : "types, exports, table, globals";
      chunks.push({ part, bytes: s.bytes });
    }
  }
  const all = Buffer.concat(chunks.map((c) => c.bytes));
  const whole = gz(all);
  const parts = [...new Set(chunks.map((c) => c.part))].map((part) => {
    const raw = chunks.filter((c) => c.part === part).reduce((n, c) => n + c.bytes.length, 0);
    const without = gz(Buffer.concat(chunks.filter((c) => c.part !== part).map((c) => c.bytes)));
    return { part, raw, gz: whole - without };
  });
  parts.push({ part: "JS glue (minified; its own gzip stream)", raw: glue.length, gz: gz(glue) });
  parts.sort((a, b) => b.gz - a.gz);
  return { dir, wasmGz: gz(wasm), glueGz: gz(glue), partsGz: whole, parts };
}

const builds = [profile("pkg", "target/profile/named.wasm"), profile("pkg/websocket", "target/profile/named-websocket.wasm")];
const byPart = new Map();
for (const [i, b] of builds.entries()) for (const p of b.parts) (byPart.get(p.part) ?? byPart.set(p.part, [null, null]).get(p.part))[i] = p;
const cell = (p) => (p ? `${(p.gz / 1000).toFixed(1)} KB (${(p.raw / 1000).toFixed(1)} KB raw)` : "—");
console.log(`| part | ${builds.map((b) => `${b.dir}: gz added (raw)`).join(" | ")} |`);
console.log(`| --- | ${builds.map(() => "---").join(" | ")} |`);
for (const [part, ps] of [...byPart].sort((a, b) => (b[1][0]?.gz ?? 0) - (a[1][0]?.gz ?? 0))) console.log(`| ${part} | ${ps.map(cell).join(" | ")} |`);
console.log(`| **total: wasm gz + glue gz** | ${builds.map((b) => `**${((b.wasmGz + b.glueGz) / 1000).toFixed(1)} KB** (wasm ${(b.wasmGz / 1000).toFixed(1)} + glue ${(b.glueGz / 1000).toFixed(1)})`).join(" | ")} |`);
console.log(`| sum of the parts' gz added | ${builds.map((b) => `${(b.parts.reduce((n, p) => n + p.gz, 0) / 1000).toFixed(1)} KB`).join(" | ")} |`);
