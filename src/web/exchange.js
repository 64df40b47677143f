// The web layer's JavaScript, for src/web/fetch.rs and src/web/convert.rs. Mainly one token
// request through fetch: a time limit that aborts the request, the caller's AbortSignal,
// no redirects followed, a bounded body read. It decides nothing: what the outcome means
// (which error, which hint) is decided in Rust (core::transport). Written in JavaScript
// because every step is a call into the platform: here it costs neither wasm bytes nor
// boundary crossings. Also the OAuthError class and the errors made with it (below).
//
// A fetch may carry its own `Symbol.for("oauth2-wasm.exchange")` method with the same
// arguments (the headers as an object) and outcome (oauth2-wasm/node-http does, over
// node:http): it is used instead, unless it returns nothing (a request it does not handle).
//
// The outcome: { fault: "timeout" | "aborted" | "network" | "notresponse", code, duringBody }
// or { status, kind, sentAt, location, contentType, retryAfter, date, wwwAuthenticate,
// dpopNonce, body, oversized } — `body` is absent for redirects, opaque responses and oversized bodies.
// It reaches Rust as an array in the order `outcome()` below writes (`read_outcome` in
// fetch.rs reads it by index, each value of its type or absent): no member names cross.

import { prop } from "./keys.js";

const FAST = Symbol.for("oauth2-wasm.exchange");

// The DPoP nonces servers gave (RFC 9449 §8), origin → nonce, for src/web/jose.rs (which
// decides what is kept): one per page or process.
export const dpopNonces = new Map();
const quiet = () => {};

// Also the OAuthError class (js/error.mjs) the package entry registers through the wasm's
// __registerErrorClass; the errors the wasm reports are made here (src/web/convert.rs).
let ErrorClass;

export function setErrorClass(c) {
  ErrorClass = typeof c === "function" ? c : undefined;
}

// `fields` comes as JSON text (src/web/convert.rs's error), `raw` apart.
export function makeError(kind, message, fieldsJson, raw) {
  const fields = JSON.parse(fieldsJson);
  if (raw !== undefined) fields.raw = raw;
  if (ErrorClass) {
    try {
      return new ErrorClass(kind, message, fields);
    } catch {
      // a class that throws: fall back to a plain Error
    }
  }
  const e = new Error(message);
  e.name = "OAuthError";
  e.kind = kind;
  return Object.assign(e, fields);
}

// The runtime's WHATWG URL parse of `input` — against the page's address when `onPage` and
// there is a page (`location.href`, as fetch resolves a relative URL) —, for src/web/url.rs:
// protocol, hostname, username, password, href, origin, pathname and search joined by "\n"
// (a parsed URL's parts hold no C0 control character: the parser removes tabs and newlines
// and percent-encodes the rest), or undefined when it does not parse. One crossing and one
// string for the whole parse.
export function urlParts(input, onPage) {
  try {
    const base = onPage ? pageAddress() : undefined;
    const u = base === undefined ? new URL(input) : new URL(input, base);
    return `${u.protocol}\n${u.hostname}\n${u.username}\n${u.password}\n${u.href}\n${u.origin}\n${u.pathname}\n${u.search}`;
  } catch {
    return undefined;
  }
}

// A request's options read in one crossing (fetch.rs's OptionValues): signal, timeoutMs,
// fetch, dpop, tokenTypeHint, then the runtime's own fetch. A member whose getter throws
// reads as undefined (keys.js's prop, which the driver reads options with too).
export function options(o) {
  // prettier-ignore
  return [prop(o, "signal"), prop(o, "timeoutMs"), prop(o, "fetch"), prop(o, "dpop"), prop(o, "tokenTypeHint"),
    globalThis.fetch];
}

function pageAddress() {
  try {
    const href = globalThis.location?.href;
    return typeof href === "string" ? href : undefined;
  } catch {
    return undefined;
  }
}

export async function exchange(fetch, url, method, headersJson, body, timeoutMs, signal, max) {
  // timeoutMs comes clamped to the longest timer (core::transport::timer_ms). The headers
  // come as a JSON object's text from Rust, as the object itself from the npm driver.
  const headers = typeof headersJson === "string" ? JSON.parse(headersJson) : headersJson;
  const fast = fetch[FAST];
  let o;
  try {
    o =
      (typeof fast === "function" && (await fast.call(fetch, url, method, headers, body, timeoutMs, signal, max))) ||
      (await viaFetch(fetch, url, method, headers, body, timeoutMs, signal, max));
  } catch (e) {
    o = { fault: "network", code: errorCode(e) }; // a fast path that broke its word
  }
  try {
    return outcome(o, max);
  } catch (e) {
    return ["network", errorCode(e)]; // an outcome whose members throw
  }
}

