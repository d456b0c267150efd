// The two browsers of the page tests, launched by puppeteer-core from Debian's packages
// (puppeteer never downloads a browser here).
import puppeteer from "puppeteer-core";

/**
 * Firefox reports its own network errors (a refused WebSocket, a connection cut by the server's
 * drop fault or by a reload) as page errors; they are the browser's, not an exception of the page.
 */
export const BROWSER_NETWORK_ERROR = /^(Error: )?(Firefox can.t establish a connection to the server at|The connection to .* was interrupted while the page was loading)/;

/** Calls `report` with each uncaught error of the page, leaving out the browser's network reports. */
export function onPageError(page, report) {
  page.on("pageerror", (error) => {
    if (!BROWSER_NETWORK_ERROR.test(String(error))) report(String(error));
  });
}

/** The page's uncaught errors, collected from now on (see `onPageError`). */
export function collectPageErrors(page) {
  const errors = [];
  onPageError(page, (error) => errors.push(error));
  return errors;
}

export function launchBrowsers() {
  return [
    {
      name: "firefox",
      launch: () => puppeteer.launch({ browser: "firefox", executablePath: "/usr/bin/firefox-esr", headless: true }),
    },
    {
      name: "chromium",
      launch: () =>
        puppeteer.launch({
          executablePath: "/usr/bin/chromium",
          headless: true,
          args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
        }),
    },
  ];
}
