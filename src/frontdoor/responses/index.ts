/**
 * The OpenAI Responses client format: clients of POST /v1/responses (the openai SDK's
 * `client.responses`, Codex and other agents) served by deployments whose provider is not OpenAI,
 * through the canonical chat objects. Deployments of provider `openai` never come here: the
 * client's bytes go to their /responses as they are.
 *
 * input.ts and request.ts read the request, response.ts writes the Response object and
 * stream.ts its streamed events; each says what it maps and what it refuses.
 */
import type { GatewayError } from '../../errors.js';
import type { ClientFormat } from '../types.js';
import { chatRequestFromResponses } from './request.js';
import { responseFromCompletion } from './response.js';
import { ResponsesChunkEncoder } from './stream.js';

export const responsesClientFormat: ClientFormat = {
  wire: 'openai-responses',
  chatRequest: chatRequestFromResponses,
  chatResponse: responseFromCompletion,
  // response.completed always carries the usage, whatever the client asked.
  chatStream: () => new ResponsesChunkEncoder(),
  errorBody: (error: GatewayError) => error.toOpenAIBody(),
};
