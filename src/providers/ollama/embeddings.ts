/**
 * Canonical embeddings as Ollama native embed calls (`POST /api/embed`) and back.
 *
 * Request: input (a string or a list of strings) as it is; dimensions; Ollama's own `truncate`
 * and `keep_alive` pass through when the client sends them (Ollama truncates by default). Token
 * arrays cannot be embedded by Ollama and are refused. encoding_format is not sent: Ollama
 * answers floats, and the canonical response carries floats.
 * Response: embeddings → data; usage from prompt_eval_count.
 */
import { GatewayError } from '../../errors.js';
import type { EmbeddingsTranslation, OpenAIEmbeddingRequest, OpenAIEmbeddingResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { ollamaHeaders, ollamaPath } from './http.js';
import { parseObject } from './response.js';

function embedRequest(req: OpenAIEmbeddingRequest, target: UpstreamTarget): UpstreamRequest {
  const body: Record<string, unknown> = { model: target.upstreamModel, input: inputOf(req.input) };
  if (req.dimensions !== undefined && req.dimensions !== null) body.dimensions = req.dimensions;
  if (typeof req.truncate === 'boolean') body.truncate = req.truncate;
  if (req.keep_alive !== undefined && req.keep_alive !== null) body.keep_alive = req.keep_alive;
  return { path: ollamaPath(target.deployment.apiBase, 'embed'), headerBlock: ollamaHeaders(target.deployment), body: Buffer.from(JSON.stringify(body)) };
}

function inputOf(input: OpenAIEmbeddingRequest['input']): string | string[] {
  if (typeof input === 'string') return input;
  if (Array.isArray(input) && input.every((item) => typeof item === 'string')) return input as string[];
  if (Array.isArray(input)) {
    throw new GatewayError('unsupported_param', 'Ollama embeds text only: input must be a string or a list of strings, not token ids', { param: 'input' });
  }
  throw new GatewayError('invalid_body', 'input must be a string or a list of strings', { param: 'input' });
}

function embedResponse(body: Buffer, target: UpstreamTarget): OpenAIEmbeddingResponse {
  const answer = parseObject(body.toString('utf8'));
  const vectors = answer?.embeddings;
  if (!Array.isArray(vectors) || !vectors.every(Array.isArray)) {
    throw new GatewayError('upstream_bad_response', 'Ollama answered the embed call without embeddings');
  }
  const tokens = typeof answer?.prompt_eval_count === 'number' ? answer.prompt_eval_count : 0;
  return {
    object: 'list',
    data: (vectors as number[][]).map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: target.upstreamModel,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
}

export const ollamaEmbeddings: EmbeddingsTranslation = { request: embedRequest, response: embedResponse };
