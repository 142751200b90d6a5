/**
 * Vertex AI access tokens against a mock OAuth token endpoint holding a generated RSA key: the
 * JWT assertion is signed with the service account's key, one exchange serves concurrent and
 * later requests until shortly before expiry, a refused exchange names the service account, and
 * keys are read from a map, JSON text, a file, or GOOGLE_APPLICATION_CREDENTIALS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { vertexAuthFor } from '../../../src/providers/vertex_ai/auth.js';
import { CLIENT_EMAIL, MockGoogleOAuth, PROJECT_ID } from '../../support/mocks/google-oauth.js';
import { googleTarget } from '../gemini/target.js';

describe('vertex_ai access tokens', () => {
  const oauth = new MockGoogleOAuth();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-vertex-auth-'));
  let deploymentCount = 0;

  /** A deployment of its own (so its token cache starts empty) with these litellm_params. */
  function deployment(litellmParams: Record<string, unknown>) {
    deploymentCount++;
    return googleTarget({ provider: 'vertex_ai', id: `vertex-auth-${deploymentCount}`, litellmParams }).deployment;
  }

  before(async () => {
    await oauth.start();
  });

  after(async () => {
    await oauth.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the assertion is an RS256 JWT signed with the account's key, for the cloud-platform scope", async () => {
    const before = oauth.exchanges.length;
    const token = await vertexAuthFor(deployment({ vertex_credentials: oauth.serviceAccount() }), {}).accessToken();
    const exchange = oauth.exchanges[before];
    assert.equal(token, exchange.accessToken);
    assert.equal(exchange.signatureValid, true);
    assert.equal(exchange.header.alg, 'RS256');
    assert.equal(exchange.grantType, 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    assert.equal(exchange.claims.iss, CLIENT_EMAIL);
    assert.equal(exchange.claims.scope, 'https://www.googleapis.com/auth/cloud-platform');
    assert.ok((exchange.claims.exp as number) > Date.now() / 1000);
  });

  test('concurrent requests share one exchange, later ones reuse its token', async () => {
    const auth = vertexAuthFor(deployment({ vertex_credentials: oauth.serviceAccount() }), {});
    const before = oauth.exchanges.length;
    oauth.latencyMs = 50;
    try {
      const tokens = await Promise.all(Array.from({ length: 8 }, () => auth.accessToken()));
      assert.equal(new Set(tokens).size, 1);
      assert.equal(await auth.accessToken(), tokens[0]);
      assert.equal(oauth.exchanges.length - before, 1);
    } finally {
      oauth.latencyMs = 0;
    }
  });

  test('the same deployment gets the same cache; another deployment its own', async () => {
    const spec = deployment({ vertex_credentials: oauth.serviceAccount() });
    assert.equal(vertexAuthFor(spec, {}), vertexAuthFor(spec, {}));
    assert.notEqual(vertexAuthFor(spec, {}), vertexAuthFor(deployment({ vertex_credentials: oauth.serviceAccount() }), {}));
  });

  test('a token is renewed shortly (five minutes) before it expires', async () => {
    oauth.expiresInS = 301;
    try {
      const auth = vertexAuthFor(deployment({ vertex_credentials: oauth.serviceAccount() }), {});
      const first = await auth.accessToken();
      assert.equal(await auth.accessToken(), first);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const second = await auth.accessToken();
      assert.notEqual(second, first);
    } finally {
      oauth.expiresInS = 3600;
    }
  });

  test('a refused exchange is upstream_auth_failed naming the service account; the next request tries again', async () => {
    const auth = vertexAuthFor(deployment({ vertex_credentials: oauth.serviceAccount() }), {});
    oauth.refuseNext = 1;
    await assert.rejects(auth.accessToken(), (error: unknown) =>
      error instanceof GatewayError && error.code === 'upstream_auth_failed' && error.status === 502 &&
      error.message.includes(`service account ${CLIENT_EMAIL}`) && error.message.includes('invalid_grant'));
    assert.match(await auth.accessToken(), /^ya29\.mock-token-/);
  });

  test('a key signed with another key is refused by the token endpoint', async () => {
    const other = new MockGoogleOAuth();
    const forged = { ...other.serviceAccount(), token_uri: oauth.serviceAccount().token_uri };
    await assert.rejects(vertexAuthFor(deployment({ vertex_credentials: forged }), {}).accessToken(), /Invalid JWT Signature/);
    assert.equal(oauth.exchanges[oauth.exchanges.length - 1].signatureValid, false);
  });

  test('keys as JSON text, as a file path, and from GOOGLE_APPLICATION_CREDENTIALS; the project comes with the key', async () => {
    const file = path.join(dir, 'sa.json');
    writeFileSync(file, JSON.stringify(oauth.serviceAccount()));
    for (const [params, env] of [
      [{ vertex_credentials: JSON.stringify(oauth.serviceAccount()) }, {}],
      [{ vertex_credentials: file }, {}],
      [{}, { GOOGLE_APPLICATION_CREDENTIALS: file }],
    ] as [Record<string, unknown>, NodeJS.ProcessEnv][]) {
      const auth = vertexAuthFor(deployment(params), env);
      assert.match(await auth.accessToken(), /^ya29\.mock-token-/);
      assert.equal(await auth.projectId(), PROJECT_ID);
    }
  });

  test('credentials that cannot be used are upstream_auth_failed, saying why', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ vertex_credentials: '{"type":"authorized_user","client_id":"x"}' }, /must be a service-account key/],
      [{ vertex_credentials: '{not json' }, /is not valid JSON/],
      [{ vertex_credentials: path.join(dir, 'missing.json') }, /cannot be read/],
      [{ vertex_credentials: { type: 'service_account', client_email: CLIENT_EMAIL } }, /needs client_email and private_key/],
    ];
    for (const [params, pattern] of cases) {
      assert.throws(() => vertexAuthFor(deployment(params), {}), (error: unknown) => error instanceof GatewayError && error.code === 'upstream_auth_failed' && pattern.test(error.message), String(pattern));
    }
  });
});
