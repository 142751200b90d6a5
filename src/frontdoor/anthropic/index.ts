/**
 * The Anthropic front door's client format: Anthropic Messages clients (the @anthropic-ai/sdk,
 * Claude Code) on POST /v1/messages, served by any upstream through the canonical objects.
 * request.ts, response.ts and stream.ts hold the mappings and their deviations from LiteLLM;
 * count-tokens.ts the text /v1/messages/count_tokens counts.
 */
import type { ClientFormat } from '../types.js';
import { anthropicErrorBody } from './errors.js';
import { chatRequestFromAnthropic } from './request.js';
import { anthropicMessageFromCompletion } from './response.js';
import { AnthropicChunkEncoder } from './stream.js';

export { textForTokenCount } from './count-tokens.js';

export const anthropicClientFormat: ClientFormat = {
  wire: 'anthropic',
  chatRequest: chatRequestFromAnthropic,
  chatResponse: anthropicMessageFromCompletion,
  // Anthropic clients always get usage (in message_delta), whatever they asked.
  chatStream: () => new AnthropicChunkEncoder(),
  errorBody: anthropicErrorBody,
};
