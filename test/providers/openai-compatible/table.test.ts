import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  firstEnv,
  lookupOpenAICompatible,
  normalizeApiBase,
  OPENAI_COMPATIBLE_PROVIDERS,
} from '../../../src/providers/openai-compatible/table.js';

test('documented endpoints of the hosted providers', () => {
  const expected: Record<string, string> = {
    openai: 'https://api.openai.com/v1',
    groq: 'https://api.groq.com/openai/v1',
    together_ai: 'https://api.together.xyz/v1',
    fireworks_ai: 'https://api.fireworks.ai/inference/v1',
    deepseek: 'https://api.deepseek.com/v1',
    mistral: 'https://api.mistral.ai/v1',
    openrouter: 'https://openrouter.ai/api/v1',
    xai: 'https://api.x.ai/v1',
    perplexity: 'https://api.perplexity.ai',
    cerebras: 'https://api.cerebras.ai/v1',
    deepinfra: 'https://api.deepinfra.com/v1/openai',
    nvidia_nim: 'https://integrate.api.nvidia.com/v1',
  };
  for (const [prefix, base] of Object.entries(expected)) {
    const p = lookupOpenAICompatible(prefix);
    assert.ok(p, prefix);
    assert.equal(p.defaultApiBase, base, prefix);
    assert.equal(p.keyRequired, true, prefix);
    assert.ok(p.apiKeyEnv.length > 0, prefix);
    assert.ok(p.wellKnownModels.length > 0, prefix);
  }
  assert.deepEqual(lookupOpenAICompatible('openai')?.apiKeyEnv, ['OPENAI_API_KEY']);
  assert.deepEqual(lookupOpenAICompatible('openai')?.apiBaseEnv, ['OPENAI_BASE_URL', 'OPENAI_API_BASE']);
});

test('local and custom endpoints need no key; some need a base from the config', () => {
  assert.equal(lookupOpenAICompatible('lm_studio')?.defaultApiBase, 'http://localhost:1234/v1');
  for (const prefix of ['hosted_vllm', 'openai_compatible', 'custom_openai']) {
    assert.equal(lookupOpenAICompatible(prefix)?.defaultApiBase, null, prefix);
  }
  for (const prefix of ['hosted_vllm', 'lm_studio', 'openai_compatible', 'custom_openai']) {
    assert.equal(lookupOpenAICompatible(prefix)?.keyRequired, false, prefix);
  }
});

test('every entry is well formed', () => {
  const prefixes = new Set<string>();
  for (const p of OPENAI_COMPATIBLE_PROVIDERS) {
    assert.ok(!prefixes.has(p.prefix), `duplicate ${p.prefix}`);
    prefixes.add(p.prefix);
    assert.equal(p.authHeader, p.authHeader.toLowerCase());
    assert.equal(p.authScheme, 'Bearer ');
    if (p.defaultApiBase !== null) {
      assert.ok(!p.defaultApiBase.endsWith('/'), p.prefix);
      assert.doesNotThrow(() => new URL(p.defaultApiBase as string));
    }
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.wellKnownModels));
  }
});

test('unknown and translated providers are not in the table', () => {
  assert.equal(lookupOpenAICompatible('anthropic'), undefined);
  assert.equal(lookupOpenAICompatible('nope'), undefined);
  // LiteLLM's ollama providers call Ollama's native API: the ollama adapter serves them.
  assert.equal(lookupOpenAICompatible('ollama'), undefined);
  assert.equal(lookupOpenAICompatible('ollama_chat'), undefined);
});

test('normalizeApiBase strips trailing slashes and adds a required suffix once', () => {
  const withSuffix = { apiBaseSuffix: '/v1' };
  const openai = lookupOpenAICompatible('openai');
  assert.ok(openai);
  assert.equal(normalizeApiBase(withSuffix, 'http://h:8000/'), 'http://h:8000/v1');
  assert.equal(normalizeApiBase(withSuffix, 'http://h:8000/v1/'), 'http://h:8000/v1');
  assert.equal(normalizeApiBase(openai, 'https://proxy.example/openai//'), 'https://proxy.example/openai');
  for (const p of OPENAI_COMPATIBLE_PROVIDERS) assert.equal(p.apiBaseSuffix, '', p.prefix);
});

test('firstEnv takes the first non-empty variable', () => {
  assert.equal(firstEnv({ A: '', B: 'b', C: 'c' }, ['A', 'B', 'C']), 'b');
  assert.equal(firstEnv({}, ['A']), null);
});
