// Completes the package.json that wasm-pack writes into pkg/: what npm and bundlers need to
// install and resolve `import init, { UniversalSocket } from "universal-socket"` the way users
// write it (an `exports` map with the types first, keywords, the files list with the README).
// Run by scripts/build-pkg.sh after `wasm-pack build`; checked by tests/page/package.test.mjs.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";

const path = new URL("../pkg/package.json", import.meta.url);
const pkg = JSON.parse(readFileSync(path, "utf8"));
const required = ["name", "version", "description", "license", "repository", "main", "types", "files"];
const missing = required.filter((key) => !(key in pkg));
if (missing.length) throw new Error(`pkg/package.json from wasm-pack lacks ${missing.join(", ")}`);

// wasm-pack names and versions the package after the crate it builds, `wasm/`
// (universal-socket-wasm: see wasm/Cargo.toml); users install universal-socket, at its version.
pkg.name = "universal-socket";
pkg.version = readFileSync(new URL("../Cargo.toml", import.meta.url), "utf8").match(/^version = "([^"]+)"/m)[1];
pkg.keywords = ["websocket", "webtransport", "sse", "eventsource", "long-polling", "realtime",
  "reconnect", "wasm", "rust"];
pkg.exports = {
  ".": { types: `./${pkg.types}`, default: `./${pkg.main}` },
  // `init()` fetches the wasm next to the glue; bundlers that copy assets resolve it through this.
  "./universal_socket_bg.wasm": "./universal_socket_bg.wasm",
  // The WebSocket-only build (scripts/build-pkg.sh): the same API, two transports, fewer bytes.
  "./websocket": { types: "./websocket/universal_socket.d.ts", default: "./websocket/universal_socket.js" },
  "./websocket/universal_socket_bg.wasm": "./websocket/universal_socket_bg.wasm",
  "./package.json": "./package.json",
};
// TypeScript's older `"moduleResolution": "node"` ignores `exports`: this finds the subpath's types.
pkg.typesVersions = { "*": { websocket: ["websocket/universal_socket.d.ts"] } };
// The inline JS snippets wasm-pack lists are put into the glue (scripts/short-wasm-names.mjs).
pkg.files = [...new Set([...pkg.files, "README.md", "websocket/"])].filter((file) => !file.startsWith("snippets"));
// The glue only defines things (with its snippets put in, no file is left to keep).
pkg.sideEffects = false;
writeFileSync(path, `${JSON.stringify(pkg, null, 2)}\n`);
// The package's README is for people who install it (wasm-pack copies the repository's, which
// opens with the repository's own `npm start` / `npm test`).
copyFileSync(new URL("package-readme.md", import.meta.url), new URL("../pkg/README.md", import.meta.url));
