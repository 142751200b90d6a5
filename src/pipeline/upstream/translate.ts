/**
 * The translating side of the upstream stage: calls where the client's wire format and the
 * upstream's differ (an OpenAI client and an Anthropic, Gemini, Bedrock… deployment; an Anthropic
 * client and an OpenAI-format deployment), and calls that pass bytes through to an adapter that
 * only changes path and auth (Azure; Anthropic clients to Anthropic).
 *
 * Request: at each attempt the client's body is parsed into the canonical OpenAI object (the
 * route's client format does that) and the deployment's adapter makes the upstream request from it.
 * Answer: the adapter reads the upstream's answer (whole, or a stream as it arrives) into canonical
 * objects; the client format writes them in the client's wire format. The usage the provider
 * reported prices the call; a stream without it is counted from its text.
 *
 * For an OpenAI client's chat call an adapter may offer fast paths that skip the canonical objects:
 * ChatTranslation.requestFromBody writes a plain text request from the client's bytes, and
 * completionFromBody writes a plain whole answer as the client's body from the answer's bytes.
 * Either returns null for anything else, which then takes the path above.
 *
 * src/providers/types.ts and src/frontdoor/types.ts are the contracts on either side.
 */
import os from 'node:os';
import { GatewayError } from '../../errors.js';
import type { ChunkEncoder } from '../../frontdoor/types.js';
import { OpenAIChunkDecoder, openaiChatBody, openaiChatResponse, openaiErrorInfo } from '../../providers/openai-compatible/translation.js';
import type {
  ChunkDecoder,
  OpenAIChatChunk,
  OpenAIChatCompletion,
  OpenAIChatRequest,
  OpenAIEmbeddingRequest,
  OpenAIEmbeddingResponse,
  OpenAIImageRequest,
  OpenAIUsage,
  UpstreamErrorInfo,
  UpstreamRequest,
  UpstreamTarget,
} from '../../providers/types.js';
import { usageFromOpenAI, type ExtractedUsage } from '../../spend/usage.js';
import type { RequestContext } from '../context.js';
import type { DeploymentRuntime } from '../runtime.js';

/** How an attempt's bytes go: as the client sent them (model spliced), or translated. */
export const enum Wire {
  /** Client and upstream speak one format and the default path and auth apply (the fast path). */
  Direct,
  /** Client and upstream speak one format; the adapter says where to send and how to sign. */
  Passthrough,
  /** The body is made from the canonical request and the answer is translated back. */
  Translated,
}

export function wireFor(ctx: RequestContext, deployment: DeploymentRuntime): Wire {
  const client = ctx.route.client.wire;
  if (client === 'openai-responses') return deployment.adapter === null && deployment.spec.provider === 'openai' ? Wire.Direct : Wire.Translated;
  if (client !== deployment.wire) return Wire.Translated;
  if (deployment.adapter === null) return Wire.Direct;
  return deployment.adapter.passthrough !== undefined ? Wire.Passthrough : Wire.Translated;
}

/**
 * The canonical request of a translated call, parsed from the client's bytes at each attempt.
 * Not kept between attempts: a retry is rare, while holding the parsed object through the
 * upstream's answer would make every in-flight request's object graph survive the scavenges
 * that happen meanwhile.
 */
function canonicalOf(ctx: RequestContext): OpenAIChatRequest | OpenAIEmbeddingRequest | OpenAIImageRequest {
  const body = ctx.body.subarray(0, ctx.bodyLength);
  // Embeddings and images are only OpenAI-format routes: their canonical request is the body.
  return ctx.route.kind === 'chat' ? ctx.route.client.chatRequest(body) : (JSON.parse(body.toString('utf8')) as OpenAIEmbeddingRequest | OpenAIImageRequest);
}

/** Translated embeddings calls whose client asked for base64 vectors (the openai SDK's default). */
const base64Embeddings = new WeakSet<RequestContext>();

