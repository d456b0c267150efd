// Page tests of the demo (what `npm start` serves), in headless Firefox and Chromium via
// puppeteer-core, against the reference server started by scripts/test-all.sh.
import { test } from "node:test";
import assert from "node:assert/strict";
import { collectPageErrors, launchBrowsers } from "./browsers.mjs";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Screenshots of the demo, kept after a run (git-ignored). */
const artifacts = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "test-artifacts");

const base = process.env.UNIVERSAL_SOCKET_TEST_SERVER;
assert.ok(base, "UNIVERSAL_SOCKET_TEST_SERVER is not set: run `npm test`");

const logText = (page) => page.$eval("#log", (log) => log.textContent);

async function waitForLog(page, needle, timeout = 15_000) {
  // Polled on a timer, not on animation frames: a background tab (the two-page test) gets none.
  await page.waitForFunction((n) => document.getElementById("log").textContent.includes(n), { timeout, polling: 100 }, needle)
    .catch(async () => assert.fail(`log never showed ${JSON.stringify(needle)}; it shows: ${await logText(page)}`));
}

/** Opens the demo in a new tab once its wasm is loaded; `errors` collects page errors. */
async function openDemo(browser) {
  const page = await browser.newPage();
  const errors = collectPageErrors(page);
  await page.goto(`${base}/`, { waitUntil: "load" });
  await page.waitForSelector('#features[data-state="ready"]', { timeout: 20_000 });
  return { page, errors };
}

