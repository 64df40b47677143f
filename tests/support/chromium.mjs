// Headless Chromium for the tests and benchmarks: Debian's /usr/bin/chromium through
// playwright-core (never a browser Playwright would download), with the flags this
// machine needs — no sandbox as root, and no background networking on a closed network.
import { chromium } from "playwright-core";

export function launchChromium(options = {}) {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
    timeout: 30_000,
    ...options,
  });
}
