import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { ollamaEmbeddings } from '../../../src/providers/ollama/embeddings.js';
import type { OpenAIEmbeddingRequest, UpstreamRequest } from '../../../src/providers/types.js';
import { ollamaTarget } from './target.js';

/** The embed request (made synchronously: Ollama needs no token fetch). */
function embedRequest(req: OpenAIEmbeddingRequest): UpstreamRequest {
  const request = ollamaEmbeddings.request(req, ollamaTarget({ model: 'ollama/all-minilm' }));
  assert.ok(!(request instanceof Promise));
  return request;
}

test('an embed request: /api/embed with the input as it is, dimensions, and Ollama’s truncate when sent', () => {
  const request = embedRequest({ model: 'm', input: ['Why is the sky blue?', 'Why is the grass green?'], dimensions: 128, encoding_format: 'float' });
  assert.equal(request.path, '/api/embed');
  assert.equal(request.headerBlock, 'content-type: application/json\r\n');
  assert.deepEqual(JSON.parse(request.body.toString('utf8')), { model: 'all-minilm', input: ['Why is the sky blue?', 'Why is the grass green?'], dimensions: 128 });
  assert.deepEqual(JSON.parse(embedRequest({ model: 'm', input: 'one', truncate: false }).body.toString('utf8')), { model: 'all-minilm', input: 'one', truncate: false });
  assert.throws(() => embedRequest({ model: 'm', input: [[1, 2]] }), (e: unknown) => e instanceof GatewayError && e.code === 'unsupported_param' && e.param === 'input');
});

test('an embed answer: one embedding per input, usage from prompt_eval_count', () => {
  const response = ollamaEmbeddings.response(Buffer.from(JSON.stringify({
    model: 'all-minilm',
    embeddings: [[0.010071029, -0.0017594862], [-0.0098027075, 0.06042469]],
    total_duration: 14143917,
    load_duration: 1019500,
    prompt_eval_count: 8,
  })), ollamaTarget({ model: 'ollama/all-minilm' }));
  assert.deepEqual(response, {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.010071029, -0.0017594862] }, { object: 'embedding', index: 1, embedding: [-0.0098027075, 0.06042469] }],
    model: 'all-minilm',
    usage: { prompt_tokens: 8, total_tokens: 8 },
  });
  assert.throws(() => ollamaEmbeddings.response(Buffer.from('{}'), ollamaTarget()), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
});
