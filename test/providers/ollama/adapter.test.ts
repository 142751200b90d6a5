import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { resolveProvider } from '../../../src/config/providers.js';
import { lookupAdapter } from '../../../src/providers/registry.js';
import { adapter } from '../../../src/providers/ollama/index.js';

test('ollama_chat and ollama name the native Ollama adapter (not the OpenAI-compatible table)', () => {
  assert.equal(lookupAdapter('ollama_chat'), adapter);
  assert.equal(lookupAdapter('ollama'), adapter);
  assert.deepEqual(resolveProvider('ollama'), { kind: 'adapter', provider: adapter });
  assert.equal(adapter.wire, 'other');
  assert.equal(adapter.keyRequired, false);
});

test('a deployment defaults to the local server root; OLLAMA_API_BASE and OLLAMA_API_KEY apply', () => {
  const load = (env: NodeJS.ProcessEnv, params = '') => parseConfigText(`model_list:\n  - model_name: m\n    litellm_params: {model: ollama/llama3${params}}\n`, '/x/c.yaml', env);
  const local = load({});
  assert.deepEqual(local.warnings, []);
  assert.equal(local.config.modelList[0].apiBase, 'http://localhost:11434');
  assert.equal(local.config.modelList[0].apiKey, null);
  const remote = load({ OLLAMA_API_BASE: 'https://ollama.example/', OLLAMA_API_KEY: 'k' }).config.modelList[0];
  assert.equal(remote.apiBase, 'https://ollama.example');
  assert.equal(remote.apiKey, 'k');
  assert.equal(load({}, ', api_base: "http://gpu-box:11434"').config.modelList[0].apiBase, 'http://gpu-box:11434');
});

test('error answers: {"error": "..."}', () => {
  assert.deepEqual(adapter.errorInfo(404, Buffer.from('{"error":"model \\"llama9\\" not found, try pulling it first"}')), {
    message: 'model "llama9" not found, try pulling it first', type: '', code: '', param: null,
  });
  assert.equal(adapter.errorInfo(500, Buffer.from('upstream down')).message, 'upstream down');
});
