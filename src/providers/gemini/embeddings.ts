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
import { embeddingList, parseJsonObject } from '../answer.js';
import { jsonBody } from '../http.js';
import type { EmbeddingsTranslation, OpenAIEmbeddingRequest, OpenAIEmbeddingResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { apiKeyHeaderBlock, modelSegment, underApiBase } from './http.js';

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
    headerBlock: apiKeyHeaderBlock(target.deployment),
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
  const vectors = answer.embeddings.map((embedding) => vector(embedding?.values, 'Gemini'));
  const tokens = typeof answer.usageMetadata?.promptTokenCount === 'number' ? answer.usageMetadata.promptTokenCount : 0;
  return embeddingList(vectors, target.upstreamModel, tokens);
}

/** A list of numbers, else upstream_bad_response. */
export function vector(values: unknown, providerName: string): number[] {
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number')) {
    throw new GatewayError('upstream_bad_response', `${providerName}'s embedding is not a list of numbers`);
  }
  return values as number[];
}

export const geminiEmbeddings: EmbeddingsTranslation = {
  request: geminiEmbeddingRequest,
  response: geminiEmbeddingResponse,
};