function targetOf(ctx: RequestContext, deployment: DeploymentRuntime): UpstreamTarget {
  return { deployment: deployment.spec, upstreamModel: ctx.upstreamModel, stream: ctx.stream, dropParams: deployment.dropParams };
}

/**
 * The upstream request of one attempt that is not Direct. May be a promise (a token to fetch, a
 * body to sign); throws (or rejects with) a GatewayError for a request the provider cannot take.
 */
export function prepareRequest(ctx: RequestContext, deployment: DeploymentRuntime, wire: Wire): UpstreamRequest | Promise<UpstreamRequest> {
  const adapter = deployment.adapter;
  const target = targetOf(ctx, deployment);
  if (wire === Wire.Passthrough) {
    const body = ctx.upstreamBody!;
    return then(adapter!.passthrough!(ctx.route.upstreamPath, target), (where) => ({ path: where.path, headerBlock: where.headerBlock, body }));
  }
  const route = ctx.route;
  if (route.kind === 'completions') {
    throw new GatewayError('unsupported_param', `/v1/completions is served only by OpenAI-compatible providers; deployment ${deployment.spec.id} is '${deployment.spec.provider}'. Use /v1/chat/completions.`);
  }
  if (route.kind === 'chat' && route.client.wire === 'openai') {
    // The adapter's fast path: a plain body written from the client's bytes, nothing parsed.
    const fast = adapter?.chat?.requestFromBody?.(ctx.body.subarray(0, ctx.bodyLength), target) ?? null;
    if (fast !== null) return fast;
  }
  const canonical = canonicalOf(ctx);
  if (route.kind === 'embeddings') {
    const embeddings = adapter?.embeddings ?? null;
    if (embeddings === null) {
      throw new GatewayError('unsupported_param', `Provider '${deployment.spec.provider}' (deployment ${deployment.spec.id}) does not serve embeddings.`);
    }
    const request = canonical as OpenAIEmbeddingRequest;
    if (request.encoding_format === 'base64') base64Embeddings.add(ctx);
    request.model = ctx.upstreamModel;
    return embeddings.request(request, target);
  }
  if (route.kind === 'images') {
    const images = adapter?.images ?? null;
    if (images === null) {
      throw new GatewayError('unsupported_param', `Provider '${deployment.spec.provider}' (deployment ${deployment.spec.id}) does not generate images.`);
    }
    const request = canonical as OpenAIImageRequest;
    if (typeof request.prompt !== 'string' || request.prompt === '') {
      throw new GatewayError('invalid_body', 'Missing required parameter: prompt (a string).', { param: 'prompt' });
    }
    request.model = ctx.upstreamModel;
    return images.request(request, target);
  }
  const request = canonical as OpenAIChatRequest;
  request.model = ctx.upstreamModel;
  if (adapter !== null && adapter.chat !== null) return adapter.chat.request(request, target);
  if (adapter !== null && adapter.wire !== 'openai') {
    throw new GatewayError('unsupported_param', `Provider '${deployment.spec.provider}' (deployment ${deployment.spec.id}) does not serve chat.`);
  }
  // An OpenAI-format upstream for a client of another format: the canonical request is its body.
  const body = openaiChatBody(request, ctx.stream);
  if (adapter?.passthrough !== undefined) {
    return then(adapter.passthrough('/chat/completions', target), (where) => ({ path: where.path, headerBlock: where.headerBlock, body }));
  }
  return { path: deployment.pathPrefix + '/chat/completions', headerBlock: deployment.headerBlock, body };
}

