/**
 * The contract between the gateway and a provider whose wire format is not OpenAI's.
 *
 * Every translation goes through one canonical form: OpenAI's Chat Completions (and Embeddings)
 * objects. A provider adapter turns a canonical request into the provider's HTTP request, and the
 * provider's answer (whole, or streamed) back into canonical objects. A client format (the OpenAI
 * routes, or the Anthropic front door `/v1/messages`, src/frontdoor/) turns the client's body into
 * a canonical request and canonical answers into the client's wire format. So an Anthropic client
 * calling a Gemini deployment goes Anthropic → canonical → Gemini and back, and every provider is
 * written once.
 *
 * Where client and upstream speak the same wire format (OpenAI clients to OpenAI-compatible
 * upstreams, Anthropic clients to Anthropic upstreams) nothing is parsed: the bytes pass through
 * with only `model` spliced (src/pipeline/route/stage.ts).
 *
 * Contract for adapters:
 * - Pure translation: no I/O except what `request` needs for credentials (a cached OAuth token,
 *   SigV4 signing), which is why it may return a promise.
 * - A request parameter the provider cannot take is dropped when the deployment (or
 *   litellm_settings) sets `drop_params`, else refused with GatewayError('unsupported_param', …)
 *   naming it (status 400).
 * - `response` and the stream decoder throw GatewayError('upstream_bad_response', …) for an answer
 *   they cannot read; they never return a half-filled object.
 * - The stream decoder's chunks end with one chunk whose `choices` is empty and whose `usage` is
 *   the call's usage, whenever the provider reported usage (as OpenAI does with include_usage).
 *   The gateway keeps that chunk from clients that did not ask for it.
 */
import type { ModelDeployment } from '../config/types.js';

// ---- canonical objects: OpenAI Chat Completions and Embeddings ----

export interface OpenAITextPart {
  type: 'text';
  text: string;
}

export interface OpenAIImagePart {
  type: 'image_url';
  /** An https URL or a data URL (`data:image/png;base64,...`). */
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export type OpenAIContentPart = OpenAITextPart | OpenAIImagePart | { type: string; [key: string]: unknown };

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content: string | OpenAIContentPart[] | null;
  name?: string;
  tool_calls?: OpenAIToolCall[];
  /** For role `tool`: the call this message answers. */
  tool_call_id?: string;
  /** Reasoning text some providers return (LiteLLM's field). */
  reasoning_content?: string;
}

export interface OpenAITool {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type OpenAIToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export interface OpenAIResponseFormat {
  type: 'text' | 'json_object' | 'json_schema';
  json_schema?: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean };
}

export interface OpenAIChatRequest {
  model: string;
  messages: OpenAIMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  seed?: number | null;
  user?: string | null;
  tools?: OpenAITool[] | null;
  tool_choice?: OpenAIToolChoice | null;
  parallel_tool_calls?: boolean | null;
  response_format?: OpenAIResponseFormat | null;
  reasoning_effort?: string | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  [key: string]: unknown;
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** cached_tokens: part of prompt_tokens read from the cache; cache_creation_tokens: part written to it. */
  prompt_tokens_details?: { cached_tokens?: number; cache_creation_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface OpenAIChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: {
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: OpenAIToolCall[]; reasoning_content?: string };
    finish_reason: FinishReason | null;
    logprobs: null;
  }[];
  usage?: OpenAIUsage;
  system_fingerprint?: string | null;
}

export interface OpenAIToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface OpenAIChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: {
    index: number;
    delta: { role?: 'assistant'; content?: string | null; tool_calls?: OpenAIToolCallDelta[]; reasoning_content?: string };
    finish_reason: FinishReason | null;
    logprobs?: null;
  }[];
  usage?: OpenAIUsage | null;
}

export interface OpenAIEmbeddingRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64' | null;
  dimensions?: number | null;
  user?: string | null;
  [key: string]: unknown;
}