for (const { name, launch } of launchBrowsers()) {
  test(`${name}: the demo loads the wasm, shows detectFeatures() and chats over UniversalSocket`, { timeout: 90_000 }, async () => {
    const browser = await launch();
    try {
      const { page, errors } = await openDemo(browser);
      const features = JSON.parse(await page.$eval("#features", (el) => el.dataset.json));
      assert.equal(features.webSocket, true);
      assert.equal(features.eventSource, true);
      assert.equal(features.webTransport, true);
      assert.equal(features.webSocketStream, name === "chromium", `WebSocketStream in ${name}`);
      assert.equal(await page.$$eval("#features tr", (rows) => rows.length), 7, "one row per feature");

      // Chat over the best transport: WebTransport in both browsers.
      await page.click("#connect");
      await page.waitForFunction(() => document.getElementById("state").textContent === "open", { timeout: 15_000 });
      assert.equal(await page.$eval("#transport", (el) => el.textContent), "webtransport");
      await waitForLog(page, "welcome, client_");
      await page.click("#join");
      await waitForLog(page, "joined lobby");
      await page.type("#text", `hello from ${name}`);
      await page.click("#send");
      // Our own message is shown as sent, then marked delivered when the room's copy comes back
      // (instead of appearing a second time).
      await waitForLog(page, `you: hello from ${name} ✓ delivered`);
      assert.ok(!(await logText(page)).includes(`in lobby: hello from ${name}`), "our own message logged twice");

      // The status panel measures the round-trip time (the demo pings every 5 s).
      await page.waitForFunction(() => /^\d+$/.test(document.querySelector('[data-status="rtt"]').textContent),
        { timeout: 12_000 });
      // Server metrics arrive on the second socket.
      await page.waitForFunction(() => document.querySelector('[data-metric="connections"]').textContent !== "—", { timeout: 10_000 });
      // …and each chart receives points.
      await page.waitForFunction(() => ["cpu_usage", "memory_rss", "connections"]
        .every((m) => Number(document.querySelector(`[data-chart="${m}"]`).dataset.points ?? 0) >= 2), { timeout: 10_000 });

      // Force a fallback: only SSE and long polling ticked, SSE it is.
      await page.click("#disconnect");
      await waitForLog(page, "closed (1000 bye)");
      for (const transport of ["webtransport", "websocket"]) await page.click(`#transports input[value="${transport}"]`);
      await page.click("#connect");
      await page.waitForFunction(() => document.getElementById("state").textContent === "open", { timeout: 15_000 });
      assert.equal(await page.$eval("#transport", (el) => el.textContent), "sse");
      await page.click("#join");
      await page.type("#text", "over sse");
      await page.click("#send");
      await waitForLog(page, "you: over sse ✓ delivered");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
}

for (const { name, launch } of launchBrowsers()) {
  test(`${name}: the demo's fault buttons show a drop, a fallback and the climb back in its timeline`, { timeout: 120_000 }, async () => {
    const browser = await launch();
    try {
      const { page, errors } = await openDemo(browser);
      await page.click("#connect");
      await page.waitForFunction(() => document.getElementById("state").textContent === "open", { timeout: 15_000 });
      assert.equal(await page.$eval("#transport", (el) => el.textContent), "webtransport");
      // In a room, so that our messages come back and are marked delivered; the room is kept
      // across the drop and the fallback (the session resumes).
      const room = `faults-${name}-${Date.now().toString(36)}`;
      await page.$eval("#room", (el, value) => { el.value = value; }, room);
      await page.click("#join");
      await waitForLog(page, `joined ${room}`);
      const chatAndCheck = async (text) => {
        await page.$eval("#text", (el, value) => { el.value = value; }, text);
        await page.click("#send");
        await waitForLog(page, `you: ${text} ✓ delivered`);
      };
      await chatAndCheck("before the drop");

      await page.click('[data-fault="drop"]');
      await waitForLog(page, "server: drop all connections");
      await waitForLog(page, "disconnected (");
      await waitForLog(page, "reconnected on webtransport");
      await page.waitForFunction(() => Number(document.querySelector('[data-status="reconnects"]').textContent) >= 1,
        { timeout: 5_000 });
      await chatAndCheck("after the drop");
      // The chat session was resumed, not restarted: the status panel counts it.
      await page.waitForFunction(() => /^resumable \([1-9]\d* resumed, 0 lost\)$/.test(document.querySelector('[data-status="session"]').textContent),
        { timeout: 5_000 }).catch(async (error) => {
        throw new Error(`session status: ${await page.$eval('[data-status="session"]', (el) => el.textContent)} (${error.message})`);
      });

      // WebTransport refused, then every connection dropped: the reconnect falls back.
      await page.click('[data-transport="webtransport"]');
      await waitForLog(page, "server: webtransport disabled");
      await page.click('[data-fault="drop"]');
      await waitForLog(page, "fallback webtransport → websocket");
      await waitForLog(page, "reconnected on websocket");
      await page.waitForFunction(() => document.querySelector('[data-status="transport"]').textContent === "websocket",
        { timeout: 5_000 });
      await chatAndCheck("after the fallback");

      // WebTransport is back: the socket climbs back in the background (upgradeAfterMs 5000).
      await page.click('[data-transport="webtransport"]');
      await waitForLog(page, "server: webtransport enabled");
      await waitForLog(page, "upgrade websocket → webtransport", 20_000);
      await page.waitForFunction(() => document.querySelector('[data-status="transport"]').textContent === "webtransport",
        { timeout: 5_000 });
      // A test artifact (git-ignored) to look at: the timeline after the whole story.
      mkdirSync(artifacts, { recursive: true });
      await page.screenshot({ path: join(artifacts, `demo-faults-${name}.png`), fullPage: true });
      assert.deepEqual(errors, []);
    } finally {
      await fetch(`${base}/control/reset`, { method: "POST" }).catch(() => {});
      await browser.close();
    }
  });
}

/** Clicks through the DOM: two tabs share one browser window, and a background tab may not
 * receive synthesized mouse input. */
const press = (page, selector) => page.$eval(selector, (el) => el.click());

/** Types `text` into the message box and sends it. */
async function say(page, text) {
  await page.$eval("#text", (el, value) => { el.value = value; }, text);
  await press(page, "#send");
}

/** Sets a demo tab's name and transports (only `transport` ticked), connects, waits for `open`. */
async function connectAs(page, name, transport) {
  await page.$eval("#name", (el, value) => { el.value = value; }, name);
  await page.$$eval("#transports input", (boxes, t) => { for (const box of boxes) box.checked = box.value === t; }, transport);
  await press(page, "#connect");
  await page.waitForFunction(() => document.getElementById("state").textContent === "open", { timeout: 15_000, polling: 100 });
  assert.equal(await page.$eval("#transport", (el) => el.textContent), transport);
}

for (const { name, launch } of launchBrowsers()) {
  test(`${name}: two demo pages on different transports chat: room, names, private message, leave`, { timeout: 120_000 }, async () => {
    const browser = await launch();
    const room = `e2e-${name}-${Date.now().toString(36)}`;
    const alice = `alice-${name}`;
    const bob = `bob-${name}`;
    try {
      const a = await openDemo(browser);
      const b = await openDemo(browser);
      // Alice on WebSocket, Bob on long polling: one chat across two transports.
      await connectAs(a.page, alice, "websocket");
      await connectAs(b.page, bob, "long-polling");
      // Each learns the other's name (announced with the chat protocol's broadcast, answered
      // privately) and shows it with the end of the id: "alice-firefox#1a2b".
      await waitForLog(a.page, `${bob}#`);
      await waitForLog(b.page, `${alice}#`);
      const tagOf = async (page, who) => page.$$eval("#to option", (options, w) =>
        options.map((o) => o.textContent.split(" ")[0]).find((t) => t.startsWith(`${w}#`)), who);
      const aliceTag = await tagOf(b.page, alice);
      const bobTag = await tagOf(a.page, bob);
      assert.ok(aliceTag && bobTag, `tags ${aliceTag} ${bobTag}`);
      assert.ok(Number(await a.page.$eval("#online", (el) => el.textContent)) >= 2, "online count on Alice's page");

      for (const { page } of [a, b]) {
        await page.$eval("#room", (el, value) => { el.value = value; }, room);
        await press(page, "#join");
        await waitForLog(page, `joined ${room}`);
      }
      await waitForLog(a.page, `${bobTag} joined ${room}`);
      assert.equal(await a.page.$eval("#current-room", (el) => el.textContent), room);

      // A room message from Alice reaches Bob (and comes back to Alice as delivered).
      await say(a.page, "hello bob");
      await waitForLog(b.page, `${aliceTag} in ${room}: hello bob`);
      await waitForLog(a.page, "you: hello bob ✓ delivered");

      // A private message from Bob reaches Alice only.
      const aliceId = await b.page.$$eval("#to option", (options, who) => options.find((o) => o.textContent.startsWith(who))?.value, alice);
      assert.match(aliceId ?? "", /^client_/, "Alice is in Bob's send-to list");
      await b.page.$eval("#to", (el, value) => { el.value = value; }, aliceId);
      await say(b.page, "just for you");
      await waitForLog(a.page, `${bobTag} → you (private): just for you`);
      await waitForLog(b.page, `you → ${aliceTag} (private): just for you — sent`);

      // Alice leaves the room: Bob sees it; then Alice closes: Bob sees her disconnect.
      await press(a.page, "#leave");
      await waitForLog(b.page, `${aliceTag} left ${room}`);
      await press(a.page, "#disconnect");
      await waitForLog(b.page, `${aliceTag} disconnected (`);
      // Bob had chosen Alice: the choice stays (marked as left) and sending is refused, never
      // turned into a public message.
      await say(b.page, "are you there?");
      await waitForLog(b.page, "has left: message not sent");
      assert.ok(!(await logText(b.page)).includes("you: are you there?"), "a private message went public");

      mkdirSync(artifacts, { recursive: true });
      await a.page.screenshot({ path: join(artifacts, `demo-two-pages-alice-${name}.png`), fullPage: true });
      await b.page.screenshot({ path: join(artifacts, `demo-two-pages-bob-${name}.png`), fullPage: true });
      assert.deepEqual([...a.errors, ...b.errors], []);
    } finally {
      await browser.close();
    }
  });
}
