import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatewayError } from '../../../src/errors.js';
import { cohereEmbeddings } from '../../../src/providers/cohere/embeddings.js';
import type { OpenAIEmbeddingRequest, UpstreamRequest } from '../../../src/providers/types.js';
import { cohereTarget } from './target.js';

/** The embed request (made synchronously: Cohere needs no token fetch). */
function embedRequest(req: OpenAIEmbeddingRequest): UpstreamRequest {
  const request = cohereEmbeddings.request(req, cohereTarget());
  assert.ok(!(request instanceof Promise));
  return request;
}

test('an embed request: texts, input_type defaulting to search_document, float embeddings, output_dimension', () => {
  const request = embedRequest({ model: 'm', input: ['hello', 'world'], dimensions: 256, encoding_format: 'float' });
  assert.equal(request.path, '/v2/embed');
  assert.equal(request.headerBlock, 'content-type: application/json\r\nauthorization: Bearer co-key\r\n');
  assert.deepEqual(JSON.parse(request.body.toString('utf8')), {
    model: 'command-a-03-2025', texts: ['hello', 'world'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 256,
  });
  const query = embedRequest({ model: 'm', input: 'find me', input_type: 'search_query', truncate: 'END' });
  assert.deepEqual(JSON.parse(query.body.toString('utf8')), { model: 'command-a-03-2025', texts: ['find me'], input_type: 'search_query', embedding_types: ['float'], truncate: 'END' });
});

test('token ids cannot be embedded by Cohere', () => {
  assert.throws(() => embedRequest({ model: 'm', input: [1, 2, 3] }), (e: unknown) => e instanceof GatewayError && e.code === 'unsupported_param' && e.param === 'input');
});

test('an embed answer: one embedding per text, usage from billed input tokens', () => {
  const response = cohereEmbeddings.response(Buffer.from(JSON.stringify({
    id: 'da6e531f-54c6-4a73-bf92-f60566d8d753',
    embeddings: { float: [[0.016296387, -0.008354187], [-0.04663086, -0.023239136]] },
    texts: ['hello', 'goodbye'],
    meta: { api_version: { version: '2' }, billed_units: { input_tokens: 2 } },
    response_type: 'embeddings_by_type',
  })), cohereTarget());
  assert.deepEqual(response, {
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.016296387, -0.008354187] }, { object: 'embedding', index: 1, embedding: [-0.04663086, -0.023239136] }],
    model: 'command-a-03-2025',
    usage: { prompt_tokens: 2, total_tokens: 2 },
  });
  assert.throws(() => cohereEmbeddings.response(Buffer.from('{"embeddings":{}}'), cohereTarget()), (e: unknown) => e instanceof GatewayError && e.code === 'upstream_bad_response');
});
