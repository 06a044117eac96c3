// node-oidc-provider set up like Ostium's bench realm, for bench/run.py.
//
// Usage: node server.mjs CONFIG.json
// CONFIG (written by bench/run.py from the same constants as the Ostium realm):
//   { "port", "issuer", "resource", "scope", "clients": [{ "client_id", "client_secret",
//     "redirect_uris", "grant_types" }], "user": { "username", "claims" },
//     "ttl": { "AccessToken", "AuthorizationCode", "RefreshToken", "Interaction", "Session" } }
//
// What matches the Ostium realm: RS256 ID tokens and JWT access tokens (RS256, for the
// resource indicator `resource`), confidential clients with client_secret_basic and the
// authorization_code, refresh_token and client_credentials grants, PKCE required with S256,
// one user, the same lifetimes, introspection and userinfo on, no consent screen for
// these first-party clients (Keycloak's default), a refresh token with every code grant
// (Keycloak's default; node-oidc-provider issues one only for offline_access otherwise).
//
// Known differences, by design of node-oidc-provider: its JWT access tokens are for a
// resource server, so they are not stored, cannot be introspected and cannot be sent to
// userinfo; a token request without `resource` gets an opaque userinfo access token
// instead. Its login is the development interaction (devInteractions), which takes any
// login name and checks no password: the harness reports a bare hash rate beside it.
// Storage is an unbounded in-process map (the package's own memory adapter keeps only
// about 2000 entries), so nothing a scenario relies on is evicted during a run.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

/** The key-value store the memory adapter writes to, without its LRU bound. */
class UnboundedStore {
  #entries = new Map();

  get(key) {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires !== 0 && entry.expires <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key, value, options) {
    const expires = options?.maxAge ? Date.now() + options.maxAge : 0;
    this.#entries.set(key, { value, expires });
  }

  delete(key) {
    this.#entries.delete(key);
  }
}

const store = new UnboundedStore();

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = {
  ...privateKey.export({ format: 'jwk' }),
  kid: randomBytes(8).toString('hex'),
  alg: 'RS256',
  use: 'sig',
};

// The development login form takes the login name as the account id, so the user name is
// the account id and the `sub` of every token.
const account = {
  accountId: config.user.username,
  async claims() {
    return { ...config.user.claims, sub: config.user.username };
  },
};

const ttl = config.ttl;

const provider = new Provider(config.issuer, {
  adapter: (model) => new MemoryAdapter(model, store),
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: client.redirect_uris,
    grant_types: client.grant_types,
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  scopes: config.scope.split(' '),
  async findAccount(_ctx, id) {
    return id === account.accountId ? account : undefined;
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    userinfo: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      async defaultResource() {
        return config.resource;
      },
      async getResourceServerInfo(_ctx, resourceIndicator) {
        if (resourceIndicator !== config.resource) {
          throw new Provider.errors.InvalidTarget();
        }
        return {
          scope: config.scope,
          audience: config.resource,
          accessTokenTTL: ttl.AccessToken,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  pkce: { required: () => true },
  // Keycloak issues a refresh token with every code grant.
  async issueRefreshToken(_ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  // First-party clients: the login grants every requested scope, as Keycloak does for a
  // client without "consent required", instead of a consent screen.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId ||
      ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.account.accountId,
    });
    grant.addOIDCScope(config.scope);
    grant.addResourceScope(config.resource, config.scope);
    await grant.save();
    return grant;
  },
  ttl: {
    AccessToken: ttl.AccessToken,
    ClientCredentials: ttl.AccessToken,
    IdToken: ttl.AccessToken,
    AuthorizationCode: ttl.AuthorizationCode,
    RefreshToken: ttl.RefreshToken,
    Interaction: ttl.Interaction,
    Session: ttl.Session,
    Grant: ttl.Session,
  },
});

// Errors the clients only see as 500s, on stderr (the harness keeps it in the run's log).
provider.on('server_error', (_ctx, error) => console.error('server_error', error));

const server = provider.listen(config.port, '127.0.0.1');

function stop() {
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGTERM', stop);
process.on('SIGINT', stop);
