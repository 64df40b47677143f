// The web layer's keys and signatures, for src/web/jose.rs and the npm package's driver:
// WebCrypto signs what the wasm wrote (client assertions, DPoP proofs), and DPoP key pairs
// are kept — in IndexedDB per storage key in browsers (tabs share one), in memory elsewhere,
// or by a storage adapter that keeps them. It decides nothing about a JWT: the algorithm,
// the header and the claims are the core's (core::jose); a private key never passes into
// the wasm (a JWK is imported here, non-extractable; the wasm learns only its type).
//
// The npm driver gets these through the wasm's `keys()` export (one copy in the package).

const LATE = Symbol("late");
const quiet = () => {};

/** `o[key]`, or undefined when `o` is not an object or its getter throws. */
export function prop(o, key) {
  try {
    return o !== null && (typeof o === "object" || typeof o === "function") ? o[key] : undefined;
  } catch {
    return undefined;
  }
}

/** `p`'s value, or LATE when `ms` passed first. */
function within(p, ms) {
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, ms, LATE)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const subtle = () => {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new TypeError("this runtime has no WebCrypto (crypto.subtle): pages need a secure context");
  return s;
};

/** WebCrypto's parameters for each algorithm the core signs with: [to import a key, to sign]. */
const ALGS = {
  RS256: [{ name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, { name: "RSASSA-PKCS1-v1_5" }],
  PS256: [{ name: "RSA-PSS", hash: "SHA-256" }, { name: "RSA-PSS", saltLength: 32 }],
  ES256: [{ name: "ECDSA", namedCurve: "P-256" }, { name: "ECDSA", hash: "SHA-256" }],
  EdDSA: [{ name: "Ed25519" }, { name: "Ed25519" }],
  HS256: [{ name: "HMAC", hash: "SHA-256" }, { name: "HMAC" }],
};

/** A private JWK's CryptoKeys, by algorithm, imported once (non-extractable). */
const imported = new WeakMap();
/** The public JWK of a DPoP key pair the app made itself (generateDPoPKey() gives it). */
const publicJwks = new WeakMap();

function isCryptoKey(k) {
  return (typeof CryptoKey === "function" && k instanceof CryptoKey) || (typeof prop(k, "type") === "string" && typeof prop(k, "algorithm") === "object");
}

/**
 * What the core may know of a private key (the type, never the material): a JWK's kty,
 * crv and alg, a CryptoKey's algorithm; `private` whether it can sign.
 */
export function keyFacts(k) {
  if (isCryptoKey(k)) {
    const a = k.algorithm;
    return { name: a?.name, crv: a?.namedCurve, hash: a?.hash?.name, private: k.type === "private" };
  }
  if (k === null || typeof k !== "object") return {};
  const text = (v) => (typeof v === "string" ? v : undefined);
  return { kty: text(k.kty), crv: text(k.crv), alg: text(k.alg), private: typeof k.d === "string" };
}

/** `client` as the wasm may see it: a private key replaced by its facts (no key material enters the wasm). */
function forWasm(client) {
  const k = prop(client, "privateKey");
  return k === undefined || k === null ? client : { ...client, privateKey: keyFacts(k) };
}

/** A DPoP key as the signing needs it: `{ privateKey, jwk }` (the public JWK exported once). */
async function dpopKey(d) {
  const privateKey = prop(d, "privateKey");
  const publicKey = prop(d, "publicKey");
  let jwk = prop(d, "publicJwk") ?? publicJwks.get(d);
  if (!jwk && isCryptoKey(publicKey)) publicJwks.set(d, (jwk = await publicJwkOf({ publicKey })));
  return { privateKey, jwk: jwk ?? {} };
}

/** A signature WebCrypto refused: which key (0 the client's, 1 the DPoP key) and why. */
export class SignFailure {
  constructor(slot, error) {
    this.slot = slot;
    this.error = error;
  }
}

/**
 * Signs `texts` ([key, alg, text]: key 0 the client's, 1 the DPoP key's) with WebCrypto: the
 * signatures' bytes, in order; a refusal throws a SignFailure.
 */
export function signTexts(texts, client, dpopPrivateKey) {
  return Promise.all(
    texts.map(async ([slot, alg, text]) => {
      try {
        const key = slot === 1 ? dpopPrivateKey : await clientKey(client, alg);
        return new Uint8Array(await subtle().sign(ALGS[alg][1], key, new TextEncoder().encode(text)));
      } catch (e) {
        throw new SignFailure(slot, e);
      }
    }),
  );
}

/** The client's signing key for `alg`: its CryptoKey, its JWK imported once, or its secret for HS256. */
async function clientKey(client, alg) {
  if (alg === "HS256") {
    return subtle().importKey("raw", new TextEncoder().encode(client.clientSecret), ALGS.HS256[0], false, ["sign"]);
  }
  const k = client.privateKey;
  if (isCryptoKey(k)) return k;
  let byAlg = imported.get(k);
  if (!byAlg) imported.set(k, (byAlg = new Map()));
  if (!byAlg.has(alg)) {
    const p = subtle().importKey("jwk", k, ALGS[alg][0], false, ["sign"]);
    byAlg.set(alg, p);
    p.catch(() => byAlg.delete(alg));
  }
  return byAlg.get(alg);
}

/** The public JWK of a key pair, `{ kty, crv, x, y }`. */
export async function publicJwkOf(pair) {
  const { kty, crv, x, y } = await subtle().exportKey("jwk", pair.publicKey);
  return { kty, crv, x, y };
}

function newDpopPair() {
  return subtle().generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
}

/** DPoP key pairs of sessions kept in memory (a page's, a process's), by storage key. */
const memoryKeys = new Map();

const inBrowser = () => typeof globalThis.document === "object" || typeof globalThis.WorkerGlobalScope === "function";

/** This tab's id (kept in its sessionStorage): names the key of a session that lives in this tab only. */
function tabId() {
  const k = "oauth2-wasm:tab";
  let id = globalThis.sessionStorage.getItem(k);
  if (!id) globalThis.sessionStorage.setItem(k, (id = globalThis.crypto.randomUUID()));
  return id;
}

/** Where the key of a session in `store` lives in IndexedDB, or undefined for memory. */
function idbName(name, store) {
  if (!globalThis.indexedDB || store === 0) return undefined;
  return store === 2 ? `${name}#tab:${tabId()}` : name;
}

/**
 * A manager's DPoP key pair (DESIGN §2e), kept as long and as widely as its session (`store`:
 * 0 memory, 1 localStorage, 2 sessionStorage, 3 an adapter): the adapter's when it keeps keys
 * (`dpopKey(storageKey)`); else IndexedDB's, under the storage key for a session the tabs
 * share (the first tab to store one wins), under the storage key and this tab's id for a
 * session in sessionStorage; else this page's or process's memory. A session tabs share whose
 * key cannot be shared is an error, never a key of this tab's own: one session would be bound
 * to two keys. Bounded by `ms`.
 */
export async function keepDpopKey(name, adapter, ms, store) {
  if (typeof prop(adapter, "dpopKey") === "function") {
    const pair = await within(Promise.resolve(adapter.dpopKey(name)), ms);
    if (pair === LATE) throw new Error(`the storage adapter's dpopKey() gave no key within ${ms} ms`);
    if (!isCryptoKey(prop(pair, "privateKey")) || !isCryptoKey(prop(pair, "publicKey"))) {
      throw new TypeError("the storage adapter's dpopKey() must give a CryptoKeyPair");
    }
    return pair;
  }
  const where = idbName(name, store);
  if (where !== undefined) {
    const pair = await within(idbKey(where), ms);
    if (pair === LATE) throw new Error(`IndexedDB gave no key within ${ms} ms`);
    return pair;
  }
  if (store !== 0 && store !== 2 && inBrowser()) throw new Error("this browser has no IndexedDB for the key its tabs share");
  if (!memoryKeys.has(name)) memoryKeys.set(name, newDpopPair());
  return memoryKeys.get(name);
}

/** Forgets a manager's DPoP key (logout): a new session gets a new key. An adapter that keeps keys is asked to (`forgetDpopKey`). */
export async function forgetDpopKey(name, adapter, ms, store) {
  memoryKeys.delete(name);
  if (typeof prop(adapter, "dpopKey") === "function") {
    if (typeof prop(adapter, "forgetDpopKey") === "function") {
      await within(Promise.resolve(adapter.forgetDpopKey(name)).catch(quiet), ms);
    }
    return;
  }
  let where;
  try {
    where = idbName(name, store);
  } catch {}
  if (where !== undefined) await within(idb("readwrite", (s) => s.delete(where)).catch(quiet), ms);
}

const IDB_NAME = "oauth2-wasm", IDB_STORE = "dpop-keys";

/** One request on the key store, in its own transaction: its result once committed. */
function idb(mode, request) {
  return new Promise((resolve, reject) => {
    const open = globalThis.indexedDB.open(IDB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(IDB_STORE);
    open.onerror = () => reject(open.error);
    open.onblocked = () => reject(new Error("the key store is blocked"));
    open.onsuccess = () => {
      const db = open.result;
      try {
        const tx = db.transaction(IDB_STORE, mode);
        const r = request(tx.objectStore(IDB_STORE));
        tx.oncomplete = () => (db.close(), resolve(r.result));
        tx.onabort = tx.onerror = () => (db.close(), reject(tx.error ?? r.error));
      } catch (e) {
        db.close();
        reject(e);
      }
    };
  });
}

/** The key pair stored under `name`, or a new one stored there unless another tab was first. */
async function idbKey(name) {
  const found = await idb("readonly", (s) => s.get(name));
  if (found?.privateKey) return found;
  const pair = await newDpopPair();
  try {
    await idb("readwrite", (s) => s.add({ privateKey: pair.privateKey, publicKey: pair.publicKey }, name));
    return pair;
  } catch {
    const first = await idb("readonly", (s) => s.get(name)); // another tab stored its key first
    if (first?.privateKey) return first;
    throw new Error("no key could be stored");
  }
}

/** A new DPoP key pair (ES256; the private key cannot be exported): `{ privateKey, publicKey, publicJwk }`. */
export async function generateDPoPKey() {
  const pair = await newDpopPair();
  const publicJwk = Object.freeze(await publicJwkOf(pair));
  return Object.freeze({ privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk });
}


export const keys = {
  // The small helpers the npm driver shares with this file (one copy in the package).
  LATE,
  prop,
  within,
  SignFailure,
  signTexts,
  keyFacts,
  forWasm,
  dpopKey,
  publicJwkOf,
  keepDpopKey,
  forgetDpopKey,
  generateDPoPKey,
};
