// The npm package as a user installs it (issue 10, item 1): `npm pack` of pkg/ (what
// `npm run build` makes), `npm install` of that tarball in a fresh directory outside the repo,
// then `import init, { UniversalSocket } from "universal-socket"` (a) type-checked by `tsc
// --strict` with a typical app's lib settings and (b) run in a plain `<script type="module">`
// page (an import map resolves the bare name, as in any page without a bundler) and (c) in a Vite
// production build (`vite build`, then the built page), in headless Firefox and Chromium, echoing
// through the reference server.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowsers } from "./browsers.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const base = process.env.UNIVERSAL_SOCKET_TEST_SERVER;
assert.ok(base, "UNIVERSAL_SOCKET_TEST_SERVER is not set: run `npm test`");

let dir;
let app;
let pageServer;
let pageUrl;
/// The directory the page server serves: the app itself, or Vite's `dist/`.
let served;

const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "universal-socket-install-"));
  app = join(dir, "app");
  run("mkdir", ["-p", app]);
  const tarball = run("npm", ["pack", join(root, "pkg"), "--pack-destination", dir, "--silent"], root).trim();
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  // --offline: the tarball has no dependencies, so nothing may come from a registry.
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(dir, tarball)], app);

  pageServer = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(request.url.split("?")[0]));
    const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
    try {
      const body = await readFile(join(served, path === "/" ? "index.html" : path));
      response.writeHead(200, { "content-type": types[extname(path) || ".html"] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  served = app;
  await new Promise((resolve) => pageServer.listen(0, "127.0.0.1", resolve));
  pageUrl = `http://127.0.0.1:${pageServer.address().port}/`;
});

after(async () => {
  if (pageServer?.listening) await new Promise((resolve) => pageServer.close(resolve));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the installed package.json is complete", () => {
  const pkg = JSON.parse(readFileSync(join(app, "node_modules", "universal-socket", "package.json"), "utf8"));
  for (const key of ["name", "version", "description", "license", "repository", "keywords", "types", "files",
    "sideEffects", "exports"]) {
    assert.ok(pkg[key] !== undefined, `package.json has no ${key}`);
  }
  assert.equal(pkg.name, "universal-socket");
  assert.deepEqual(pkg.exports["."], { types: "./universal_socket.d.ts", default: "./universal_socket.js" });
  assert.deepEqual(pkg.exports["./websocket"],
    { types: "./websocket/universal_socket.d.ts", default: "./websocket/universal_socket.js" });
  for (const file of ["universal_socket.js", "universal_socket_bg.wasm", "universal_socket.d.ts", "README.md",
    "websocket/universal_socket.js", "websocket/universal_socket_bg.wasm", "websocket/universal_socket.d.ts"]) {
    assert.ok(readFileSync(join(app, "node_modules", "universal-socket", file)).length > 0, `${file} installed`);
  }
});

test("the installed README is the package's, for people who install it", () => {
  const readme = readFileSync(join(app, "node_modules", "universal-socket", "README.md"), "utf8");
  assert.match(readme, /^# universal-socket\n/);
  assert.ok(readme.includes("npm install universal-socket"), "install command");
  assert.ok(readme.includes('from "universal-socket"') && readme.includes("universal-socket/websocket"), "both entry points");
  assert.ok(!readme.includes("npm test"), "the repository's developer commands");
});

test("an app with lib es2022 + dom + esnext.disposable type-checks under tsc --strict", () => {
  writeFileSync(join(app, "app.ts"), [
    'import init, { UniversalSocket, type UniversalSocketOptions } from "universal-socket";',
    "await init();",
    'const options: UniversalSocketOptions = { transports: ["websocket"], reconnect: { maxAttempts: 3 } };',
    'const socket = new UniversalSocket("https://example.com/chat", options);',
    'const plain = new UniversalSocket("wss://example.com/ws/chat");',
    'socket.on("message", ({ data }) => console.log(data));',
    "await socket.connect();",
    'socket.send({ hello: "world" });',
    "const { code } = await socket.close();",
    "console.log(code, plain.readyState);",
    "",
  ].join("\n"));
  writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      strict: true, noEmit: true, target: "es2022", module: "es2022", moduleResolution: "bundler",
      // The class has `[Symbol.dispose]()` (wasm-bindgen), declared by lib esnext.disposable.
      lib: ["es2022", "dom", "esnext.disposable"],
    },
    files: ["app.ts"],
  }));
  try {
    run(join(root, "node_modules", ".bin", "tsc"), ["-p", app], app);
  } catch (error) {
    assert.fail(`tsc failed:\n${error.stdout}${error.stderr}`);
  }
});

