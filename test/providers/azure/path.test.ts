import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiVersionFor, azurePath as azurePathUnder, DEFAULT_API_VERSION } from '../../../src/providers/azure/path.js';
import { apiBasePath } from '../../../src/providers/http.js';

/** The path for a deployment whose api_base is `apiBase`. */
function azurePath(apiBase: string, deployment: string, upstreamPath: string, apiVersion: string): string {
  return azurePathUnder(apiBasePath(apiBase), deployment, upstreamPath, apiVersion);
}

const BASE = 'https://myres.openai.azure.com';

test('a dated api-version: the deployment-scoped path with the version in the query', () => {
  assert.equal(azurePath(BASE, 'my-gpt4o', '/chat/completions', '2024-10-21'), '/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21');
  assert.equal(azurePath(`${BASE}/`, 'emb', '/embeddings', '2024-10-21'), '/openai/deployments/emb/embeddings?api-version=2024-10-21');
});

test('the api-version is the deployment’s, else AZURE_API_VERSION, else LiteLLM’s default', () => {
  assert.equal(apiVersionFor('2024-06-01', { AZURE_API_VERSION: '2024-02-01' }), '2024-06-01');
  assert.equal(apiVersionFor(null, { AZURE_API_VERSION: '2024-02-01' }), '2024-02-01');
  assert.equal(apiVersionFor(null, {}), DEFAULT_API_VERSION);
  assert.equal(DEFAULT_API_VERSION, '2025-02-01-preview');
});

test('v1 and latest select the v1 API (model in the body, no dated version); preview its preview', () => {
  assert.equal(azurePath(BASE, 'dep', '/chat/completions', 'v1'), '/openai/v1/chat/completions');
  assert.equal(azurePath(BASE, 'dep', '/chat/completions', 'latest'), '/openai/v1/chat/completions');
  assert.equal(azurePath(BASE, 'dep', '/embeddings', 'preview'), '/openai/v1/embeddings?api-version=preview');
});

test('an api_base that already is the v1 API base is used as it is', () => {
  assert.equal(azurePath(`${BASE}/openai/v1/`, 'dep', '/chat/completions', DEFAULT_API_VERSION), '/openai/v1/chat/completions');
  assert.equal(azurePath(`${BASE}/openai/v1`, 'dep', '/chat/completions', 'preview'), '/openai/v1/chat/completions?api-version=preview');
});

test('a base ending in /openai gets no second /openai; another base path is kept as a prefix', () => {
  assert.equal(azurePath(`${BASE}/openai`, 'dep', '/chat/completions', '2024-10-21'), '/openai/deployments/dep/chat/completions?api-version=2024-10-21');
  assert.equal(azurePath('https://apim.example.com/aoai/', 'dep', '/chat/completions', '2024-10-21'), '/aoai/openai/deployments/dep/chat/completions?api-version=2024-10-21');
});

test('deployment names and versions are encoded for the URL', () => {
  assert.equal(azurePath(BASE, 'my dep/x', '/chat/completions', '2024 10'), '/openai/deployments/my%20dep%2Fx/chat/completions?api-version=2024%2010');
});

test('LiteLLM’s o_series/ and gpt5_series/ routing prefixes are not part of the deployment name', () => {
  assert.equal(azurePath(BASE, 'o_series/my-o3', '/chat/completions', '2024-12-01-preview'), '/openai/deployments/my-o3/chat/completions?api-version=2024-12-01-preview');
  assert.equal(azurePath(BASE, 'gpt5_series/my-gpt5', '/chat/completions', '2025-01-01'), '/openai/deployments/my-gpt5/chat/completions?api-version=2025-01-01');
});
