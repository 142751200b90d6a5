import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import type { ModelDeployment } from '../../../src/config/types.js';
import { GatewayError } from '../../../src/errors.js';
import { authHeader, credentialFor, DEFAULT_SCOPE, headerBlock } from '../../../src/providers/azure/auth.js';

/** The deployment a config with these litellm_params (a YAML flow map) loads into. */
function deployment(params: string, env: NodeJS.ProcessEnv = {}): ModelDeployment {
  const { config } = parseConfigText(`model_list:\n  - model_name: m\n    litellm_params: ${params}\n`, '/x/c.yaml', env);
  return config.modelList[0];
}

const BASE = 'model: azure/dep, api_base: "https://r.openai.azure.com"';
const CLIENT_ENV = { AZURE_TENANT_ID: 'env-tenant', AZURE_CLIENT_ID: 'env-client', AZURE_CLIENT_SECRET: 'env-secret' };

test('an API key goes in the api-key header', () => {
  const d = deployment(`{${BASE}, api_key: k-written}`);
  assert.deepEqual(credentialFor(d, {}), { kind: 'api-key', key: 'k-written' });
  assert.deepEqual(authHeader({ kind: 'api-key', key: 'k' }, {}), ['api-key', 'k']);
});

test('the key may come from AZURE_API_KEY (the config loader reads it)', () => {
  const d = deployment(`{${BASE}}`, { AZURE_API_KEY: 'k-env' });
  assert.deepEqual(credentialFor(d, {}), { kind: 'api-key', key: 'k-env' });
});

test('azure_ad_token is sent as a bearer token', () => {
  const d = deployment(`{${BASE}, azure_ad_token: tok}`);
  assert.deepEqual(credentialFor(d, {}), { kind: 'token', token: 'tok' });
  assert.deepEqual(authHeader({ kind: 'token', token: 'tok' }, {}), ['authorization', 'Bearer tok']);
});

test('client credentials: written ones, the missing parts from the environment, scope defaulting to Cognitive Services', () => {
  const d = deployment(`{${BASE}, tenant_id: t, client_id: c}`);
  assert.deepEqual(credentialFor(d, { AZURE_CLIENT_SECRET: 's' }), {
    kind: 'client-credentials',
    credentials: { tenantId: 't', clientId: 'c', clientSecret: 's', scope: DEFAULT_SCOPE },
  });
  const scoped = deployment(`{${BASE}, tenant_id: t, client_id: c, client_secret: s, azure_scope: "api://x/.default"}`);
  const credential = credentialFor(scoped, {});
  assert.equal(credential.kind === 'client-credentials' && credential.credentials.scope, 'api://x/.default');
  assert.equal(DEFAULT_SCOPE, 'https://cognitiveservices.azure.com/.default');
});

test('what the deployment writes wins over the environment; a key wins over a token, a token over client credentials', () => {
  const env = { AZURE_API_KEY: 'k-env', AZURE_AD_TOKEN: 'tok-env', ...CLIENT_ENV };
  assert.equal(credentialFor(deployment(`{${BASE}, api_key: k, azure_ad_token: tok}`, env), env).kind, 'api-key');
  assert.deepEqual(credentialFor(deployment(`{${BASE}, azure_ad_token: tok}`, env), env), { kind: 'token', token: 'tok' });
  assert.equal(credentialFor(deployment(`{${BASE}, tenant_id: t}`, env), env).kind, 'client-credentials', 'written Entra params beat the env key');
  assert.deepEqual(credentialFor(deployment(`{${BASE}}`, env), env), { kind: 'api-key', key: 'k-env' });
  const noKey = { AZURE_AD_TOKEN: 'tok-env', ...CLIENT_ENV };
  assert.deepEqual(credentialFor(deployment(`{${BASE}}`, noKey), noKey), { kind: 'token', token: 'tok-env' });
  assert.equal(credentialFor(deployment(`{${BASE}}`, CLIENT_ENV), CLIENT_ENV).kind, 'client-credentials');
});

test('no credential at all: upstream_auth_failed naming what to set', () => {
  const d = deployment(`{${BASE}}`);
  assert.throws(() => credentialFor(d, {}), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_auth_failed' && /AZURE_API_KEY/.test(e.message));
  const partial = deployment(`{${BASE}, tenant_id: t}`);
  assert.throws(() => credentialFor(partial, {}), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_auth_failed');
});

test('the header block: JSON content, the credential, then the deployment’s extra headers', () => {
  const d = deployment(`{${BASE}, api_key: k, extra_headers: {X-Trace: abc}}`);
  assert.equal(headerBlock(['api-key', 'k'], d), 'content-type: application/json\r\napi-key: k\r\nx-trace: abc\r\n');
  assert.throws(() => headerBlock(['authorization', 'Bearer a\r\nx: y'], d), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_auth_failed');
});
