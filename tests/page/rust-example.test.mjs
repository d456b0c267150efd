// Page test of examples/rust-chat (issue 10, item 5): a page driven by the Rust API alone
// (`Socket`, `send_json`, `Payload::json`), built by scripts/build-rust-example.sh into
// www/rust-chat/ and served by the reference server started by scripts/test-all.sh. In headless
// Firefox and Chromium: the greeting the page sends on connect comes back from `echo` and is
// written into the page, and so does a note typed into its form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { collectPageErrors, launchBrowsers } from "./browsers.mjs";

const base = process.env.UNIVERSAL_SOCKET_TEST_SERVER;
assert.ok(base, "UNIVERSAL_SOCKET_TEST_SERVER is not set: run `npm test`");

const pageText = (page) => page.$eval("body", (body) => body.innerText);

async function waitForLine(page, line, timeout = 30_000) {
  await page.waitForFunction((l) => [...document.querySelectorAll("#log li")].some((li) => li.textContent === l),
    { timeout }, line)
    .catch(async () => assert.fail(`the page never showed ${JSON.stringify(line)}; it shows:\n${await pageText(page)}`));
}

for (const { name, launch } of launchBrowsers()) {
  test(`${name}: the Rust example page echoes typed notes through Socket alone`, { timeout: 90_000 }, async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const errors = collectPageErrors(page);
      await page.goto(`${base}/rust-chat/`, { waitUntil: "load" });
      // Sent with send_json on connect, decoded with Payload::json when echoed.
      await waitForLine(page, "rust: hello from Rust");
      assert.match(await page.$eval("#status", (el) => el.textContent), /^open on /);
      await page.type("#text", `typed in ${name}`);
      await page.click("#send-form button");
      await waitForLine(page, `you: typed in ${name}`);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
}
