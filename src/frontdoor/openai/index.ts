/**
 * The OpenAI client format (the /v1/chat/completions routes) for calls that go to a translating
 * provider. Canonical objects are OpenAI's own, so this only parses and serialises; calls to
 * OpenAI-compatible upstreams never come here (their bytes pass through).
 */
import type { GatewayError } from '../../errors.js';
import type { OpenAIChatChunk, OpenAIChatCompletion, OpenAIChatRequest } from '../../providers/types.js';
import type { ChunkEncoder, ClientFormat } from '../types.js';

const DONE = 'data: [DONE]\n\n';

class OpenAIChunkEncoder implements ChunkEncoder {
  constructor(private readonly includeUsage: boolean) {}

  chunk(chunk: OpenAIChatChunk): string {
    // The usage-only chunk goes only to clients that asked for it (stream_options.include_usage),
    // and then it carries usage; other chunks never do (as OpenAI sends them).
    if (chunk.choices.length === 0) {
      return this.includeUsage && chunk.usage != null ? `data: ${JSON.stringify(chunk)}\n\n` : '';
    }
    if (chunk.usage != null) {
      const { usage, ...rest } = chunk;
      if (this.includeUsage) return `data: ${JSON.stringify({ ...rest, usage: null })}\n\ndata: ${JSON.stringify({ ...rest, choices: [], usage })}\n\n`;
      return `data: ${JSON.stringify(rest)}\n\n`;
    }
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }

  end(): string {
    return DONE;
  }

  error(error: GatewayError): string {
    return `data: ${error.toOpenAIBody()}\n\n`;
  }
}

export const openaiClientFormat: ClientFormat = {
  wire: 'openai',
  chatRequest(body: Buffer): OpenAIChatRequest {
    // The parse stage validated the JSON and the types of model, stream, messages.
    return JSON.parse(body.toString('utf8')) as OpenAIChatRequest;
  },
  chatResponse(completion: OpenAIChatCompletion): string {
    return JSON.stringify(completion);
  },
  chatStream(includeUsage: boolean): ChunkEncoder {
    return new OpenAIChunkEncoder(includeUsage);
  },
  errorBody(error: GatewayError): string {
    return error.toOpenAIBody();
  },
};
