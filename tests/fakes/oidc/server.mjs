// A real OpenID Provider (node-oidc-provider) for SpeakPro's login tests: `node server.mjs <port>`.
//
// The client comes from FAKE_OIDC_CLIENT (JSON: client_id, client_secret, redirect_uris). The built-in
// development login form accepts any login name with any password; the account it signs in has
// sub = <login>, email = <login>@example.com, and email_verified true unless the login starts with
// "unverified" (so tests can exercise the "unverified email" path). Never used outside the tests.
import { randomBytes } from 'node:crypto';

import Provider from 'oidc-provider';

const port = Number.parseInt(process.argv[2] ?? '', 10);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node server.mjs <port>');
  process.exit(2);
}
const client = JSON.parse(process.env.FAKE_OIDC_CLIENT ?? '{}');
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // SpeakPro must send a PKCE challenge even as a confidential client.
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: `${sub}@example.com`,
          email_verified: !sub.startsWith('unverified'),
          name: `Test ${sub}`,
        };
      },
    };
  },
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`fake-oidc listening on ${issuer}`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
