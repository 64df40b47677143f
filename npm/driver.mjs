// The package's driver: requestToken and TokenManager in JavaScript over the wasm. Every
// decision is the core's session machine (core::machine, behind the wasm's Machine class):
// this file only performs what it asks for — read and write the store, take and let go of
// a lock, sleep, send through exchange.js's transport, tell listeners and sibling tabs — and
// feeds back what happened. Every error it reports is made by the wasm, so each message is
// written once. (The Rust API's TokenManager is the other driver of the same machine.)
//
// Written in JavaScript because each of these steps is a call into the platform: here it
// costs neither wasm bytes (Rust async machinery and its shims weigh more than this file)
// nor boundary crossings. Built by scripts/build.sh into js/browser.mjs (bundled, minified) and
// pkg/node/driver.cjs; the package entries hand it the wasm's exports.

// What the machine asks for: [code, a, b, effects?] (npm/src/machine.rs).
const READ = 0, WRITE = 1, LOCK = 2, UNLOCK = 3, SLEEP = 4, SEND = 5, RENEW = 6, DONE = 7, REVOKE = 8, SIGN = 9;
// What follows, fed back: a code with up to two values.
const GO = 0, READ_OK = 1, READ_FAILED = 2, READ_LATE = 3, WRITTEN = 4, WRITE_FAILED = 5, WRITE_LATE = 6;
const LOCKED = 7, WOKE = 8, ANSWERED = 9, RENEWED = 10, REVOKED = 11, SIGNED = 12, SIGN_FAILED = 13;
// How a lock ended.
const GRANTED = 0, NOT_GRANTED = 1, LOCK_FAILED = 2, LOCK_LATE = 3;
// The store.
const MEMORY = 0, LOCAL = 1, SESSION = 2, ADAPTER = 3;
// The calls.
const GET = 0, REFRESH = 1, LOGIN = 2, LOGOUT = 3, LOGOUT_REVOKING = 4;
// More steps than the machine lets any task take (core::machine::MAX_TASK_STEPS).
const MAX_STEPS = 1000;

const quiet = () => {};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** This tab's sessionStorage, when there is one that works (never localStorage: DESIGN §2b). */
function tabStorage() {
  try {
    const s = globalThis.sessionStorage;
    s?.getItem("");
    return s ?? undefined;
  } catch {
    return undefined;
  }
}

/** A response header's value, or undefined. */
function header(response, name) {
  try {
    return response?.headers?.get(name) ?? undefined;
  } catch {
    return undefined;
  }
}

/** Whether a request `body` can be sent a second time: none, or not a one-shot stream. */
function replayable(body) {
  if (body === undefined || body === null || typeof body === "string") return true;
  for (const name of ["URLSearchParams", "Blob", "FormData", "ArrayBuffer"]) {
    const C = globalThis[name];
    if (typeof C === "function" && body instanceof C) return true;
  }
  return ArrayBuffer.isView(body);
}

