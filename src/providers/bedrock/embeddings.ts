/**
 * Embeddings through InvokeModel (`POST /model/{modelId}/invoke`), in each model family's body:
 *
 * - Amazon Titan text (`amazon.titan-embed-text-v1`, `-v2:0`): `{inputText, dimensions}` →
 *   `{embedding, inputTextTokenCount}`; Titan multimodal (`amazon.titan-embed-image-v1`):
 *   `{inputText, embeddingConfig: {outputEmbeddingLength}}`. Titan embeds one text per call, so
 *   an `input` of several texts is refused (400) rather than split into calls here.
 * - Cohere (`cohere.embed-english-v3`, `-multilingual-v3`, `cohere.embed-v4:0`):
 *   `{texts, input_type}` (input_type from the request, else `search_document` as LiteLLM) →
 *   `{embeddings: [[…]]}` or, from v4, `{embeddings: {float: [[…]]}}`. Bedrock's Cohere answer has
 *   no token count, so its usage is 0 unless the body carries Cohere's `meta.billed_units`.
 *
 * `dimensions` goes to Titan v2 and the multimodal model, and to Cohere v4 as output_dimension.
 */
import { GatewayError } from '../../errors.js';
import { answerObject, embeddingList } from '../answer.js';
import type { OpenAIEmbeddingRequest, OpenAIEmbeddingResponse, UpstreamRequest, UpstreamTarget } from '../types.js';
import { modelIdOf } from './endpoint.js';
import { bedrockRequest } from './transport.js';

type Json = Record<string, unknown>;

export async function embeddingRequest(req: OpenAIEmbeddingRequest, target: UpstreamTarget): Promise<UpstreamRequest> {
  const modelId = modelIdOf(target.upstreamModel);
  const texts = textsOf(req.input);
  const body = modelId.includes('cohere.embed') ? cohereBody(req, modelId, texts, target.dropParams) : titanBody(req, modelId, texts, target.dropParams);
  return bedrockRequest(target, modelId, 'invoke', Buffer.from(JSON.stringify(body)));
}

function textsOf(input: unknown): string[] {
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
    throw new GatewayError('invalid_body', 'input must be a string or a non-empty array of strings for Bedrock (token arrays are not taken).', { param: 'input' });
  }
  return texts as string[];
}

function dimensionsOf(req: OpenAIEmbeddingRequest): number | null {
  if (req.dimensions == null) return null;
  if (typeof req.dimensions !== 'number') throw new GatewayError('invalid_body', 'dimensions must be a number.', { param: 'dimensions' });
  return req.dimensions;
}

function refuseDimensions(modelId: string, dropParams: boolean): void {
  if (dropParams) return;
  throw new GatewayError('unsupported_param', `Unsupported parameter \`dimensions\`: ${modelId} has one embedding size. Set drop_params: true to leave it out.`, { param: 'dimensions' });
}

function titanBody(req: OpenAIEmbeddingRequest, modelId: string, texts: string[], dropParams: boolean): Json {
  if (!modelId.includes('amazon.titan-embed')) {
    throw new GatewayError('unsupported_param', `Bedrock embeddings are served for amazon.titan-embed-* and cohere.embed-* models, not ${modelId}.`, { param: 'model' });
  }
  if (texts.length !== 1) {
    throw new GatewayError('invalid_body', `${modelId} embeds one text per call; send the ${texts.length} texts in separate requests.`, { param: 'input' });
  }
  const body: Json = { inputText: texts[0] };
  const dimensions = dimensionsOf(req);
  if (dimensions === null) return body;
  if (modelId.includes('titan-embed-image')) body.embeddingConfig = { outputEmbeddingLength: dimensions };
  else if (modelId.includes('titan-embed-text-v1')) refuseDimensions(modelId, dropParams);
  else body.dimensions = dimensions;
  return body;
}

function cohereBody(req: OpenAIEmbeddingRequest, modelId: string, texts: string[], dropParams: boolean): Json {
  const body: Json = { texts, input_type: typeof req.input_type === 'string' ? req.input_type : 'search_document' };
  if (typeof req.truncate === 'string') body.truncate = req.truncate;
  const dimensions = dimensionsOf(req);
  if (dimensions !== null) {
    if (modelId.includes('embed-v4')) body.output_dimension = dimensions;
    else refuseDimensions(modelId, dropParams);
  }
  return body;
}

export function embeddingResponse(body: Buffer, target: UpstreamTarget): OpenAIEmbeddingResponse {
  const answer = answerObject(body, 'The Bedrock embedding answer is not JSON.', 'The Bedrock embedding answer is not a JSON object.') as Json;
  return embeddingList(vectorsOf(answer), target.upstreamModel, tokensOf(answer));
}

/** Titan's one `embedding`, or Cohere's `embeddings` (a list, or by type with `float`). */
function vectorsOf(answer: Json): number[][] {
  if (isVector(answer.embedding)) return [answer.embedding];
  const embeddings = answer.embeddings;
  const list = Array.isArray(embeddings) ? embeddings : (embeddings as { float?: unknown } | undefined)?.float;
  if (Array.isArray(list) && list.every(isVector)) return list;
  throw new GatewayError('upstream_bad_response', 'The Bedrock embedding answer has no float embeddings.');
}

function isVector(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((n) => typeof n === 'number');
}

function tokensOf(answer: Json): number {
  if (typeof answer.inputTextTokenCount === 'number') return answer.inputTextTokenCount;
  const billed = (answer.meta as { billed_units?: { input_tokens?: unknown } } | undefined)?.billed_units?.input_tokens;
  return typeof billed === 'number' ? billed : 0;
}
