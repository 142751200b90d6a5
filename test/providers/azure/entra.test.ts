import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { entraToken, type ClientCredentials } from '../../../src/providers/azure/entra.js';

/** A token endpoint that records each request and answers what the test set. */
const seen: { path: string; form: URLSearchParams }[] = [];
let answer: { status: number; body: unknown; delayMs?: number } = { status: 200, body: {} };
let tokenNumber = 0;
let server: http.Server;
let env: NodeJS.ProcessEnv;

before(async () => {
  server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', form: new URLSearchParams(text) });
      const { status, body, delayMs } = answer;
      const reply = JSON.stringify(typeof body === 'function' ? (body as () => unknown)() : body);
      setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(reply), delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  env = { AZURE_AUTHORITY_HOST: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

function credentials(tenantId: string, clientSecret = 's3cret'): ClientCredentials {
  return { tenantId, clientId: 'client-1', clientSecret, scope: 'https://cognitiveservices.azure.com/.default' };
}

function grant(expiresIn: number | string) {
  return () => ({ token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: `token-${++tokenNumber}` });
}

test('client credentials are exchanged at {authority}/{tenant}/oauth2/v2.0/token with the scope', async () => {
  answer = { status: 200, body: grant(3599) };
  const token = await entraToken(credentials('tenant-a'), env);
  assert.match(token, /^token-\d+$/);
  const request = seen[seen.length - 1];
  assert.equal(request.path, '/tenant-a/oauth2/v2.0/token');
  assert.equal(request.form.get('grant_type'), 'client_credentials');
  assert.equal(request.form.get('client_id'), 'client-1');
  assert.equal(request.form.get('client_secret'), 's3cret');
  assert.equal(request.form.get('scope'), 'https://cognitiveservices.azure.com/.default');
});

test('a token is reused until near its expiry, and concurrent callers share one request', async () => {
  answer = { status: 200, body: grant('3599'), delayMs: 50 };
  const before = seen.length;
  const tokens = await Promise.all([1, 2, 3, 4].map(() => entraToken(credentials('tenant-b'), env)));
  assert.equal(seen.length - before, 1, 'one token request for four concurrent callers');
  assert.equal(new Set(tokens).size, 1);
  assert.equal(await entraToken(credentials('tenant-b'), env), tokens[0], 'cached');
  assert.equal(seen.length - before, 1);
  assert.notEqual(await entraToken(credentials('tenant-b', 'rotated'), env), tokens[0], 'another secret gets its own token');
});

test('a token close to expiry is renewed', async () => {
  answer = { status: 200, body: grant(0.2) };
  const first = await entraToken(credentials('tenant-c'), env);
  await new Promise((resolve) => setTimeout(resolve, 150));
  const second = await entraToken(credentials('tenant-c'), env);
  assert.notEqual(second, first);
});

test('a refusal is upstream_auth_failed with Entra’s description, and is not cached', async () => {
  answer = { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
  await assert.rejects(entraToken(credentials('tenant-d'), env), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_auth_failed' && /AADSTS7000215/.test(e.message));
  answer = { status: 200, body: grant(3599) };
  assert.match(await entraToken(credentials('tenant-d'), env), /^token-/);
});

test('an answer without a token, or an unreachable authority, is upstream_auth_failed', async () => {
  answer = { status: 200, body: { token_type: 'Bearer' } };
  await assert.rejects(entraToken(credentials('tenant-e'), env), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_auth_failed');
  await assert.rejects(entraToken(credentials('tenant-f'), { AZURE_AUTHORITY_HOST: 'http://127.0.0.1:1' }), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_auth_failed');
});