/** The package's requestToken and TokenManager over `wasm` (the glue's exports). */
export function makeApi(wasm) {
  // What the wasm hands the driver: exchange.js's transport, the response bound, and keys.js's
  // WebCrypto signing and DPoP key keeping (shared with the Rust API) with the helpers `prop`
  // (`o[key]`, or undefined when `o` is no object or its getter throws) and `within` (`p`'s
  // value, or LATE when `ms` passed first). Asked for by `ready` at the first call of any
  // export, not here: in Node the package entry's `wasm` compiles the module only when it is
  // first used, so loading the package costs the JavaScript alone.
  let exchange, max, LATE, prop, within;
  let SignFailure, signTexts, forWasm, dpopKey, publicJwkOf, keepDpopKey, forgetDpopKey, generateDPoPKey;
  function ready() {
    if (exchange) return;
    // prettier-ignore
    ({ LATE, prop, within, SignFailure, signTexts, forWasm, dpopKey, publicJwkOf, keepDpopKey, forgetDpopKey,
      generateDPoPKey } = wasm.keys());
    max = wasm.maxResponseBytes();
    exchange = wasm.transport();
  }

  async function requestToken(client, grant, options) {
    const dpop = prop(options, "dpop");
    if (dpop === undefined || dpop === null) return settle(wasm.exchange(clientOf(client), grant, options), client, options);
    const key = await dpopKey(dpop);
    return settle(wasm.exchange(clientOf(client), grant, { ...options, dpop: key.jwk }), client, options, key);
  }

  // The wasm's reading of the last client configuration, by its JSON text: a series of
  // requests with one client reads it once (a changed configuration is a new text).
  let clientText, clientRead;
  /** The wasm's Client for `client` (without key material: forWasm). */
  function clientOf(client) {
    let text;
    try {
      text = JSON.stringify(forWasm(client));
    } catch {
      // cyclic, a bigint: the wasm names the problem (text undefined)
    }
    if (clientRead === undefined || text !== clientText) {
      const read = wasm.client(text);
      clientRead?.free();
      clientText = text;
      clientRead = read;
    }
    return clientRead;
  }

  /**
   * Sends `x` (a wasm Exchange) until it answers — signed first when it asks, and once more
   * when the server asked for a DPoP nonce (the exchange answers null once at most) — and
   * lets go of it. (One async frame per round: each await is paid on every token request.)
   */
  async function settle(x, client, options, dpop) {
    try {
      let out = null;
      for (let i = 0; i < 2 && out === null; i++) {
        if (x.request === null) await sign(x, client, dpop);
        out = x.finish(await transfer(x.request, options));
      }
      return out;
    } finally {
      x.free();
    }
  }

  /** Sends the request of `x` (a wasm Exchange or Discovery) and hands the outcome back to it. */
  async function send(x, options) {
    return x.finish(await transfer(x.request, options));
  }

  /** exchange.js's outcome of request `r`; one it could not make reads as a network fault. */
  function transfer(r, options) {
    // Read as the wasm read them (a getter that throws is a missing option).
    const fetch = prop(options, "fetch") ?? globalThis.fetch;
    return exchange(fetch, r.url, r.method, r.headers, r.body, r.timeoutMs, prop(options, "signal") ?? undefined, max).catch(quiet);
  }

  /** Signs what `x` asks with WebCrypto, and hands it the signatures. */
  async function sign(x, client, dpop) {
    try {
      x.signed(await signTexts(x.toSign, client, dpop?.privateKey));
    } catch (e) {
      throw e instanceof SignFailure ? x.signFailed(e.slot, e.error) : e;
    }
  }

  async function revokeToken(client, token, options) {
    await about(wasm.revocation, client, token, options);
  }

  async function introspectToken(client, token, options) {
    return about(wasm.introspection, client, token, options);
  }

  /** A revocation or introspection (`make`: the wasm's), with a DPoP proof when `options.dpop`. */
  async function about(make, client, token, options) {
    const dpop = prop(options, "dpop");
    const key = dpop === undefined || dpop === null ? undefined : await dpopKey(dpop);
    return settle(make(clientOf(client), token, key ? { ...options, dpop: key.jwk } : options), client, options, key);
  }

  /** A synchronous request, built with a ready `clientAssertion` (and a ready DPoP proof). */
  function buildTokenRequest(client, grant, options) {
    return wasm.buildTokenRequest(forWasm(client), grant, options);
  }

  // Every export that reads a client gets it without key material (forWasm).
  const buildRevocationRequest = (client, token, options) => wasm.buildRevocationRequest(forWasm(client), token, options);
  const buildIntrospectionRequest = (client, token, options) => wasm.buildIntrospectionRequest(forWasm(client), token, options);
  const buildAuthorizationUrl = (client, options) => wasm.buildAuthorizationUrl(forWasm(client), options);

  /** RFC 8414's document, else OpenID Connect's after a 404: at most two requests. */
  async function discover(issuer, options) {
    const d = wasm.discovery(issuer, forWasm(options));
    try {
      let found = null;
      for (let i = 0; i < 2 && found === null; i++) found = await send(d, options);
      return found;
    } finally {
      d.free();
    }
  }

  function clientFromMetadata(metadata, options) {
    return { ...options, ...wasm.clientFromMetadata(metadata, forWasm(options)) };
  }

  class TokenManager {
    #m;
    #key;
    #store;
    #channel;
    #ms;
    #web;
    #adapter;
    #memory = null;
    #now;
    #fetch;
    #listeners = new Map();
    #next = 1;
    #flights = new Map();
    #hooks = [];
    /** Tasks under way; free() lets go of the wasm once they have answered. */
    #running = 0;
    #freed = false;
    /** The authorization under way, where the tab has no sessionStorage. */
    #transaction;
    /** The fresh token and until when (ms), as the machine last said: the hot path. */
    #fresh;
    #freshUntil = 0;
    /** The client as given (its private key signs here, never in the wasm). */
    #client;
    /** The DPoP key, `{ privateKey }` (a promise), once loaded; forgotten at logout and a sibling's change. */
    #dpop;
    /** Whether the manager binds its sessions to a DPoP key (its `dpop` option, as the wasm read it). */
    #dpopOn;

    constructor(options) {
      ready();
      const client = prop(options, "client");
      this.#client = client;
      const safe = forWasm(client);
      const m = (this.#m = new wasm.Machine(safe === client ? options : { ...options, client: safe }));
      [this.#key, this.#store, this.#channel, this.#ms] = m.info();
      this.#dpopOn = m.dpop;
      if (this.#store === ADAPTER) this.#adapter = options.storage;
      if (this.#store === LOCAL || this.#store === SESSION) {
        this.#web = globalThis[this.#store === LOCAL ? "localStorage" : "sessionStorage"];
      }
      this.#now = typeof options.now === "function" ? options.now : undefined;
      this.#fetch = typeof options.fetch === "function" ? options.fetch : undefined;
      this.#effects(m.effects());
      this.#listen();
    }

    login(grant) {
      return this.#run(LOGIN, grant);
    }

    /** The authorization URL to visit; the transaction stays in this tab's sessionStorage. */
    async authorize(options) {
      // With DPoP the code is bound to the key (dpop_jkt): its public half first.
      if (this.#dpopOn) await this.#dpopKey();
      const [url, key, text] = this.#m.authorize(options, this.#time());
      this.#transaction = text;
      try {
        tabStorage()?.setItem(key, text);
      } catch {} // kept in memory only: a callback handled by this page still works
      return url;
    }

    /** Exchanges the callback's code (once): the new session, stored as login() stores it. */
    async handleCallback(url = globalThis.location?.href) {
      const key = this.#m.transactionKey();
      // Taken out before the exchange: a callback is handled once.
      let text = this.#transaction ?? null;
      this.#transaction = undefined;
      try {
        const session = tabStorage();
        text = session?.getItem(key) ?? text;
        session?.removeItem(key);
      } catch {}
      return this.#drive(this.#m.startCallback(text, url, this.#time()), true);
    }

    getAccessToken() {
      // The hot path: the token the machine last called fresh, until the instant it named,
      // unless the session changed since (#changed() forgets it).
      const now = this.#time();
      if (this.#fresh !== undefined && now < this.#freshUntil) return Promise.resolve(this.#fresh);
      const fresh = this.#m.freshToken(now);
      if (fresh === undefined) return this.#run(GET);
      [this.#fresh, this.#freshUntil] = fresh;
      return Promise.resolve(this.#fresh);
    }

    /** Before anything that may change the session (a task's step, a sibling's change, a
     * 401): the kept fresh token is asked for again. */
    #changed() {
      this.#fresh = undefined;
    }

    getTokens() {
      return this.#m.tokens();
    }

    refresh() {
      return this.#run(REFRESH);
    }

    /** `{ revoke: true }`: then revokes the tokens at the revocationEndpoint, and rejects with the first failure. */
    async logout(options) {
      const dpop = this.#dpopOn;
      if (dpop) {
        // The session's DPoP key goes with it, out of the store first: the next session is
        // bound to a new key. This manager keeps it for the logout's own revocations.
        await this.#dpopKey().catch(quiet);
        await forgetDpopKey(this.#key, this.#adapter, this.#ms, this.#store);
      }
      try {
        if (options?.revoke === true) {
          await this.#run(LOGOUT_REVOKING);
          return;
        }
        try {
          await this.#run(LOGOUT);
        } catch {
          // a logout is never undone: the machine has cleared what it holds
        }
      } finally {
        if (dpop) this.#dpop = undefined;
      }
    }

    async fetch(input, init) {
      const m = this.#m;
      const text = (v) => (typeof v === "string" ? v : undefined);
      const url = text(input) ?? text(prop(input, "url")) ?? text(prop(input, "href")) ?? "";
      m.checkResource(url);
      const token = await this.getAccessToken();
      const scheme = m.scheme(token);
      // A Request's body can be read once: copies for the sends that may follow (a DPoP
      // nonce, a renewed token).
      const spares = [];
      try {
        if (typeof prop(input, "clone") === "function") spares.push(input.clone(), input.clone());
      } catch {}
      const again = () => spares.shift() ?? input;
      let response = await this.#authorized(input, init, token, scheme, url);
      // Any answer may carry the resource's next nonce; a 401 may ask for it.
      const asked = this.#dpopOn && m.resourceNonce(url, response?.status ?? 0, header(response, "www-authenticate"), header(response, "dpop-nonce"));
      if (response?.status !== 401 || !replayable(prop(init, "body"))) return response;
      if (asked) {
        // The resource wants a DPoP nonce: once more, with it.
        response = await this.#authorized(again(), init, token, scheme, url);
        m.resourceNonce(url, response?.status ?? 0, undefined, header(response, "dpop-nonce"));
        if (response?.status !== 401) return response;
      }
      this.#changed();
      const decision = m.afterRejection(token, this.#time());
      if (decision === false) return response;
      const renewed = decision === true ? (await this.refresh()).accessToken : decision;
      return this.#authorized(again(), init, renewed, m.scheme(renewed), url);
    }

    onChange(listener) {
      if (typeof listener !== "function") throw this.#m.fault(2);
      const id = this.#next++;
      this.#listeners.set(id, listener);
      return () => void this.#listeners.delete(id);
    }

    free() {
      for (const [target, name, f] of this.#hooks.splice(0)) {
        try {
          target.removeEventListener(name, f);
        } catch {}
      }
      try {
        this.#channel?.close();
      } catch {}
      this.#listeners.clear();
      this.#changed();
      this.#freed = true;
      // Calls under way finish first (their answers are dropped by no one: each caller gets
      // its own); the wasm is let go with the last of them.
      if (this.#running === 0) this.#m.free();
    }

    /** The DPoP key (`dpop: true`), loaded once and its public half handed to the wasm. */
    #dpopKey() {
      if (!this.#dpopOn) return Promise.resolve(undefined);
      const loading = (this.#dpop ??= keepDpopKey(this.#key, this.#adapter, this.#ms, this.#store)
        .then(async (pair) => {
          this.#m.setDpopKey(await publicJwkOf(pair));
          return { privateKey: pair.privateKey };
        })
        .catch((e) => {
          if (this.#dpop === loading) this.#dpop = undefined; // asked again next time
          throw this.#m.signFailed(e);
        }));
      return loading;
    }

    #time() {
      if (this.#now) {
        try {
          const ms = this.#now();
          if (typeof ms === "number") return Math.max(ms, 0) || 0;
        } catch {}
      }
      return Date.now();
    }

    /** Starts `call` and drives it to its answer. */
    async #run(call, grant) {
      // A logout keeps the key it began with (taken out of the store already) for its revocations.
      return this.#drive(this.#m.start(call, grant), call !== LOGOUT && call !== LOGOUT_REVOKING);
    }

    /** Performs task `id`'s actions until it answers (counted for free()). */
    // Every caller passes `reloadKey`: with a default parameter here, Node 20's V8 crashed
    // (a fatal "unreachable code" in its deoptimizer) in tests/node/load.test.mjs, 2 runs in 3.
    async #drive(id, reloadKey) {
      this.#running++;
      try {
        return await this.#steps(id, reloadKey);
      } finally {
        if (--this.#running === 0 && this.#freed) this.#m.free();
      }
    }

    async #steps(id, reloadKey) {
      let input = GO, value, extra, release;
      try {
        // Proofs are written with the key's public half: known to the wasm before any step,
        // and read again from its store for every task (a task may send a token request, and
        // the key it is bound to is the stored one: a sibling's logout may have replaced it
        // unheard). Without a key the task still runs: its request fails with the reason (a
        // config error about dpop), and the task ends as every task does.
        if (this.#dpopOn) {
          if (reloadKey) this.#dpop = undefined;
          await this.#dpopKey().catch(quiet);
        }
        for (let i = 0; i < MAX_STEPS; i++) {
          this.#changed();
          const a = this.#m.step(id, input, value, extra, this.#time());
          if (a[3]) this.#effects(a[3]);
          value = extra = undefined;
          switch (a[0]) {
            case DONE:
              if (a[2]) throw a[1];
              return a[1];
            case READ:
              [input, value, extra] = await this.#read();
              break;
            case WRITE:
              [input, value, extra] = await this.#write(a[1]);
              break;
            case LOCK:
              input = LOCKED;
              [value, extra, release] = await this.#lock(a[1], a[2]);
              break;
            case UNLOCK:
              release?.();
              release = undefined;
              input = GO;
              break;
            case SLEEP:
              await sleep(a[1]);
              input = WOKE;
              break;
            case SEND:
            case REVOKE: {
              const r = a[1];
              extra = this.#time();
              const fetch = this.#fetch ?? globalThis.fetch;
              // exchange never rejects; were it to, the outcome reads as unreadable (network).
              value = await exchange(fetch, r.url, r.method, r.headers, r.body, r.timeoutMs, undefined, max).catch(quiet);
              input = a[0] === SEND ? ANSWERED : REVOKED;
              break;
            }
            case SIGN:
              try {
                value = await signTexts(a[1], this.#client, (await this.#dpopKey())?.privateKey);
                input = SIGNED;
              } catch (e) {
                input = SIGN_FAILED;
                [value, extra] = e instanceof SignFailure ? [e.error, e.slot] : [e, 0];
              }
              break;
            case RENEW: {
              // The one renewal: started here (a[2]) or joined; its answer stays in the wasm.
              const flight = a[1];
              if (a[2]) {
                const run = this.#drive(flight, true).then(quiet, quiet);
                this.#flights.set(flight, run);
                run.then(() => this.#flights.delete(flight));
              }
              await this.#flights.get(flight);
              input = RENEWED;
              value = flight;
              break;
            }
          }
        }
      } finally {
        release?.();
      }
      throw this.#m.fault(3);
    }

    async #read() {
      if (this.#store === ADAPTER) return this.#call("get", [this.#key], READ_OK, READ_FAILED, READ_LATE);
      if (this.#store === MEMORY) return [READ_OK, this.#memory];
      try {
        return [READ_OK, this.#web.getItem(this.#key)];
      } catch (e) {
        return [READ_FAILED, e, "read"];
      }
    }

    async #write(text) {
      const key = this.#key;
      if (this.#store === ADAPTER) {
        const args = text === null ? ["remove", [key]] : ["set", [key, text]];
        return this.#call(...args, WRITTEN, WRITE_FAILED, WRITE_LATE);
      }
      if (this.#store === MEMORY) {
        this.#memory = text;
        return [WRITTEN];
      }
      try {
        if (text === null) this.#web.removeItem(key);
        else this.#web.setItem(key, text);
        return [WRITTEN];
      } catch (e) {
        return [WRITE_FAILED, e, text === null ? "remove" : "write"];
      }
    }

    /** `adapter[method](...args)`, a returned promise waited for within the time limit. */
    async #call(method, args, ok, failed, late) {
      try {
        let v = this.#adapter[method](...args);
        if (typeof v?.then === "function") {
          v = await within(v, this.#ms);
          if (v === LATE) return [late, undefined, method];
        }
        return [ok, v];
      } catch (e) {
        return [failed, e, method];
      }
    }

    /**
     * Asks for a lock (0 the adapter's, 1 a Web Lock if free now, 2 a Web Lock waited for)
     * and waits at most `ms` for it to call back or settle: [outcome, error?, release?].
     */
    async #lock(kind, ms) {
      let granted, release, called, gaveUp = false;
      const calledBack = new Promise((resolve) => (called = resolve));
      const callback = (lock) => {
        // null: a Web Lock asked for ifAvailable is held elsewhere. Called after this
        // manager stopped waiting: let go at once.
        if (lock === null || gaveUp || granted !== undefined) {
          granted ??= false;
          called();
          return Promise.resolve();
        }
        granted = true;
        called();
        return new Promise((resolve) => (release = resolve));
      };
      let asked;
      try {
        if (kind === 0) {
          asked = this.#adapter.lock(this.#key, callback);
        } else {
          // Waited for without an abort signal: when the bound runs out first, a grant that
          // comes later finds the callback given up, and lets go at once.
          asked = globalThis.navigator.locks.request(this.#key, kind === 1 ? { ifAvailable: true } : {}, callback);
        }
      } catch (e) {
        gaveUp = true;
        return [LOCK_FAILED, e];
      }
      let settled, failed = false, error;
      try {
        settled = await within(Promise.race([calledBack, Promise.resolve(asked)]), ms);
      } catch (e) {
        failed = true;
        error = e;
      }
      if (granted) return [GRANTED, undefined, () => release?.()];
      gaveUp = true;
      if (granted === false || (!failed && settled !== LATE)) return [NOT_GRANTED];
      return failed ? [LOCK_FAILED, error] : [LOCK_LATE];
    }

    /** Performs what the machine left to do at once. */
    #effects(list) {
      for (const e of list) {
        if (e[0] === 0) {
          if (e[3]) queueMicrotask(() => this.#notify(e[1], e[2]));
          else this.#notify(e[1], e[2]);
        } else if (e[0] === 1) {
          try {
            this.#channel?.postMessage(e[1]);
          } catch {}
        } else {
          this.#store = MEMORY;
          this.#memory = e[1];
        }
      }
    }

    #notify(reason, error) {
      if (this.#listeners.size === 0) return;
      const tokens = this.#m.tokens();
      const event = error === undefined ? { reason } : { reason, error };
      for (const id of [...this.#listeners.keys()]) {
        const listener = this.#listeners.get(id);
        if (!listener) continue;
        try {
          listener(tokens, event);
        } catch (err) {
          try {
            console.error("oauth2-wasm: an onChange listener threw", err);
          } catch {}
        }
      }
    }

    /** Hears siblings: `storage` events of localStorage, and the BroadcastChannel. */
    #listen() {
      const key = this.#key;
      if (this.#store === LOCAL && typeof globalThis.addEventListener === "function") {
        const area = this.#web;
        this.#hook(globalThis, "storage", (e) => {
          if (e.storageArea !== area || (typeof e.key === "string" && e.key !== key)) return;
          this.#sibling(typeof e.newValue === "string" ? e.newValue : null);
        });
      }
      if (this.#channel) {
        this.#hook(this.#channel, "message", (e) => {
          // A record's text, or null for a clear; anything else is not ours.
          const data = e.data;
          if (typeof data === "string" || data === null) this.#sibling(data);
        });
      }
    }

    #hook(target, name, f) {
      try {
        target.addEventListener(name, f);
        this.#hooks.push([target, name, f]);
      } catch {}
    }

    /** A sibling's write; a clear is checked against what localStorage holds now. */
    #sibling(text) {
      let stored = null;
      if (text === null && this.#store === LOCAL) {
        try {
          stored = this.#web.getItem(this.#key);
        } catch {}
      }
      this.#changed();
      // A sibling's logout may have replaced the session's key: read it again when needed.
      if (text === null) this.#dpop = undefined;
      this.#effects(this.#m.sibling(text, stored));
    }

    /** fetch with `Authorization: <scheme> <token>` (`m.scheme(token)`'s), and a DPoP proof for a DPoP token. */
    async #authorized(input, init, token, scheme, url) {
      const m = this.#m;
      let headers, copy = {};
      try {
        const own = prop(init, "headers");
        const base = own !== undefined ? own : prop(input, "headers");
        headers = base === undefined || base === null ? new Headers() : new Headers(base);
        headers.set("Authorization", `${scheme} ${token}`);
      } catch (e) {
        throw m.fault(0, e);
      }
      if (scheme === "DPoP") {
        // The proof for this request: the wasm writes it (htm, htu, ath, the resource's
        // nonce), the DPoP key signs it.
        const method = prop(init, "method") ?? prop(input, "method") ?? "GET";
        const { privateKey } = await this.#dpopKey(); // first: the wasm writes the proof with its public half
        const proof = m.resourceProof(String(method), url, token);
        let signature;
        try {
          [signature] = await signTexts([[1, "ES256", proof]], undefined, privateKey);
        } catch (e) {
          throw m.signFailed(e instanceof SignFailure ? e.error : e);
        }
        headers.set("DPoP", m.compactProof(proof, signature));
      }
      if (init !== null && typeof init === "object") {
        try {
          copy = Object.assign({}, init);
        } catch (e) {
          throw m.fault(1, e);
        }
      }
      copy.headers = headers;
      try {
        return await (this.#fetch ?? globalThis.fetch)(input, copy);
      } catch (e) {
        throw m.fault(0, e);
      }
    }
  }

  // Every exported function is ready first (TokenManager's constructor is, above).
  const api = {
    buildTokenRequest,
    buildRevocationRequest,
    buildIntrospectionRequest,
    buildAuthorizationUrl,
    requestToken,
    revokeToken,
    introspectToken,
    discover,
    clientFromMetadata,
    generateDPoPKey: () => generateDPoPKey(),
  };
  for (const [name, f] of Object.entries(api)) {
    api[name] = { [name](...args) {
      ready();
      return f(...args);
    } }[name];
  }
  return { ...api, TokenManager };
}
