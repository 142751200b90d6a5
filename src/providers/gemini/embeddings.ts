/**
 * Embeddings through the Gemini API's `models/{model}:batchEmbedContents`: one request per input
 * text, `dimensions` as outputDimensionality; the answer's `embeddings[].values` in input order
 * become the OpenAI list. Every OpenAI embedding parameter is taken: `encoding_format` and `user`
 * change nothing upstream (Google answers floats), other keys are not sent.
 *
 * Usage: the API reports no token counts for embeddings, and the adapter does not see the input
 * when it reads the answer, so the usage is 0 tokens (a usageMetadata.promptTokenCount in the
 * answer, should Google add one, is taken).
 */
import { GatewayError } from '../../errors.js';
import type { EmbeddingsTranslation, OpenAIEmbeddingRequest, OpenAIEmbeddingResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { apiKeyCredential, headerBlock, jsonBody, modelSegment, underApiBase } from './http.js';

/** The input as texts; token-id input (number arrays) cannot be sent to Google's embedding models. */
export function embeddingTexts(req: OpenAIEmbeddingRequest, providerName: string): string[] {
  const input = req.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((item) => typeof item === 'string')) return input as string[];
  throw new GatewayError('invalid_body', `input must be a string or a non-empty list of strings for ${providerName} (token ids cannot be sent)`, { param: 'input' });
}

function batchEmbedBody(req: OpenAIEmbeddingRequest, target: UpstreamTarget): unknown {
  const model = `models/${target.upstreamModel}`;
  const requests = embeddingTexts(req, 'gemini').map((text) => {
    const request: Record<string, unknown> = { model, content: { parts: [{ text }] } };
    if (typeof req.dimensions === 'number') request.outputDimensionality = req.dimensions;
    return request;
  });
  return { requests };
}

function geminiEmbeddingRequest(req: OpenAIEmbeddingRequest, target: UpstreamTarget): UpstreamRequest {
  return {
    path: underApiBase(target, `/v1beta/models/${modelSegment(target.upstreamModel)}:batchEmbedContents`),
    headerBlock: headerBlock(target, apiKeyCredential(target)),
    body: jsonBody(batchEmbedBody(req, target)),
  };
}

interface BatchEmbedAnswer {
  embeddings?: { values?: unknown }[];
  usageMetadata?: { promptTokenCount?: number };
}

function geminiEmbeddingResponse(body: Buffer, target: UpstreamTarget): OpenAIEmbeddingResponse {
  const answer = parseJsonObject(body, 'Gemini') as BatchEmbedAnswer;
  if (!Array.isArray(answer.embeddings)) throw new GatewayError('upstream_bad_response', "Gemini's embedding answer has no embeddings list");
  const data = answer.embeddings.map((embedding, index) => ({ object: 'embedding' as const, index, embedding: vector(embedding?.values, 'Gemini') }));
  const tokens = typeof answer.usageMetadata?.promptTokenCount === 'number' ? answer.usageMetadata.promptTokenCount : 0;
  return { object: 'list', data, model: target.upstreamModel, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

/** A list of numbers, else upstream_bad_response. */
export function vector(values: unknown, providerName: string): number[] {
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number')) {
    throw new GatewayError('upstream_bad_response', `${providerName}'s embedding is not a list of numbers`);
  }
  return values as number[];
}

export function parseJsonObject(body: Buffer, providerName: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('upstream_bad_response', `${providerName} answered with a body that is not JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GatewayError('upstream_bad_response', `${providerName} answered with JSON that is not an object`);
  }
  return parsed as Record<string, unknown>;
}

export const geminiEmbeddings: EmbeddingsTranslation = {
  request: geminiEmbeddingRequest,
  response: geminiEmbeddingResponse,
};
