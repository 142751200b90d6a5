import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PENDING_PROVIDERS, resolveProvider, splitModel } from '../../src/config/providers.js';
import { OPENAI_COMPATIBLE_PROVIDERS } from '../../src/providers/openai-compatible/table.js';
import { PROVIDER_ADAPTERS } from '../../src/providers/registry.js';

test('a provider is either callable or pending, never both', () => {
  for (const p of OPENAI_COMPATIBLE_PROVIDERS) assert.ok(!PENDING_PROVIDERS.has(p.prefix), p.prefix);
  for (const a of PROVIDER_ADAPTERS) {
    for (const prefix of [a.prefix, ...a.aliases]) assert.ok(!PENDING_PROVIDERS.has(prefix), prefix);
  }
  assert.equal(resolveProvider('groq').kind, 'openai-compatible');
  assert.equal(resolveProvider('anthropic').kind, 'adapter');
  assert.equal(resolveProvider('watsonx').kind, 'pending');
  assert.equal(resolveProvider('sagemaker').kind, 'pending');
  assert.equal(resolveProvider('meta-llama').kind, 'unknown');
});

test('splitModel follows LiteLLM: first segment is the provider, bare names are openai', () => {
  assert.deepEqual(splitModel('groq/llama3', null), { provider: 'groq', upstreamModel: 'llama3' });
  assert.deepEqual(splitModel('hosted_vllm/org/model', null), { provider: 'hosted_vllm', upstreamModel: 'org/model' });
  assert.deepEqual(splitModel('gpt-4o', null), { provider: 'openai', upstreamModel: 'gpt-4o' });
  assert.deepEqual(splitModel('*', null), { provider: 'openai', upstreamModel: '*' });
  assert.deepEqual(splitModel('org/model', 'hosted_vllm'), { provider: 'hosted_vllm', upstreamModel: 'org/model' });
  assert.deepEqual(splitModel('hosted_vllm/org/model', 'hosted_vllm'), { provider: 'hosted_vllm', upstreamModel: 'org/model' });
});
