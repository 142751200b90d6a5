/**
 * batchEmbedContents requests and answers, and Google's error envelope read for the client and
 * the router.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { adapter } from '../../../src/providers/gemini/index.js';
import type { OpenAIEmbeddingRequest, UpstreamRequest } from '../../../src/providers/types.js';
import { googleTarget, type TargetOptions } from './target.js';

function embedRequest(req: Partial<OpenAIEmbeddingRequest>, options: TargetOptions = {}): UpstreamRequest {
  return adapter.embeddings!.request({ model: 'gemini-embedding-001', input: 'x', ...req }, googleTarget({ upstreamModel: 'gemini-embedding-001', ...options })) as UpstreamRequest;
}

test('embedding request: one request per text, models/ prefix, outputDimensionality from dimensions', () => {
  const upstream = embedRequest({ input: ['first', 'second'], dimensions: 768, encoding_format: 'float', user: 'u' });
  assert.equal(upstream.path, '/v1beta/models/gemini-embedding-001:batchEmbedContents');
  assert.equal(upstream.headerBlock, 'content-type: application/json\r\nx-goog-api-key: AIza-test-key\r\n');
  assert.deepEqual(JSON.parse(upstream.body.toString('utf8')), {
    requests: [
      { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'first' }] }, outputDimensionality: 768 },
      { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'second' }] }, outputDimensionality: 768 },
    ],
  });
  assert.deepEqual(JSON.parse(embedRequest({ input: 'one' }).body.toString('utf8')).requests, [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'one' }] } }]);
});

test('token-id input is refused; keys that are no OpenAI embedding parameter are not sent', () => {
  assert.throws(() => embedRequest({ input: [1, 2, 3] }), (e: unknown) => e instanceof GatewayError && e.code === 'invalid_body' && e.param === 'input');
  assert.throws(() => embedRequest({ input: [] }), (e: unknown) => e instanceof GatewayError && e.code === 'invalid_body');
  assert.deepEqual(JSON.parse(embedRequest({ input: 'q', input_type: 'query', encoding_format: 'base64' }).body.toString('utf8')), {
    requests: [{ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'q' }] } }],
  });
});

test('embedding answer: the vectors in input order; usage 0 unless the answer reports tokens', () => {
  const target = googleTarget({ upstreamModel: 'gemini-embedding-001' });
  const answer = { embeddings: [{ values: [0.1, -0.2] }, { values: [0.3, 0.4] }] };
  assert.deepEqual(adapter.embeddings!.response(Buffer.from(JSON.stringify(answer)), target), {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2] }, { object: 'embedding', index: 1, embedding: [0.3, 0.4] }],
    model: 'gemini-embedding-001',
    usage: { prompt_tokens: 0, total_tokens: 0 },
  });
  const counted = adapter.embeddings!.response(Buffer.from(JSON.stringify({ ...answer, usageMetadata: { promptTokenCount: 6 } })), target);
  assert.deepEqual(counted.usage, { prompt_tokens: 6, total_tokens: 6 });
  for (const bad of ['{}', '{"embeddings":[{"values":"x"}]}', 'nope']) {
    assert.throws(() => adapter.embeddings!.response(Buffer.from(bad), target), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response', bad);
  }
});

test("errorInfo reads Google's envelope: the status as type; context overflow as context_length_exceeded", () => {
  const envelope = (code: number, status: string, message: string) => Buffer.from(JSON.stringify({ error: { code, message, status, details: [] } }));
  assert.deepEqual(adapter.errorInfo(429, envelope(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).')), {
    message: 'Resource has been exhausted (e.g. check quota).', type: 'RESOURCE_EXHAUSTED', code: 'RESOURCE_EXHAUSTED', param: null,
  });
  const overflow = adapter.errorInfo(400, envelope(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'));
  assert.equal(overflow.code, 'context_length_exceeded');
  assert.equal(overflow.type, 'INVALID_ARGUMENT');
  const listed = adapter.errorInfo(400, Buffer.from(JSON.stringify([{ error: { code: 400, message: 'bad', status: 'INVALID_ARGUMENT' } }])));
  assert.equal(listed.message, 'bad');
  assert.deepEqual(adapter.errorInfo(502, Buffer.from('<html>Bad Gateway</html>')), { message: '<html>Bad Gateway</html>', type: '', code: '', param: null });
  assert.equal(adapter.errorInfo(500, Buffer.alloc(0)).message, 'Gemini answered with status 500');
});
