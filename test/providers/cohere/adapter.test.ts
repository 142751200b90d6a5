import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfigText } from '../../../src/config/load.js';
import { lookupAdapter } from '../../../src/providers/registry.js';
import { adapter } from '../../../src/providers/cohere/index.js';

test('cohere and cohere_chat name the Cohere adapter', () => {
  assert.equal(lookupAdapter('cohere'), adapter);
  assert.equal(lookupAdapter('cohere_chat'), adapter);
  assert.equal(adapter.wire, 'other');
  assert.equal(adapter.defaultApiBase, 'https://api.cohere.com');
});

test('a deployment takes its key from COHERE_API_KEY or CO_API_KEY and Cohere’s endpoint by default', () => {
  const load = (env: NodeJS.ProcessEnv) => parseConfigText('model_list:\n  - model_name: m\n    litellm_params: {model: cohere_chat/command-r-08-2024}\n', '/x/c.yaml', env).config.modelList[0];
  assert.equal(load({ COHERE_API_KEY: 'a', CO_API_KEY: 'b' }).apiKey, 'a');
  assert.equal(load({ CO_API_KEY: 'b' }).apiKey, 'b');
  assert.equal(load({ CO_API_KEY: 'b' }).apiBase, 'https://api.cohere.com');
  assert.equal(load({ CO_API_KEY: 'b', COHERE_API_BASE: 'https://eu.example.com/' }).apiBase, 'https://eu.example.com');
});

test('error answers: {message} and {id, message}; non-JSON bodies as text', () => {
  assert.deepEqual(adapter.errorInfo(401, Buffer.from('{"id":"a1b2","message":"invalid api token"}')), { message: 'invalid api token', type: '', code: '', param: null });
  assert.equal(adapter.errorInfo(429, Buffer.from('{"message":"You are using a Trial key, which is limited to 10 API calls / minute."}')).message, 'You are using a Trial key, which is limited to 10 API calls / minute.');
  assert.equal(adapter.errorInfo(502, Buffer.from('bad gateway')).message, 'bad gateway');
  assert.equal(adapter.errorInfo(500, Buffer.alloc(0)).message, 'HTTP 500');
});
