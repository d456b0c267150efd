// The two browsers of the page tests, launched by puppeteer-core from Debian's packages
// (puppeteer never downloads a browser here).
import puppeteer from "puppeteer-core";

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
