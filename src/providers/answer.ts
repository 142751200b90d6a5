/**
 * Reading a provider's whole answer, for every adapter's `response`: the body as a JSON object
 * (anything else, not JSON or JSON that is no object, is GatewayError('upstream_bad_response') with
 * the adapter's message, never a half-read answer), and the canonical embeddings list.
 */
import { GatewayError } from '../errors.js';
import type { OpenAIEmbeddingResponse } from './types.js';

/** `body` as a JSON object; `notJson` and `notObject` are the errors' messages. */
export function answerObject(body: Buffer | string, notJson: string, notObject: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch {
    throw new GatewayError('upstream_bad_response', notJson);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new GatewayError('upstream_bad_response', notObject);
  return parsed as Record<string, unknown>;
}

/** answerObject, the messages naming the provider: `<provider> answered with a body that is not JSON`… */
export function parseJsonObject(body: Buffer, providerName: string): Record<string, unknown> {
  return answerObject(body, `${providerName} answered with a body that is not JSON`, `${providerName} answered with JSON that is not an object`);
}

/** The canonical embeddings answer: the vectors in input order, `tokens` the prompt's count. */
export function embeddingList(vectors: readonly number[][], model: string, tokens: number): OpenAIEmbeddingResponse {
  return {
    object: 'list',
    data: vectors.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}
