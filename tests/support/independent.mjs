// Two independent, real OAuth 2 servers from npm, for checking our client
// against implementations we did not write. Both listen on 127.0.0.1 with an
// ephemeral port and allow cross-origin browser calls to their token endpoint.
import { createServer } from 'node:http';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { OAuth2Server } from 'oauth2-mock-server';

// oidc-provider warns "Unsupported runtime" on import under Node 20 (it wants
// 22+, but works) and warns about its in-memory adapter, which is exactly what
// throwaway test servers want. No config option silences either, so drop just
// those two lines; anything else it says still shows.
const NOISE = /^oidc-provider WARNING: (Unsupported runtime|a quick start development-only in-memory adapter)/;
async function quietly(fn) {
  const { warn } = console;
  console.warn = (msg, ...rest) => { if (!NOISE.test(String(msg))) warn(msg, ...rest); };
  try { return await fn(); } finally { console.warn = warn; }
}
const { default: Provider, errors } = await quietly(() => import('oidc-provider'));

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'POST, GET, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, Accept, DPoP',
  // Lets a browser read the invalid_client challenge on 401 responses, and DPoP nonces.
  'access-control-expose-headers': 'WWW-Authenticate, DPoP-Nonce',
  'access-control-max-age': '600',
};

// Wraps a request handler so every response carries permissive CORS headers
// and preflights are answered here. Setting the headers before oidc-provider
// sees the request also makes it skip its own client-based CORS check, which
// otherwise rejects cross-origin calls from confidential clients.
function withCors(handler) {
  return (req, res) => {
    for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    handler(req, res);
  };
}

async function listenOnLoopback(server) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return `http://127.0.0.1:${server.address().port}`;
}

// Keep-alive sockets from fetch() would otherwise hold close() open.
function closer(server) {
  return () => new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

const SPA_CLIENT_ID = 'oauth2-wasm-spa';
const JWT_CLIENT_ID = 'oauth2-wasm-private-key-jwt';
const HS_CLIENT_ID = 'oauth2-wasm-client-secret-jwt';

// Keys are made off the main thread: a synchronous key generation blocked a test process
// for good once (its main thread waiting on a lock while other crypto ran).
const newKeyPair = promisify(generateKeyPair);

/** A key pair's private JWK (with `kid`) and public JWK, for a private_key_jwt client. */
async function jwkPair(type, options, kid) {
  const { privateKey, publicKey } = await newKeyPair(type, options);
  return { private: { ...privateKey.export({ format: 'jwk' }), kid }, public: { ...publicKey.export({ format: 'jwk' }), kid } };
}

/** The user logs in as `accountId` and consents to every scope asked for, without a form. */
async function interact(provider, accountId, req, res) {
  try {
    const { prompt, params, grantId } = await provider.interactionDetails(req, res);
    let result;
    if (prompt.name === 'login') {
      result = { login: { accountId } };
    } else {
      const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId, clientId: params.client_id });
      if (prompt.details.missingOIDCScope) grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
      result = { consent: { grantId: await grant.save() } };
    }
    await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
  }
}

export async function startOidcProvider() {
  const clientId = 'oauth2-wasm-test';
  const clientSecret = randomBytes(24).toString('hex'); // hex: no Basic-auth escaping issues
  const accountId = 'test-user';

  const server = createServer();
  const issuer = await listenOnLoopback(server);

  // Supplying our own key, account lookup and TTLs keeps oidc-provider from
  // falling back to (and warning about) its development defaults.
  const signingKey = (await newKeyPair('rsa', { modulusLength: 2048 })).privateKey.export({ format: 'jwk' });
  // The private_key_jwt client's keys (issue 17): RSA (RS256, PS256), P-256, Ed25519.
  const [rsa, ec, ed] = await Promise.all([
    jwkPair('rsa', { modulusLength: 2048 }, 'rsa'),
    jwkPair('ec', { namedCurve: 'P-256' }, 'ec'),
    jwkPair('ed25519', {}, 'ed'),
  ]);
  const clientKeys = { rsa, ec, ed };
  const hsSecret = randomBytes(32).toString('hex');
  const provider = await quietly(() => new Provider(issuer, {
    clients: [{
      // A browser app (public client, PKCE) for the authorization-code flow; "native" lets a
      // loopback redirect URI take any port (RFC 8252 §7.3), as test pages have.
      client_id: SPA_CLIENT_ID,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/authorize.html'],
    }, {
      client_id: clientId,
      client_secret: clientSecret,
      // client_secret_post is accepted too: oidc-provider treats the two as one family.
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    }, {
      client_id: JWT_CLIENT_ID,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: Object.values(clientKeys).map((k) => k.public) },
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    }, {
      client_id: HS_CLIENT_ID,
      client_secret: hsSecret,
      token_endpoint_auth_method: 'client_secret_jwt',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    }],
    jwks: { keys: [{ ...signingKey, kid: 'test', use: 'sig', alg: 'RS256' }] },
    // Logins and consents are given at once, for the test account (see the interaction
    // handler below): the flow's redirects are real, the user is not.
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (ctx, sub) => (sub === accountId ? { accountId, claims: () => ({ sub }) } : undefined),
    features: {
      clientCredentials: { enabled: true },
      // RFC 9449, with server nonces asked for on every DPoP request (use_dpop_nonce).
      dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true },
      devInteractions: { enabled: false },
      // RFC 7009, at /token/revocation: a client revokes only its own tokens.
      revocation: { enabled: true, allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId },
      // RFC 7662, at /token/introspection, for the client's own tokens.
      introspection: { enabled: true, allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId },
      // No resource servers are registered: a `resource` parameter gets
      // invalid_target (the default does too, but warns on every call).
      resourceIndicators: {
        getResourceServerInfo: () => { throw new errors.InvalidTarget(); },
      },
    },
    rotateRefreshToken: true,
    ttl: {
      AccessToken: 3600,
      ClientCredentials: 600,
      RefreshToken: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
      IdToken: 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
    },
  }));
  const callback = provider.callback();
  server.on('request', withCors((req, res) => {
    if (req.url.startsWith('/interaction/')) return interact(provider, accountId, req, res);
    callback(req, res);
  }));

  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    revocationEndpoint: `${issuer}/token/revocation`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    clientId,
    clientSecret,
    spaClientId: SPA_CLIENT_ID,
    jwtClient: { clientId: JWT_CLIENT_ID, keys: clientKeys },
    hsClient: { clientId: HS_CLIENT_ID, clientSecret: hsSecret },
    authorizationEndpoint: `${issuer}/auth`,
    // Stands in for a completed login + consent: a grant for our account and
    // a refresh token bound to it, exactly what the code flow would persist.
    async mintRefreshToken({ scope = 'offline_access' } = {}) {
      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      const client = await provider.Client.find(clientId);
      const refreshToken = new provider.RefreshToken({
        accountId, client, grantId, scope, gty: 'authorization_code',
      });
      return refreshToken.save();
    },
    close: closer(server),
  };
}

export async function startMockServer() {
  const mock = new OAuth2Server();
  await mock.issuer.keys.generate('RS256');
  // Its express app already sends Access-Control-Allow-Origin: * and answers
  // preflights (cors()), so no wrapper is needed here.
  await mock.start(0, '127.0.0.1');
  // It would advertise "http://localhost:<port>"; use the address we bound so
  // the iss claim and the URLs we hand out agree.
  const issuer = `http://127.0.0.1:${mock.address().port}`;
  mock.issuer.url = issuer;

  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    close: () => mock.stop(),
  };
}
