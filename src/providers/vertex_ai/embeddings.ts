/**
 * Embeddings on Vertex AI: the model's `:predict` method with one instance per input text
 * (`{"content": text}`) and `dimensions` as parameters.outputDimensionality; each prediction's
 * `embeddings.values` becomes an OpenAI embedding, and the predictions' statistics.token_count
 * add up to the usage.
 */
import { GatewayError } from '../../errors.js';
import { embeddingList, parseJsonObject } from '../answer.js';
import { embeddingTexts, vector } from '../gemini/embeddings.js';
import type { OpenAIEmbeddingRequest, OpenAIEmbeddingResponse, UpstreamTarget } from '../types.js';

export function predictBody(req: OpenAIEmbeddingRequest): unknown {
  const body: Record<string, unknown> = { instances: embeddingTexts(req, 'vertex_ai').map((content) => ({ content })) };
  if (typeof req.dimensions === 'number') body.parameters = { outputDimensionality: req.dimensions };
  return body;
}

interface Prediction {
  embeddings?: { values?: unknown; statistics?: { token_count?: unknown } };
}

export function predictResponse(body: Buffer, target: UpstreamTarget): OpenAIEmbeddingResponse {
  const answer = parseJsonObject(body, 'Vertex AI') as { predictions?: Prediction[] };
  if (!Array.isArray(answer.predictions)) throw new GatewayError('upstream_bad_response', "Vertex AI's embedding answer has no predictions list");
  let tokens = 0;
  const vectors = answer.predictions.map((prediction) => {
    const count = prediction?.embeddings?.statistics?.token_count;
    if (typeof count === 'number') tokens += count;
    return vector(prediction?.embeddings?.values, 'Vertex AI');
  });
  return embeddingList(vectors, target.upstreamModel, tokens);
}
