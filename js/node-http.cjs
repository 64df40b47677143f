"use strict";
// A fetch for Node built on node:http and node:https with keep-alive agents, for
// oauth2-wasm's `fetch` option: Node's built-in fetch (undici) is most of the client CPU
// a token request costs; this is a fraction of it (bench/node-http.mjs).
//
// It implements what oauth2-wasm's requestToken and TokenManager send: a string or URL,
// `method`, `headers` (an object, a Headers or pairs), a string `body`, `signal`, and
// `redirect: "manual"` (node:http never follows redirects). It resolves to a real `Response`
// whose body streams from the socket, so a reader that stops early (oauth2-wasm stops at
// 256 KiB) never downloads the rest: cancelling the body closes the connection.
// Anything else — a Request object, another body type, redirects to follow, a non-http(s)
// URL — goes to globalThis.fetch unchanged, so TokenManager#fetch keeps working.
//
// Like fetch: network errors reject with a TypeError whose `cause` is Node's error (with
// `code`: ECONNREFUSED, ECONNRESET, ENOTFOUND …), an abort rejects with `signal.reason`
// (a DOMException named "AbortError" by default), and gzip, deflate and br bodies are
// decoded (it asks for `accept-encoding: identity` unless told otherwise). Unlike fetch:
// a status outside 200–599, which a Response cannot hold, rejects with a TypeError whose
// cause has code "HPE_INVALID_STATUS"; no cookies are kept (`credentials` is ignored);
// `response.url` is "".

const http = require("node:http");
// node:https (TLS, crypto) and node:zlib load on first use: importing this module costs
// what node:http costs, not 2–3× that.
let https;
const httpsModule = () => (https ??= require("node:https"));

const DECODERS = {
  gzip: () => require("node:zlib").createGunzip(),
  "x-gzip": () => require("node:zlib").createGunzip(),
  deflate: () => require("node:zlib").createInflate(),
  br: () => require("node:zlib").createBrotliDecompress(),
};
const NULL_BODY_STATUS = new Set([204, 205, 304]);
const EXCHANGE = Symbol.for("oauth2-wasm.exchange");
const UTF8 = new TextDecoder();

/**
 * A fetch over node:http/node:https. `agent` (an http.Agent or https.Agent used for every
 * request, or `{ http, https }`) replaces the keep-alive agents built from `keepAlive` and
 * `maxSockets`.
 */
function createNodeHttpFetch({ keepAlive = true, maxSockets = Infinity, agent } = {}) {
  const single = agent instanceof http.Agent ? agent : undefined;
  let secure = single ?? agent?.https;
  const agents = {
    "http:": single ?? agent?.http ?? new http.Agent({ keepAlive, maxSockets }),
    get "https:"() {
      return (secure ??= new (httpsModule().Agent)({ keepAlive, maxSockets }));
    },
  };
  function nodeHttpFetch(input, init) {
    init ??= {};
    const url = typeof input === "string" || input instanceof URL ? parse(input) : null;
    const body = init.body;
    if (
      !url ||
      !(url.protocol in agents) ||
      url.username ||
      url.password ||
      init.redirect !== "manual" ||
      !(body == null || typeof body === "string")
    ) {
      return globalThis.fetch(input, init);
    }
    return send(url, init, agents[url.protocol]);
  }
  // oauth2-wasm's token requests skip the Response: the same agents, its own outcome.
  nodeHttpFetch[EXCHANGE] = (url, method, headers, body, timeoutMs, signal, max) => {
    const target = parse(url);
    if (!target || !(target.protocol in agents) || target.username || target.password) return undefined;
    return exchange(target, method, requestHeaders(headers, body), body, timeoutMs, signal, max, agents[target.protocol]);
  };
  return nodeHttpFetch;
}

/**
 * One token request for oauth2-wasm (src/web/exchange.js has the generic one, over fetch):
 * resolves to its outcome — never rejects — with the time limit and the signal destroying
 * the request, redirects not followed, the body read up to `max` bytes.
 */
