/**
 * A client format: the wire format a client speaks to the gateway (the OpenAI routes, or the
 * Anthropic front door `/v1/messages`), as seen from the canonical objects of
 * src/providers/types.ts.
 *
 * When the deployment's upstream speaks the client's own wire format, none of this runs: the
 * client's bytes pass through (only `model` spliced) and the answer's bytes come back as they are.
 * Otherwise the client's body becomes a canonical request, the provider adapter makes the upstream
 * call from it, and the canonical answer is written back in the client's format here.
 *
 * Contract: every method is pure (no I/O) and throws only GatewayError: `invalid_body` (400,
 * naming the field) for a request that cannot be read.
 */
import type { GatewayError } from '../errors.js';
import type { OpenAIChatChunk, OpenAIChatCompletion, OpenAIChatRequest } from '../providers/types.js';

/**
 * `openai-responses`: the Responses API (/v1/responses), passed through only to OpenAI itself
 * (other providers do not serve it) and translated from chat completions for every other one.
 */
export type ClientWire = 'openai' | 'anthropic' | 'openai-responses';

export interface ChunkEncoder {
  /** The bytes (SSE text) for one canonical chunk; '' when it makes none. */
  chunk(chunk: OpenAIChatChunk): string;
  /** The bytes that close a complete stream (OpenAI: `data: [DONE]`; Anthropic: the closing events). */
  end(): string;
  /** The bytes that close a stream broken by `error`: an error event, never a fake completion. */
  error(error: GatewayError): string;
}

export interface ClientFormat {
  readonly wire: ClientWire;
  /**
   * The client's chat body (already validated as JSON by the parse stage, `model` present) as a
   * canonical request. Keeps `model` as the client wrote it; the gateway sets the upstream name.
   */
  chatRequest(body: Buffer): OpenAIChatRequest;
  /** A canonical completion as the client's response body. */
  chatResponse(completion: OpenAIChatCompletion): string;
  /**
   * An encoder for one streamed answer. `includeUsage`: the client asked for the usage chunk
   * (OpenAI's stream_options.include_usage; Anthropic clients always get usage in message_delta).
   */
  chatStream(includeUsage: boolean): ChunkEncoder;
  /** An error answer's body in the client's envelope. */
  errorBody(error: GatewayError): string;
}
