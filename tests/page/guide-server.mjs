// Runs the guide's Node `ws` chat server (§4 of ../shared/reference/websocket-guide.zh-CN.md)
// exactly as the guide prints it: the code block is extracted at test time, not copied, so any
// edit would have to be made to the guide itself. It listens on port 8080 (hard-coded in the
// guide) and admits only origin http://localhost:3000 with a non-empty ?token=.
import { readFileSync, writeFileSync, mkdtempSync, existsSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const guide = join(root, "..", "shared", "reference", "websocket-guide.zh-CN.md");

/** Why the guide's server cannot run here (`undefined` when it can): the guide lives outside the
 * repository, in `../shared`, which a plain clone does not have. */
export function guideMissing() {
  return existsSync(guide)
    ? undefined
    : `skipped: the guide is not at ${guide} (a clone without ../shared); this test runs the guide's own server code, extracted from it`;
}

/** The guide's server source, byte for byte. */
export function guideServerSource() {
  const text = readFileSync(guide, "utf8");
  const start = text.indexOf("### 基础服务器实现");
  const open = text.indexOf("```javascript\n", start);
  const close = text.indexOf("\n```", open + 14);
  if (start < 0 || open < 0 || close < 0) throw new Error(`could not find the server code in ${guide}`);
  const source = text.slice(open + "```javascript\n".length, close);
  if (!source.includes("class WebSocketServer") || !source.includes("wsServer.start()")) {
    throw new Error("the extracted code is not the guide's WebSocketServer");
  }
  return source;
}

/** Starts it; resolves with a stop function once it listens. */
export async function startGuideServer() {
  const dir = mkdtempSync(join(tmpdir(), "guide-server-"));
  const file = join(dir, "server.cjs");
  writeFileSync(file, guideServerSource());
  const preload = join(root, "tests", "page", "loopback-only.cjs");
  const child = spawn(process.execPath, ["--require", preload, file], {
    env: { ...process.env, NODE_PATH: join(root, "node_modules") },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`guide server did not start: ${output}`)), 10_000);
    child.stdout.on("data", () => {
      if (output.includes("8080")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on("exit", (code) => reject(new Error(`guide server exited with ${code}: ${output}`)));
  });
  return {
    output: () => output,
    stop: () => new Promise((resolve) => { child.once("exit", resolve); child.kill("SIGTERM"); }),
  };
}
