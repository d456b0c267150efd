// The peers of the bench, prepared in the same run as the measurements:
// - the guide's JS classes (RobustWebSocketManager, MessageBatcher, BinaryDataHandler), extracted
//   from ../shared/reference/websocket-guide.zh-CN.md at bench time, so the page runs the guide's
//   own code, not a copy that could drift from it;
// - partysocket's ReconnectingWebSocket, bundled for the page with esbuild;
// - the sizes of the libraries users compare us with, each bundled with esbuild --minify from an
//   entry that imports what a user imports, and gzip -9'd (the same gzip as our own files).
import { readFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const guidePath = path.join(root, "..", "shared", "reference", "websocket-guide.zh-CN.md");

/** The guide's classes the bench runs. */
const GUIDE_CLASSES = ["RobustWebSocketManager", "MessageBatcher", "BinaryDataHandler"];

/**
 * `class Name { … }` from the guide, byte for byte: from its line to the first line that is a lone
 * `}` (the guide's classes are top level, so their closing brace is the only one at column 0).
 * The usage examples around them (which open sockets to localhost:8080) are left out.
 */
function extractClass(text, name) {
  const start = text.indexOf(`\nclass ${name} {\n`);
  if (start < 0) throw new Error(`class ${name} not found in ${guidePath}`);
  const end = text.indexOf("\n}\n", start + 1);
  if (end < 0) throw new Error(`class ${name} has no closing brace in ${guidePath}`);
  return text.slice(start + 1, end + 2);
}

/** An ES module with the guide's classes, or `null` (with why) when the guide is not there. */
export function guideModule() {
  if (!existsSync(guidePath)) return { source: null, missing: `the guide is not at ${guidePath} (a clone without ../shared)` };
  const text = readFileSync(guidePath, "utf8");
  const classes = GUIDE_CLASSES.map((name) => extractClass(text, name));
  const source = `// Extracted by bench/peers.mjs from ${path.relative(root, guidePath)} (§7.1, §7.2), unchanged.\n`
    + `${classes.join("\n")}\nexport { ${GUIDE_CLASSES.join(", ")} };\n`;
  return { source, missing: null };
}

/** partysocket's reconnecting WebSocket as one ES module for the page. */
export async function partysocketModule() {
  const out = await esbuild.build({
    stdin: { contents: 'export { default as ReconnectingWebSocket } from "partysocket/ws";', resolveDir: root, loader: "js" },
    bundle: true, format: "esm", platform: "browser", write: false, logLevel: "silent",
  });
  return out.outputFiles[0].text;
}

const gzip9 = (bytes) => execFileSync("gzip", ["-9", "-c"], { input: bytes, maxBuffer: 64 << 20 }).length;

/** What a user of each peer imports; bundled and minified as their app's bundler would. */
const PEER_ENTRIES = [
  { name: "socket.io-client", entry: 'import { io } from "socket.io-client"; globalThis.peer = io;' },
  { name: "@microsoft/signalr", entry: 'import { HubConnectionBuilder } from "@microsoft/signalr"; globalThis.peer = HubConnectionBuilder;' },
  { name: "centrifuge", entry: 'import { Centrifuge } from "centrifuge"; globalThis.peer = Centrifuge;' },
  { name: "partysocket (PartySocket)", pkg: "partysocket", entry: 'import PartySocket from "partysocket"; globalThis.peer = PartySocket;' },
  { name: "partysocket/ws (ReconnectingWebSocket)", pkg: "partysocket", entry: 'import RWS from "partysocket/ws"; globalThis.peer = RWS;' },
];

async function bundle(entry) {
  const out = await esbuild.build({
    stdin: { contents: entry, resolveDir: root, loader: "js" },
    bundle: true, minify: true, format: "esm", platform: "browser", write: false, logLevel: "silent",
  });
  return Buffer.from(out.outputFiles[0].contents);
}

function version(pkg) {
  return JSON.parse(readFileSync(path.join(root, "node_modules", pkg, "package.json"), "utf8")).version;
}

/**
 * Sizes, raw and gzip -9: the peers bundled with esbuild --minify, and both of our builds as
 * wasm-pack ships them (wasm + glue) and with the glue through the same esbuild --minify.
 */
export async function sizes() {
  const ours = [];
  for (const [build, dir] of [["universal-socket (full)", "pkg"], ["universal-socket/websocket", "pkg/websocket"]]) {
    const wasm = readFileSync(path.join(root, dir, "universal_socket_bg.wasm"));
    const glue = readFileSync(path.join(root, dir, "universal_socket.js"));
    const minGlue = await bundle(`export * from "./${dir}/universal_socket.js"; export { default } from "./${dir}/universal_socket.js";`);
    ours.push({
      name: build, dir, wasm: { raw: wasm.length, gz: gzip9(wasm) }, glue: { raw: glue.length, gz: gzip9(glue) },
      glueMinified: { raw: minGlue.length, gz: gzip9(minGlue) },
    });
  }
  for (const o of ours) {
    o.raw = o.wasm.raw + o.glue.raw;
    o.gz = o.wasm.gz + o.glue.gz;
    o.gzMinified = o.wasm.gz + o.glueMinified.gz;
  }
  const peers = [];
  for (const p of PEER_ENTRIES) {
    const pkg = p.pkg ?? p.name;
    const bytes = await bundle(p.entry);
    peers.push({ name: p.name, version: version(pkg), entry: p.entry, raw: bytes.length, gz: gzip9(bytes) });
  }
  return { ours, peers };
}
