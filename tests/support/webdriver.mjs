// Just enough W3C WebDriver to load a page in headless Firefox ESR through geckodriver and
// read a result back; Playwright cannot drive a stock Firefox.
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
 * Opens `url` in headless Firefox and polls `expression` (a script returning a value or
 * null) until it is not null, for at most `timeoutMs`. Always ends the browser.
 */
export async function firefoxEvaluate(url, expression, { timeoutMs = 60_000 } = {}) {
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
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`WebDriver ${path}: ${JSON.stringify(json.value)}`);
    return json.value;
  };
  const deadline = Date.now() + timeoutMs;
  let session;
  try {
    while (!session) {
      try {
        session = await call("POST", "/session", {
          capabilities: {
            alwaysMatch: {
              browserName: "firefox",
              "moz:firefoxOptions": {
                binary: "/usr/bin/firefox-esr",
                args: ["-headless"],
                prefs: { "app.update.auto": false, "network.connectivity-service.enabled": false },
              },
            },
          },
        });
      } catch (err) {
        if (Date.now() > deadline || !/fetch failed/.test(String(err.cause ?? err.message))) throw err;
        await new Promise((r) => setTimeout(r, 100)); // geckodriver still starting
      }
    }
    const id = session.sessionId;
    await call("POST", `/session/${id}/url`, { url });
    while (Date.now() < deadline) {
      const value = await call("POST", `/session/${id}/execute/sync`, { script: `return ${expression};`, args: [] });
      if (value !== null && value !== undefined) {
        await call("DELETE", `/session/${id}`).catch(() => {});
        return value;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await call("DELETE", `/session/${id}`).catch(() => {});
    throw new Error(`no result from ${url} within ${timeoutMs} ms`);
  } finally {
    driver.kill();
  }
}
