// The error every failure of oauth2-wasm throws. A real Error subclass, so
// `err instanceof Error`, `err instanceof OAuthError` and `err.name === "OAuthError"` hold.
// Its fields never hold a client secret, password or token.
// The one source of the class: scripts/build.sh derives the CommonJS copy for Node from it.

const FIELDS = [
  "status", "error", "errorDescription", "errorUri", "humanTitle", "humanMessage",
  "body", "contentType", "retryAfter", "hint", "suggestions", "field", "quirks", "raw",
];

export class OAuthError extends Error {
  /**
   * @param {string} kind "config", "network", "timeout", "aborted", "http", "oauth",
   *   "invalid_response", "storage" or "login_required"
   * @param {string} message one line a developer can act on
   * @param {object} [fields] status, error, errorDescription, … (see index.d.ts)
   */
  constructor(kind, message, fields) {
    super(message);
    this.kind = kind;
    if (fields) {
      for (const key of FIELDS) {
        if (fields[key] !== undefined) this[key] = fields[key];
      }
    }
  }

  /** The error's fields, for logs and `JSON.stringify`. */
  toJSON() {
    const out = { name: this.name, kind: this.kind, message: this.message };
    for (const key of FIELDS) {
      if (this[key] !== undefined) out[key] = this[key];
    }
    return out;
  }
}
Object.defineProperty(OAuthError.prototype, "name", {
  value: "OAuthError", writable: true, configurable: true,
});
