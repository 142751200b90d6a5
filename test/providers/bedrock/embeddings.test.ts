/**
 * Embeddings through InvokeModel: Titan's one-text body and answer (dimensions for v2, refused for
 * v1, several texts refused), Cohere's batch body (input_type defaulting to search_document) and
 * both of its answer shapes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { embeddingRequest, embeddingResponse } from '../../../src/providers/bedrock/embeddings.js';
import type { OpenAIEmbeddingRequest } from '../../../src/providers/types.js';
import { bedrockTarget } from './targets.js';

const TITAN = 'amazon.titan-embed-text-v2:0';
const COHERE = 'cohere.embed-english-v3';

async function requestOf(model: string, fields: Partial<OpenAIEmbeddingRequest>, dropParams = false) {
  const request = await embeddingRequest({ model, input: 'hello world', ...fields }, bedrockTarget({ model, dropParams }));
  return { path: request.path, body: JSON.parse(request.body.toString('utf8')) };
}

const refused = (code: string, param: string) => (error: any) => error.code === code && error.param === param;

describe('Titan embeddings', () => {
  test('one text per call, with dimensions for v2', async () => {
    assert.deepEqual(await requestOf(TITAN, { input: ['hello world'], dimensions: 512 }), {
      path: '/model/amazon.titan-embed-text-v2%3A0/invoke',
      body: { inputText: 'hello world', dimensions: 512 },
    });
    assert.deepEqual((await requestOf('amazon.titan-embed-image-v1', { dimensions: 256 })).body, { inputText: 'hello world', embeddingConfig: { outputEmbeddingLength: 256 } });
  });

  test('several texts, token arrays, and dimensions for v1 are refused', async () => {
    await assert.rejects(requestOf(TITAN, { input: ['a', 'b'] }), refused('invalid_body', 'input'));
    await assert.rejects(requestOf(TITAN, { input: [1, 2, 3] }), refused('invalid_body', 'input'));
    await assert.rejects(requestOf('amazon.titan-embed-text-v1', { dimensions: 256 }), refused('unsupported_param', 'dimensions'));
    assert.deepEqual((await requestOf('amazon.titan-embed-text-v1', { dimensions: 256 }, true)).body, { inputText: 'hello world' });
    await assert.rejects(requestOf('meta.llama3-8b-instruct-v1:0', {}), refused('unsupported_param', 'model'));
  });

  test('the answer: one embedding, inputTextTokenCount as usage', () => {
    const response = embeddingResponse(Buffer.from(JSON.stringify({ embedding: [0.1, -0.2, 0.3], inputTextTokenCount: 3 })), bedrockTarget({ model: TITAN }));
    assert.deepEqual(response, {
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2, 0.3] }],
      model: TITAN,
      usage: { prompt_tokens: 3, total_tokens: 3 },
    });
  });
});

describe('Cohere embeddings', () => {
  test('a batch of texts with input_type (search_document unless the request names one)', async () => {
    assert.deepEqual((await requestOf(COHERE, { input: ['a', 'b'] })).body, { texts: ['a', 'b'], input_type: 'search_document' });
    assert.deepEqual((await requestOf(COHERE, { input: 'q', input_type: 'search_query' })).body, { texts: ['q'], input_type: 'search_query' });
    assert.deepEqual((await requestOf('cohere.embed-v4:0', { dimensions: 1024 })).body, { texts: ['hello world'], input_type: 'search_document', output_dimension: 1024 });
    await assert.rejects(requestOf(COHERE, { dimensions: 1024 }), refused('unsupported_param', 'dimensions'));
  });

  test('both answer shapes: a list of floats, and floats by type', () => {
    const target = bedrockTarget({ model: COHERE });
    const list = embeddingResponse(Buffer.from(JSON.stringify({ embeddings: [[1, 2], [3, 4]], id: 'x', response_type: 'embeddings_floats', texts: ['a', 'b'] })), target);
    assert.deepEqual(list.data.map((d) => d.embedding), [[1, 2], [3, 4]]);
    assert.deepEqual(list.usage, { prompt_tokens: 0, total_tokens: 0 });
    const byType = embeddingResponse(Buffer.from(JSON.stringify({ embeddings: { float: [[5, 6]] }, response_type: 'embeddings_by_type' })), target);
    assert.deepEqual(byType.data, [{ object: 'embedding', index: 0, embedding: [5, 6] }]);
    assert.throws(() => embeddingResponse(Buffer.from('{"embeddings":{"int8":[[1]]}}'), target), (error: any) => error.code === 'upstream_bad_response');
  });
});