test("both installed builds: the wasm's imports have short names, each defined by the glue; the declarations name real exports", async () => {
  const { importProblems } = await import(join(root, "scripts", "check-wasm-imports.mjs"));
  const installed = join(app, "node_modules", "universal-socket");
  for (const build of [installed, join(installed, "websocket")]) {
    assert.deepEqual(await importProblems(build), [], build);
    const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(build, "universal_socket_bg.wasm"))))
      .map(({ name }) => name);
    const declarations = readFileSync(join(build, "universal_socket.d.ts"), "utf8");
    const initOutput = declarations.slice(declarations.indexOf("export interface InitOutput {"));
    const declared = [...initOutput.slice(0, initOutput.indexOf("\n}")).matchAll(/^ {4}readonly (\S+): /gm)].map((m) => m[1]);
    assert.ok(declared.includes("memory") && declared.length > 10, `InitOutput in ${build}`);
    assert.deepEqual(declared.filter((name) => !exports.includes(name)), [], `InitOutput names no missing export (${build})`);
  }
  const wasmDeclarations = readFileSync(join(root, "pkg", "universal_socket_bg.wasm.d.ts"), "utf8");
  const declared = [...wasmDeclarations.matchAll(/^export const (\S+): /gm)].map((m) => m[1]);
  const exports = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(join(root, "pkg", "universal_socket_bg.wasm"))));
  assert.ok(declared.length > 10);
  assert.deepEqual(declared.filter((name) => !exports.some((entry) => entry.name === name)), [],
    "universal_socket_bg.wasm.d.ts names only real exports");
});

/// A module script that echoes one message through the installed package (the full build, then
/// the WebSocket-only one) and puts the outcome in the page title. The WebSocket-only build must
/// also refuse SSE (not built in) with a clear error.
async function echoScript() {
  const config = await (await fetch(`${base}/config`)).json();
  return `import init, { UniversalSocket } from "universal-socket";
  import initWs, { UniversalSocket as WsOnly } from "universal-socket/websocket";
  const echo = async (Socket) => {
    const socket = new Socket(${JSON.stringify(config.ws.echo)}, { transports: ["websocket"], heartbeat: false });
    const echoed = new Promise((resolve) => socket.on("message", ({ data }) => resolve(data)));
    await socket.connect();
    socket.send("hello from an installed package");
    const data = await echoed;
    await socket.close();
    return data;
  };
  try {
    await init();
    await initWs();
    // The glue is minified with names kept: the class still says what it is.
    if (UniversalSocket.name !== "UniversalSocket" || WsOnly.name !== "UniversalSocket") throw new Error("class renamed");
    const data = await echo(UniversalSocket);
    const wsData = await echo(WsOnly);
    if (wsData !== data) throw new Error("the WebSocket-only build echoed " + wsData);
    const sse = new WsOnly(${JSON.stringify(config.http)} + "/echo", { transports: ["sse"] });
    const refused = await sse.connect().then(() => "connected", (e) => e.message);
    if (!/no configured transport is supported/.test(refused)) throw new Error("the WebSocket-only build with SSE: " + refused);
    document.title = "echo: " + data;
  } catch (error) {
    document.title = "error: " + error.message;
  }`;
}

async function expectEcho(launch) {
  const browser = await launch();
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl, { waitUntil: "load" });
    await page.waitForFunction(() => document.title.startsWith("echo:") || document.title.startsWith("error:"),
      { timeout: 20_000 });
    assert.equal(await page.title(), "echo: hello from an installed package");
  } finally {
    await browser.close();
  }
}

test("plain module page and Vite build", { timeout: 240_000 }, async (t) => {
  const script = await echoScript();
  served = app;
  writeFileSync(join(app, "index.html"), `<!doctype html>
<meta charset="utf-8">
<script type="importmap">{ "imports": {
  "universal-socket": "./node_modules/universal-socket/universal_socket.js",
  "universal-socket/websocket": "./node_modules/universal-socket/websocket/universal_socket.js"
} }</script>
<script type="module">${script}</script>`);
  for (const { name, launch } of launchBrowsers()) {
    await t.test(`${name}: a plain module page imports the installed package and echoes`, () => expectEcho(launch));
  }

  // The same app through a bundler: `vite build` must find the package and its wasm.
  writeFileSync(join(app, "index.html"), `<!doctype html>
<meta charset="utf-8">
<script type="module" src="./main.js"></script>`);
  writeFileSync(join(app, "main.js"), script);
  try {
    run(join(root, "node_modules", ".bin", "vite"), ["build", "--logLevel", "warn", app], app);
  } catch (error) {
    assert.fail(`vite build failed:\n${error.stdout}${error.stderr}`);
  }
  served = join(app, "dist");
  for (const { name, launch } of launchBrowsers()) {
    await t.test(`${name}: the Vite production build runs and echoes`, () => expectEcho(launch));
  }
});
