// ES module entry: the same instance as require() gets, so one OAuthError class.
import lib from "./index.cjs";

export const {
  buildTokenRequest,
  parseTokenResponse,
  requestToken,
  TokenManager,
  OAuthError,
  buildRevocationRequest,
  revokeToken,
  buildIntrospectionRequest,
  introspectToken,
  generateCodeVerifier,
  generateState,
  codeChallengeS256,
  buildAuthorizationUrl,
  parseAuthorizationResponse,
  discover,
  clientFromMetadata,
  generateDPoPKey,
} = lib;
export default lib;
