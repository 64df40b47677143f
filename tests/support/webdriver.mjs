// Just enough W3C WebDriver to drive headless Firefox ESR through geckodriver (Playwright
// cannot drive a stock Firefox): one session whose windows share a profile — and so
// localStorage, Web Locks and BroadcastChannel, like tabs — and a one-page helper on top.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts geckodriver and a headless Firefox session. Resolves to `{ currentWindow(),
 * newWindow(), switchTo(handle), navigate(url), execute(script, args), close() }`;
 * `close()` always ends the browser and the driver.
 */
export async function startFirefox({ startTimeoutMs = 30_000 } = {}) {
  const port = await freePort();
  const driver = spawn(process.env.GECKODRIVER || "geckodriver", ["--port", String(port), "--host", "127.0.0.1"], {
    stdio: "ignore",
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method, path, body) => {
    const res = await fetch(base + path, {
      method,
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  };
  const deadline = Date.now() + startTimeoutMs;
  let id;
  try {
    while (!id) {
      try {
        const session = await call("POST", "/session", {
          capabilities: {
            alwaysMatch: {
              browserName: "firefox",
              "moz:firefoxOptions": {
                binary: "/usr/bin/firefox-esr",
                args: ["-headless"],
                prefs: {
                  "app.update.auto": false,
                  "network.connectivity-service.enabled": false,
                  // Windows the test is not looking at must keep their timers on time.
                  "dom.min_background_timeout_value": 4,
                  "dom.timeout.enable_budget_timer_throttling": false,
                },
              },
            },
          },
        });
        id = session.sessionId;
      } catch (err) {
        const starting = err.message === "fetch failed" && err.cause?.code === "ECONNREFUSED";
        if (Date.now() > deadline || !starting) throw err;
        await new Promise((r) => setTimeout(r, 100)); // geckodriver still starting
      }
    }
  } catch (err) {
    driver.kill();
    throw err;
  }
  const s = `/session/${id}`;
  return {
    currentWindow: () => call("GET", `${s}/window`),
    newWindow: async () => (await call("POST", `${s}/window/new`, { type: "window" })).handle,
    switchTo: (handle) => call("POST", `${s}/window`, { handle }),
    navigate: (url) => call("POST", `${s}/url`, { url }),
    execute: (script, args = []) => call("POST", `${s}/execute/sync`, { script, args }),
    close: async () => {
      await call("DELETE", s).catch(() => {});
      driver.kill();
    },
  };
}

/**
 * Opens `url` in headless Firefox and polls `expression` (a script returning a value or
 * null) until it is not null, for at most `timeoutMs`. Always ends the browser.
 */
export async function firefoxEvaluate(url, expression, { timeoutMs = 60_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  const firefox = await startFirefox({ startTimeoutMs: timeoutMs });
  try {
    await firefox.navigate(url);
    while (Date.now() < deadline) {
      const value = await firefox.execute(`return ${expression};`);
      if (value !== null && value !== undefined) return value;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no result from ${url} within ${timeoutMs} ms`);
  } finally {
    await firefox.close();
  }
}