// The outcome as an array (see above), each member read once (a fast path's may be
// getters), and no body over `max` UTF-16 units copied into the wasm (the core bounds it in
// bytes). The order is fetch.rs's `read_outcome`'s.
function outcome(o, max) {
  if (o?.fault) return [o.fault, o.code, o.duringBody];
  const { status, sentAt, kind, location, contentType, retryAfter, date, wwwAuthenticate, dpopNonce, oversized, body } = o ?? {};
  const over = typeof body === "string" && body.length > max;
  // prettier-ignore
  return [undefined, undefined, undefined, status, sentAt, kind, location, contentType, retryAfter, date, wwwAuthenticate,
    dpopNonce, over || oversized, over ? undefined : body];
}

async function viaFetch(fetch, url, method, headers, body, timeoutMs, signal, max) {
  if (signal?.aborted) return { fault: "aborted" };
  const controller = new AbortController();
  let cut, rejectCut, duringBody = false;
  // Rejects when the request is cut short, so a fetch that ignores its signal (an injected
  // one) cannot keep the caller waiting past the time limit.
  const cutShort = new Promise((_, reject) => (rejectCut = reject));
  cutShort.catch(quiet);
  const stop = (why) => {
    cut ??= why;
    controller.abort();
    rejectCut();
  };
  const onAbort = () => stop("aborted");
  const timer = setTimeout(stop, timeoutMs, "timeout");
  signal?.addEventListener("abort", onAbort);
  const race = (promise) => Promise.race([promise, cutShort]);
  const sentAt = Date.now();
  try {
    // A GET (discovery) has no body: fetch refuses one.
    const init = { method, headers, body: method === "GET" ? undefined : body, redirect: "manual", credentials: "omit", signal: controller.signal };
    const response = await race(fetch(url, init));
    const status = response?.status;
    if (typeof status !== "number" || !(status >= 0 && status <= 999)) return { fault: "notresponse" };
    const got = (name) => {
      try {
        const value = response.headers.get(name);
        return typeof value === "string" ? value : undefined;
      } catch {
        return undefined;
      }
    };
    const out = { status: Math.trunc(status), sentAt };
    // core::transport::is_redirect's statuses: their body is never read.
    if (status === 0 || (status >= 300 && status < 400)) {
      cancel(response.body);
      if (typeof response.type === "string") out.kind = response.type;
      out.location = got("location");
      return out;
    }
    out.contentType = got("content-type");
    out.retryAfter = got("retry-after");
    out.date = got("date");
    out.wwwAuthenticate = got("www-authenticate");
    out.dpopNonce = got("dpop-nonce");
    const declared = /^\s*\+?(\d+)\s*$/.exec(got("content-length") ?? "");
    const length = declared ? Number(declared[1]) : undefined;
    if (length > max) {
      cancel(response.body);
      out.oversized = true;
      return out;
    }
    duringBody = true;
    // With a length and no content coding the body cannot grow past it: read it whole.
    // Otherwise stream it and stop at the bound (a compressed body can inflate without one).
    // A body that is not a WHATWG stream (node-fetch v2 gives a Node Readable) is read whole.
    const identity = (got("content-encoding") ?? "identity").trim().toLowerCase() === "identity";
    const stream = response.body;
    if ((length !== undefined && identity) || typeof stream?.getReader !== "function") {
      const text = await race(response.text());
      out.body = typeof text === "string" ? text : "";
      if (out.body.length > max / 3 && new TextEncoder().encode(out.body).length > max) {
        delete out.body;
        out.oversized = true;
      }
      return out;
    }
    const reader = stream.getReader();
    const chunks = [];
    let total = 0;
    for (;;) {
      const chunk = await race(reader.read());
      if (chunk?.done) break;
      const value = chunk?.value;
      if (!(value instanceof Uint8Array)) continue;
      total += value.length;
      if (total > max) {
        cancel(reader);
        out.oversized = true;
        return out;
      }
      chunks.push(value);
    }
    const bytes = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      bytes.set(c, at);
      at += c.length;
    }
    out.body = new TextDecoder().decode(bytes);
    return out;
  } catch (e) {
    return { fault: cut ?? "network", code: errorCode(e), duringBody };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

// Cancels a body (or a reader) nobody will read, so the connection is released.
function cancel(body) {
  try {
    body?.cancel?.()?.catch?.(quiet);
  } catch {}
}

// The platform's error code of a failed fetch: Node puts it on `err.cause.code`.
function errorCode(e) {
  for (const code of [e?.cause?.code, e?.code]) if (typeof code === "string") return code;
}
