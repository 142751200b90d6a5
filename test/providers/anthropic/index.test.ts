/**
 * The anthropic adapter as the gateway sees it: registration, endpoint fields, the request path
 * for any api_base, headers (extra_headers override), pass-through for Anthropic clients, and the
 * whole upstream request of a chat call.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveProvider } from '../../../src/config/providers.js';
import { adapter, anthropicPath } from '../../../src/providers/anthropic/index.js';
import { lookupAdapter } from '../../../src/providers/registry.js';
import type { ProviderAdapter } from '../../../src/providers/types.js';
import { anthropicTarget } from './target.js';

const anthropic = adapter as ProviderAdapter;

describe('anthropic adapter', () => {
  test('registered under its prefix, no longer pending', () => {
    assert.equal(lookupAdapter('anthropic'), adapter);
    assert.equal(resolveProvider('anthropic').kind, 'adapter');
  });

  test('endpoint fields (LiteLLM environment names)', () => {
    assert.equal(anthropic.prefix, 'anthropic');
    assert.equal(anthropic.wire, 'anthropic');
    assert.equal(anthropic.defaultApiBase, 'https://api.anthropic.com');
    assert.deepEqual(anthropic.apiKeyEnv, ['ANTHROPIC_API_KEY']);
    assert.deepEqual(anthropic.apiBaseEnv, ['ANTHROPIC_API_BASE', 'ANTHROPIC_BASE_URL']);
    assert.equal(anthropic.keyRequired, true);
    assert.equal(anthropic.authHeader, 'x-api-key');
    assert.equal(anthropic.authScheme, '');
    assert.ok(anthropic.wellKnownModels.includes('claude-sonnet-4-5'));
    assert.equal(anthropic.embeddings, null);
  });

  test('the path: api_base with or without /v1, with a path prefix, with a trailing slash', () => {
    assert.equal(anthropicPath('https://api.anthropic.com', '/v1/messages'), '/v1/messages');
    assert.equal(anthropicPath('https://api.anthropic.com/v1', '/v1/messages'), '/v1/messages');
    assert.equal(anthropicPath('https://api.anthropic.com/v1/', '/v1/messages'), '/v1/messages');
    assert.equal(anthropicPath('https://gateway.example.com/anthropic', '/v1/messages'), '/anthropic/v1/messages');
    assert.equal(anthropicPath('https://gateway.example.com/anthropic/v1', '/v1/messages/count_tokens'), '/anthropic/v1/messages/count_tokens');
  });

  test('a chat call: path, headers and body', async () => {
    const request = await anthropic.chat!.request({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hello, world' }], max_tokens: 1024 }, anthropicTarget({ apiBase: 'https://api.anthropic.com/v1' }));
    assert.equal(request.path, '/v1/messages');
    assert.equal(request.headerBlock, 'content-type: application/json\r\nanthropic-version: 2023-06-01\r\nx-api-key: sk-ant-test\r\n');
    assert.equal(request.body.toString('utf8'), '{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":[{"type":"text","text":"Hello, world"}]}]}');
  });

  test('extra_headers replace anthropic-version and add anthropic-beta; no key, no x-api-key', async () => {
    const target = anthropicTarget({ apiKey: null, extraHeaders: { 'anthropic-version': '2024-01-01', 'anthropic-beta': 'prompt-caching-2024-07-31' } });
    const { headerBlock } = await anthropic.passthrough!('/v1/messages', target);
    assert.equal(headerBlock, 'content-type: application/json\r\nanthropic-version: 2024-01-01\r\nanthropic-beta: prompt-caching-2024-07-31\r\n');
  });

  test('pass-through for Anthropic clients: messages and count_tokens', async () => {
    const target = anthropicTarget({ apiBase: 'http://127.0.0.1:9/v1' });
    assert.equal((await anthropic.passthrough!('/v1/messages', target)).path, '/v1/messages');
    assert.equal((await anthropic.passthrough!('/v1/messages/count_tokens', target)).path, '/v1/messages/count_tokens');
  });
});