export interface OpenAIEmbeddingResponse {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface OpenAIImageRequest {
  model: string;
  prompt: string;
  n?: number | null;
  size?: string | null;
  quality?: string | null;
  /** `url` or `b64_json`; translated providers answer with b64_json only unless they host images. */
  response_format?: 'url' | 'b64_json' | null;
  style?: string | null;
  user?: string | null;
  [key: string]: unknown;
}

export interface OpenAIImageResponse {
  created: number;
  data: { url?: string; b64_json?: string; revised_prompt?: string }[];
}

// ---- the adapter contract ----

/** What an adapter knows about the call it translates. */
export interface UpstreamTarget {
  /** The deployment: apiBase, apiKey, apiVersion, and litellmParams for provider-specific keys. */
  readonly deployment: ModelDeployment;
  /** The model name sent upstream (provider prefix removed, wildcard filled). */
  readonly upstreamModel: string;
  readonly stream: boolean;
  /** drop_params: leave out parameters the provider does not take instead of refusing the call. */
  readonly dropParams: boolean;
}

/** One HTTP request to the upstream (always POST, to the deployment's origin). */
export interface UpstreamRequest {
  /** Path and query on the deployment's origin, e.g. `/v1/messages` or `/v1beta/models/x:generateContent`. */
  readonly path: string;
  /** Header lines after Host, each ending in CRLF, without Content-Length. */
  readonly headerBlock: string;
  readonly body: Buffer;
}

/** An OpenAI client's chat.completion body (JSON text) and the usage it reports. */
export interface CompletionText {
  readonly body: string;
  readonly usage: OpenAIUsage;
}

/** Reads a provider's stream, as its bytes arrive, into canonical chunks. */
export interface ChunkDecoder {
  /** Bytes as received (any split); returns the chunks they complete, in order. `bytes` is lent: copy what you keep. */
  feed(bytes: Buffer): OpenAIChatChunk[];
  /** The stream ended: returns the chunks still held (the usage chunk, at the latest). */
  end(): OpenAIChatChunk[];
}

export interface ChatTranslation {
  request(req: OpenAIChatRequest, target: UpstreamTarget): UpstreamRequest | Promise<UpstreamRequest>;
  /**
   * The fast path for an OpenAI client's body (strict JSON, already validated): the upstream
   * request written from its bytes, equivalent to what `request` makes of the parsed body (the
   * model is target.upstreamModel); null for a body it does not take, which then goes to `request`.
   */
  requestFromBody?(body: Buffer, target: UpstreamTarget): UpstreamRequest | null;
  /** A whole success answer (2xx, not streamed). */
  response(body: Buffer, target: UpstreamTarget): OpenAIChatCompletion;
  /**
   * The fast path for a whole success answer to an OpenAI client: the chat.completion body written
   * from the answer's bytes, equivalent to serialising what `response` makes of it, and its usage;
   * null for an answer it does not take, which then goes to `response`.
   */
  completionFromBody?(body: Buffer, target: UpstreamTarget): CompletionText | null;
  /** A decoder for one streamed answer. */
  stream(target: UpstreamTarget): ChunkDecoder;
}

export interface EmbeddingsTranslation {
  request(req: OpenAIEmbeddingRequest, target: UpstreamTarget): UpstreamRequest | Promise<UpstreamRequest>;
  response(body: Buffer, target: UpstreamTarget): OpenAIEmbeddingResponse;
}

/** Image generation (/v1/images/generations). */
export interface ImagesTranslation {
  request(req: OpenAIImageRequest, target: UpstreamTarget): UpstreamRequest | Promise<UpstreamRequest>;
  response(body: Buffer, target: UpstreamTarget): OpenAIImageResponse;
}

/** An upstream error answer, read: what goes into the client's error envelope and what the router classifies by. */
export interface UpstreamErrorInfo {
  readonly message: string;
  /** The provider's error type or code (e.g. `rate_limit_error`, `RESOURCE_EXHAUSTED`), '' when none. */
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
}

/**
 * Where a provider lives and how its credential is found: an OpenAI-compatible table entry
 * (src/providers/openai-compatible/table.ts) is one, and so is every adapter, so the config loader
 * reads api_base and api_key for both alike.
 */
export interface ProviderEndpoint {
  /** Prefix in `litellm_params.model`, e.g. `groq`. */
  readonly prefix: string;
  /**
   * Base URL, without a trailing slash (for OpenAI-compatible providers including the API version
   * path, `https://api.openai.com/v1`, to which `/chat/completions` is appended). Null when the
   * provider has no public endpoint, so every deployment must give `api_base` (or the adapter
   * derives one: ProviderAdapter.apiBaseFor).
   */
  readonly defaultApiBase: string | null;
  /** Path a written `api_base` must end with; appended when missing (normalizeApiBase). */
  readonly apiBaseSuffix: string;
  /** Environment variables that override the default base, first match wins. */
  readonly apiBaseEnv: readonly string[];
  /** Environment variables holding the credential, first match wins (first = documented name). */
  readonly apiKeyEnv: readonly string[];
  /** Whether calls fail without a credential (local servers accept anonymous calls). */
  readonly keyRequired: boolean;
  /** Header carrying api_key (lower case) and its prefix; adapters that sign requests ignore these. */
  readonly authHeader: string;
  readonly authScheme: string;
  /** Models offered under this provider when the model list is derived from the environment. */
  readonly wellKnownModels: readonly string[];
}

export interface ProviderAdapter extends ProviderEndpoint {
  /** Other prefixes that name this provider (`bedrock_converse` for bedrock). */
  readonly aliases: readonly string[];
  /**
   * The wire format the upstream speaks: clients of the same format are passed through
   * untouched ('openai': e.g. azure, which differs only in path and auth, see `passthrough`).
   */
  readonly wire: 'openai' | 'anthropic' | 'other';
  /**
   * The api_base when neither config nor environment gives one and it depends on other params
   * (Bedrock's region, Vertex's location); null when it cannot be derived.
   */
  apiBaseFor?(params: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): string | null;
  /**
   * For wire 'openai' (and 'anthropic') upstreams: where the client's bytes go and with which
   * headers. `upstreamPath` is the route's OpenAI path (`/chat/completions`, `/embeddings`).
   */
  passthrough?(upstreamPath: string, target: UpstreamTarget): { path: string; headerBlock: string } | Promise<{ path: string; headerBlock: string }>;
  readonly chat: ChatTranslation | null;
  readonly embeddings: EmbeddingsTranslation | null;
  /** Image generation; absent or null when the provider has none (or its API is OpenAI's: wire 'openai'). */
  readonly images?: ImagesTranslation | null;
  /** Reads an error answer (status ≥ 400) of this provider. */
  errorInfo(status: number, body: Buffer): UpstreamErrorInfo;
}
