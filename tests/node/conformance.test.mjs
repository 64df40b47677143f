// The conformance vectors replayed through the package as `npm pack` makes it,
// imported the way a user imports it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";
import { buildTokenRequest, parseTokenResponse, OAuthError } from "oauth2-wasm";

const vectors = JSON.parse(readFileSync(new URL("../vectors/conformance.json", import.meta.url), "utf8"));
const sortedForm = (body) => [...new URLSearchParams(body)].map(([k, v]) => `${k}=${v}`).sort();

/** Everything a user or a log can see of an error. */
const shown = (err) => [err.message, String(err), JSON.stringify(err), inspect(err, { depth: 5 }), err.stack].join("\n");

for (const v of vectors.requests) {
  test(`request: ${v.name}`, () => {
    if (v.expect) {
      const { documentedBody, ...expected } = v.expect;
      const req = buildTokenRequest(v.client, v.grant);
      assert.deepEqual(req, expected);
      if (documentedBody) assert.deepEqual(sortedForm(req.body), sortedForm(documentedBody), "the document's parameters");
    } else {
      const err = catchError(() => buildTokenRequest(v.client, v.grant));
      assert.ok(err instanceof OAuthError && err instanceof Error, "an OAuthError");
      assert.equal(err.name, "OAuthError");
      assert.equal(err.kind, "config");
      assert.equal(err.field, v.error.field);
      assert.ok(err.message.startsWith(v.error.field), `message names the field: ${err.message}`);
      if (v.error.messageIncludes) assert.ok(err.message.includes(v.error.messageIncludes), err.message);
      const secrets = [v.client?.clientSecret, v.grant?.password, v.grant?.partnerSecret, v.grant?.refreshToken]
        .filter((s) => typeof s === "string" && s.trim().length > 2);
      for (const s of secrets) assert.ok(!shown(err).includes(s), "no secret in the error");
    }
  });
}

for (const v of vectors.responses) {
  test(`response: ${v.name}`, () => {
    const options = { now: v.now, headers: v.headers, strict: v.strict, humanFields: v.humanFields };
    if (v.expect) {
      const t = parseTokenResponse(v.status, v.body, options);
      const keys = ["accessToken", "tokenType", "expiresIn", "expiresAt", "refreshToken", "scope", "quirks"];
      for (const key of keys) {
        if (v.expect.partial && !(key in v.expect)) continue;
        assert.deepEqual(t[key], v.expect[key], key);
      }
      assert.equal(typeof t.raw.access_token, "string", "raw keeps every member");
      for (const [k, val] of Object.entries(v.expect.raw ?? {})) assert.deepEqual(t.raw[k], val, `raw.${k}`);
    } else {
      const err = catchError(() => parseTokenResponse(v.status, v.body, options));
      assert.ok(err instanceof OAuthError && err instanceof Error, "an OAuthError");
      for (const [key, want] of Object.entries(v.error)) {
        if (key === "messageIncludes") assert.ok(err.message.includes(want), err.message);
        else if (key === "hintIncludes") assert.ok(err.hint?.includes(want), err.hint);
        else if (key === "bodyIncludes") assert.ok(err.body?.includes(want), err.body);
        else if (key === "messageExcludes") assert.ok(!err.message.includes(want), err.message);
        else if (key === "messageMaxLength") assert.ok([...err.message].length <= want, err.message);
        else assert.deepEqual(err[key], want, key);
      }
      for (const t of v.tokens ?? []) assert.ok(!shown(err).includes(t), "no token in the error");
    }
  });
}

test("the Polish human title comes through byte for byte", () => {
  const v = vectors.responses.find((r) => r.name.startsWith("olx error"));
  const err = catchError(() => parseTokenResponse(v.status, v.body));
  assert.deepEqual(Buffer.from(err.humanTitle, "utf8"), Buffer.from("Niepoprawna warto\u015b\u0107", "utf8"));
  assert.equal(err.humanMessage, "");
});

function catchError(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail("expected a throw");
}
