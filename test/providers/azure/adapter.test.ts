import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { lookupAdapter } from '../../../src/providers/registry.js';
import { adapter } from '../../../src/providers/azure/index.js';
import type { UpstreamTarget } from '../../../src/providers/types.js';
import { targetOf } from '../deployment.js';

function target(params: string, env: NodeJS.ProcessEnv = {}): UpstreamTarget {
  const { config } = parseConfigText(`model_list:\n  - model_name: m\n    litellm_params: ${params}\n`, '/x/c.yaml', env);
  return targetOf(config.modelList[0]);
}

test('azure is an adapter that passes OpenAI bytes through', () => {
  assert.equal(lookupAdapter('azure'), adapter);
  assert.equal(adapter.wire, 'openai');
  assert.equal(adapter.chat, null);
  assert.equal(adapter.embeddings, null);
  assert.equal(adapter.defaultApiBase, null);
  assert.deepEqual(adapter.apiBaseEnv, ['AZURE_API_BASE']);
});

test('a deployment loads with api_base from AZURE_API_BASE and the key from AZURE_API_KEY', () => {
  const t = target('{model: azure/my-gpt4o-deployment}', { AZURE_API_BASE: 'https://myres.openai.azure.com/', AZURE_API_KEY: 'k' });
  assert.equal(t.deployment.provider, 'azure');
  assert.equal(t.deployment.apiBase, 'https://myres.openai.azure.com');
  assert.equal(t.deployment.apiKey, 'k');
  assert.equal(t.upstreamModel, 'my-gpt4o-deployment');
});

test('a deployment without api_base is refused (Azure has no default endpoint)', () => {
  assert.throws(() => target('{model: azure/dep, api_key: k}'), /api_base/);
});

test('passthrough: deployment path with api-version, api-key header, synchronously when no token is fetched', () => {
  const t = target('{model: azure/my-gpt4o-deployment, api_base: "https://myres.openai.azure.com", api_key: k, api_version: "2024-10-21"}');
  const where = adapter.passthrough!('/chat/completions', t);
  assert.ok(!(where instanceof Promise));
  assert.deepEqual(where, {
    path: '/openai/deployments/my-gpt4o-deployment/chat/completions?api-version=2024-10-21',
    headerBlock: 'content-type: application/json\r\napi-key: k\r\n',
  });
});
