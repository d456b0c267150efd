// The names of a package's wasm functions and the part of the SDK each belongs to, shared by
// bench/profile.mjs (time) and bench/size-profile.mjs (bytes), so that both sort alike.
// The names come from bench/named-wasm.sh's builds, which have the package's code byte for byte
// and keep the name section. Read the parts as where the code ended up after inlining, not as
// source files: wasm-bindgen inlines small methods into their export wrappers, and a closure's
// body lands in the shim that calls it, which the npm builds' compiler settings
// (scripts/npm-build-env.sh: v0 symbol names) name after the closure's function.
import { readFileSync } from "node:fs";
import path from "node:path";
import { functionNames, sectionBytes } from "../scripts/wasm-names.mjs";

/// The named wasm of a package directory: bench/named-wasm.sh writes named.wasm for the full
/// build (pkg/) and named-websocket.wasm for pkg/websocket/.
export function namedWasmFor(root, pkgDir) {
  const websocketOnly = path.resolve(root, pkgDir) === path.resolve(root, "pkg/websocket");
  return path.join(root, "target/profile", websocketOnly ? "named-websocket.wasm" : "named.wasm");
}

/// Function index → name for `wasmFile` (the package's), taken from `namedFile`, which must have
/// the same code and a name section.
export function namesFor(wasmFile, namedFile) {
  const named = readFileSync(namedFile);
  const code = (bytes) => Buffer.from(sectionBytes(bytes, 10) ?? []);
  if (!code(named).equals(code(readFileSync(wasmFile)))) {
    throw new Error(`${namedFile} does not have the code of ${wasmFile}: run bench/named-wasm.sh on the tree the package was built from (with wasm-bindgen-cli at Cargo.lock's version)`);
  }
  const names = functionNames(named);
  if (names.size === 0) throw new Error(`${namedFile} has no function names: bench/named-wasm.sh keeps them (-g)`);
  return names;
}

/// Rules on the name without crate disambiguators first (a trait impl is known by its trait),
/// then on it without hashes and with `<T as Trait>` reduced to `T`; the first match wins.
const RAW_RULES = [
  [/^__wbindgen_|^__externref_|^__rust_|^__wbg_universalsocket_free/, "wasm-bindgen, js-sys, web-sys runtime"],
  [/maybe_catch_unwind|^universalsocket_|^(encodeMessage|decodeMessage|liveTransportListeners|detectFeatures)\b/, "wasm-bindgen's export wrappers (the JS class's methods and getters)"],
  [/ shim$/, "wasm-bindgen, js-sys, web-sys runtime"],
  [/^(__multi3|memcmp|memcpy|memmove|memset)$|^<str>::/, "Rust core: other"],
];
const RULES = [
  [/^universal_socket::core::connection/, "core: connection state machine"],
  [/^universal_socket::core::session/, "core: resumable sessions"],
  [/^universal_socket::core::(batch|queue)/, "core: send queue and batching"],
  [/^universal_socket::core::(fallback|upgrade|backoff|closing|close_code|transport_kind|rng|float)/, "core: fallback, upgrade, backoff, closing"],
  [/^universal_socket::core::(codec|frame|payload)/, "core: binary codec and frames"],
  [/^universal_socket::core::/, "core: text, JSON check, errors"],
  [/^universal_socket::web::driver/, "driver (core ↔ transports ↔ JS)"],
  [/^universal_socket::web::(js_socket|js_events|listener|handoff|held_sends|events|socket|token|waiter)/, "JS API: class, events, listeners"],
  [/^universal_socket::(web::options|option_rules)/, "options: reading and checking"],
  [/^universal_socket::(endpoints|redact)/, "URLs, endpoints, token redaction"],
  [/^universal_socket::web::transport::(stream_support|event_rules|open|mod)\b|^universal_socket::web::transport::[A-Z]/, "transports: shared read loops and event rules"],
  [/^universal_socket::web::transport::(http_shared|sse|long_polling|base64)/, "transports: SSE and long polling"],
  [/^universal_socket::web::transport::(\w+)/, (m) => `transport: ${m[1].replace(/_/g, " ")}`],
  [/^universal_socket::allocator/, "allocator"],
  [/^universal_socket::/, "browser bindings, feature detection"],
  [/^(wasm_bindgen|js_sys|web_sys)::/, "wasm-bindgen, js-sys, web-sys runtime"],
  [/^core::ptr::drop_in_place/, "drop glue (any type)"],
  [/^alloc::/, "Rust alloc: Vec, Rc, String"],
  [/^core::|^&/, "Rust core: other"],
];

/// The part of the SDK a function belongs to, by its name.
export function partOf(name) {
  const plain = name.replace(/\[[0-9a-f]+\]/g, "");
  for (const [pattern, part] of RAW_RULES) if (pattern.test(plain)) return part;
  const clean = plain
    .replace(/::h[0-9a-f]{16}$/, "")
    .replace(/^<+/, "")
    .replace(/^([^ ]+(?:<[^>]*>)?) as [^>]+>/, "$1");
  for (const [pattern, part] of RULES) {
    const m = pattern.exec(clean);
    if (m) return typeof part === "function" ? part(m) : part;
  }
  return "other";
}