function exchange(url, method, headers, body, timeoutMs, signal, max, agent) {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve({ fault: "aborted" });
    let done = false;
    let duringBody = false;
    let source = null;
    const settle = (outcome) => {
      if (done) return false;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(outcome);
      return true;
    };
    const end = (outcome) => {
      if (settle(outcome)) {
        req.destroy(); // the connection is not reused
        source?.destroy();
      }
    };
    const failed = (err) => end({ fault: "network", code: err?.code, duringBody });
    const transport = url.protocol === "https:" ? httpsModule() : http;
    const sentAt = Date.now();
    let req;
    try {
      req = transport.request(url, { method, headers, agent });
    } catch (err) {
      // A header value node:http refuses (ERR_INVALID_CHAR …): nothing was sent.
      return resolve({ fault: "network", code: err?.code });
    }
    const onAbort = () => end({ fault: "aborted" });
    const timer = setTimeout(() => end({ fault: "timeout" }), timeoutMs); // within range: the core clamps it (transport::timer_ms)
    signal?.addEventListener("abort", onAbort);
    req.on("error", failed);
    req.on("response", (res) => {
      const status = res.statusCode;
      if (status < 200 || status > 599) return failed({ code: "HPE_INVALID_STATUS" });
      // As fetch's Headers.get reads them: repeated lines joined with ", " (node:http keeps
      // only the first content-type, retry-after or location).
      const h = Object.create(null);
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const name = res.rawHeaders[i].toLowerCase();
        h[name] = name in h ? `${h[name]}, ${res.rawHeaders[i + 1]}` : res.rawHeaders[i + 1];
      }
      const out = { status, sentAt };
      if (status < 300 || status >= 400) {
        out.contentType = h["content-type"];
        out.retryAfter = h["retry-after"];
        out.date = h.date;
        out.wwwAuthenticate = h["www-authenticate"];
        out.dpopNonce = h["dpop-nonce"];
      } else {
        out.location = h.location;
        return end(out);
      }
      if (Number(h["content-length"]) > max) return end(Object.assign(out, { oversized: true }));
      if (NULL_BODY_STATUS.has(status) || method === "HEAD") {
        res.resume(); // nothing to read: the socket goes back to the agent
        return settle(Object.assign(out, { body: "" }));
      }
      duringBody = true;
      const decode = DECODERS[(h["content-encoding"] ?? "").trim().toLowerCase()];
      source = decode ? res.pipe(decode()) : res;
      res.on("error", failed);
      if (decode) source.on("error", failed);
      const chunks = [];
      let total = 0;
      source.on("data", (chunk) => {
        total += chunk.length;
        if (total > max) end(Object.assign(out, { oversized: true }));
        else chunks.push(chunk);
      });
      // Decoded as fetch's text() decodes: a leading BOM dropped, bad bytes replaced.
      source.on("end", () => settle(Object.assign(out, { body: UTF8.decode(Buffer.concat(chunks, total)) })));
      source.on("close", () => failed({ code: "ECONNRESET" })); // closed before its end
    });
    req.end(body);
  });
}

function send(url, init, agent) {
  return new Promise((resolve, reject) => {
    const signal = init.signal;
    if (signal?.aborted) return reject(abortReason(signal));
    const transport = url.protocol === "https:" ? httpsModule() : http;
    const req = transport.request(url, { method: init.method ?? "GET", headers: requestHeaders(init.headers, init.body), agent });

    let source = null; // the response body as a Node stream (decoded if need be)
    let controller = null; // the Response body's, once the Response is out
    let done = false;
    const finish = () => {
      done = true;
      signal?.removeEventListener("abort", onAbort);
    };
    const fail = (err) => {
      if (done) return;
      finish();
      req.destroy(); // the connection is not reused
      source?.destroy();
      if (controller) controller.error(err);
      else reject(err);
    };
    const onAbort = () => fail(abortReason(signal));
    signal?.addEventListener("abort", onAbort);
    const failWith = (message) => (cause) =>
      fail(signal?.aborted ? abortReason(signal) : new TypeError(message, { cause }));

    req.on("error", failWith("fetch failed"));
    req.on("response", (res) => {
      const status = res.statusCode;
      if (status < 200 || status > 599) {
        const cause = Object.assign(new Error(`HTTP status ${status} is outside 200–599`), { code: "HPE_INVALID_STATUS" });
        return fail(new TypeError("fetch failed", { cause }));
      }
      const headers = new Headers();
      for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
      const responseInit = { status, statusText: res.statusMessage, headers };
      let body = null;
      if (NULL_BODY_STATUS.has(status) || req.method === "HEAD") {
        finish();
        res.resume(); // nothing to read: the socket goes back to the agent
      } else {
        const decode = DECODERS[(res.headers["content-encoding"] ?? "").trim().toLowerCase()];
        source = decode ? res.pipe(decode()) : res;
        res.on("error", failWith("terminated"));
        if (decode) source.on("error", failWith("terminated"));
        source.on("data", (chunk) => {
          if (done) return;
          controller.enqueue(chunk);
          if (controller.desiredSize <= 0) source.pause();
        });
        source.on("end", () => {
          if (done) return;
          finish();
          controller.close();
        });
        body = new ReadableStream({
          start: (c) => void (controller = c),
          pull: () => void source.resume(),
          cancel: () => {
            // The reader stopped early: close the connection, so the rest is never read.
            finish();
            req.destroy();
            source.destroy();
          },
        });
      }
      try {
        resolve(new Response(body, responseInit));
      } catch (cause) {
        // A status text or header the Response constructor refuses.
        controller = null;
        done = false;
        fail(new TypeError("fetch failed", { cause }));
      }
    });
    req.end(init.body ?? undefined);
  });
}

/** `new URL(input)`, or null when it is not a URL (fetch then rejects as fetch does). */
function parse(input) {
  try {
    return new URL(input);
  } catch {
    return null;
  }
}

/**
 * The request headers as a lowercase record, from an object, a Headers or pairs. A string
 * body's framing is ours, as it is fetch's: its exact content-length, and no
 * transfer-encoding a caller added (both together let a server or proxy read the body
 * two ways; node:http would otherwise send it chunked).
 */
function requestHeaders(source, body) {
  const headers = Object.create(null);
  if (source) {
    const entries = typeof source[Symbol.iterator] === "function" ? source : Object.entries(source);
    for (const [name, value] of entries) {
      const key = String(name).toLowerCase();
      headers[key] = key in headers ? `${headers[key]}, ${value}` : String(value);
    }
  }
  headers["accept-encoding"] ??= "identity";
  if (typeof body === "string") {
    delete headers["transfer-encoding"];
    headers["content-length"] = String(Buffer.byteLength(body));
  }
  return headers;
}

function abortReason(signal) {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

const nodeHttpFetch = createNodeHttpFetch();

module.exports = { nodeHttpFetch, createNodeHttpFetch };