function then<T, U>(value: T | Promise<T>, map: (value: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(map) : map(value);
}

/** An error answer of the deployment's provider, read. */
export function errorInfoOf(deployment: DeploymentRuntime, wire: Wire, status: number, body: Buffer): UpstreamErrorInfo {
  const adapter = deployment.adapter;
  if (adapter === null || (wire === Wire.Translated && adapter.chat === null && adapter.embeddings === null)) return openaiErrorInfo(status, body);
  return adapter.errorInfo(status, body);
}

/** A translated whole answer: the client's body and the usage it reports. */
export interface TranslatedAnswer {
  readonly body: string;
  readonly usage: ExtractedUsage | null;
}

export function translateAnswer(ctx: RequestContext, deployment: DeploymentRuntime, body: Buffer): TranslatedAnswer {
  const adapter = deployment.adapter;
  const target = targetOf(ctx, deployment);
  if (ctx.route.kind === 'embeddings') {
    const response = adapter!.embeddings!.response(body, target);
    const text = base64Embeddings.has(ctx) ? base64Encoded(response) : JSON.stringify(response);
    return { body: text, usage: usageFromOpenAI(response.usage) };
  }
  if (ctx.route.kind === 'images') return { body: JSON.stringify(adapter!.images!.response(body, target)), usage: null };
  if (ctx.route.client.wire === 'openai') {
    // The adapter's fast path: a plain answer written as the client's body from its bytes.
    const fast = adapter?.chat?.completionFromBody?.(body, target) ?? null;
    if (fast !== null) return { body: fast.body, usage: usageFromOpenAI(fast.usage) };
  }
  const completion: OpenAIChatCompletion = adapter !== null && adapter.chat !== null ? adapter.chat.response(body, target) : openaiChatResponse(body);
  return { body: ctx.route.client.chatResponse(completion), usage: usageFromOpenAI(completion.usage) };
}

/**
 * The answer with each vector as OpenAI sends it for `encoding_format: "base64"` (the openai SDK's
 * default): the float32 values, little-endian, base64-encoded.
 */
function base64Encoded(response: OpenAIEmbeddingResponse): string {
  const data = response.data.map((item) => {
    const floats = Float32Array.from(item.embedding);
    const bytes = Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength);
    if (os.endianness() === 'BE') bytes.swap32();
    return { ...item, embedding: bytes.toString('base64') };
  });
  return JSON.stringify({ ...response, data });
}

/** Longest streamed text kept for counting a stream's tokens when the provider reports no usage. */
const MAX_COUNTED_TEXT = 4 * 1024 * 1024;

/**
 * One translated stream: upstream bytes in, the client's bytes out, and what the stream cost
 * (the provider's usage, or the text it carried, for counting).
 */
export class TranslatedStream {
  private readonly decoder: ChunkDecoder;
  private readonly encoder: ChunkEncoder;
  /** The provider's usage (the last one reported); null when none came. */
  usage: OpenAIUsage | null = null;
  private text: string[] = [];
  private textLength = 0;

  constructor(ctx: RequestContext, deployment: DeploymentRuntime) {
    const adapter = deployment.adapter;
    this.decoder = adapter !== null && adapter.chat !== null ? adapter.chat.stream(targetOf(ctx, deployment)) : new OpenAIChunkDecoder();
    this.encoder = ctx.route.client.chatStream(ctx.clientWantsUsage);
  }

  /** The client's bytes for upstream `bytes` (lent: not kept). Throws GatewayError when the stream cannot be read. */
  feed(bytes: Buffer): string {
    return this.encode(this.decoder.feed(bytes));
  }

  /** The client's bytes that close a complete stream. */
  end(): string {
    return this.encode(this.decoder.end()) + this.encoder.end();
  }

  /** The client's bytes that close a stream broken by `error`. */
  error(error: GatewayError): string {
    return this.encoder.error(error);
  }

  /** The streamed text, for counting when the provider reported no usage. */
  streamedText(): string {
    return this.text.join('');
  }

  private encode(chunks: OpenAIChatChunk[]): string {
    let out = '';
    for (const chunk of chunks) {
      if (chunk.usage != null) this.usage = chunk.usage;
      for (const choice of chunk.choices) this.keepText(choice.delta.content);
      out += this.encoder.chunk(chunk);
    }
    return out;
  }

  private keepText(text: string | null | undefined): void {
    if (typeof text !== 'string' || text === '' || this.textLength >= MAX_COUNTED_TEXT) return;
    this.text.push(text);
    this.textLength += text.length;
  }
}
