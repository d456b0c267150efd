// Page test of the demo (what `npm start` serves), in headless Firefox and Chromium via
// puppeteer-core, against the reference server started by scripts/test-all.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowsers } from "./browsers.mjs";

const base = process.env.UNIVERSAL_SOCKET_TEST_SERVER;
assert.ok(base, "UNIVERSAL_SOCKET_TEST_SERVER is not set: run `npm test`");

for (const { name, launch } of launchBrowsers()) {
  test(`${name}: the demo page loads the wasm and shows detectFeatures()`, { timeout: 60_000 }, async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const errors = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      await page.goto(`${base}/`, { waitUntil: "load" });
      await page.waitForSelector('#features[data-state="ready"]', { timeout: 20_000 });
      const features = JSON.parse(await page.$eval("#features", (el) => el.dataset.json));
      assert.equal(features.webSocket, true);
      assert.equal(features.eventSource, true);
      assert.equal(features.webTransport, true);
      assert.equal(features.webSocketStream, name === "chromium", `WebSocketStream in ${name}`);
      const rows = await page.$$eval("#features tr", (rows) => rows.length);
      assert.equal(rows, 7, "one row per feature");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
}
