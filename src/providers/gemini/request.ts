/**
 * A canonical chat request as the body of Gemini's generateContent / streamGenerateContent, which
 * the Gemini API and Vertex AI's Google models share; and the Gemini API's method paths.
 */
import { GatewayError } from '../../errors.js';
import type { OpenAIChatRequest, UpstreamTarget } from '../types.js';
import { modelSegment } from './http.js';
import { geminiTurns } from './messages.js';
import { geminiParams } from './params.js';
import type { GeminiGenerateContentRequest } from './wire.js';

/** The generateContent body; `providerName` names the provider in unsupported_param errors. */
export function geminiChatBody(req: OpenAIChatRequest, target: UpstreamTarget, providerName: string): GeminiGenerateContentRequest {
  if (!Array.isArray(req.messages)) throw new GatewayError('invalid_body', 'messages must be a list', { param: 'messages' });
  const turns = geminiTurns(req.messages);
  if (turns.contents.length === 0) {
    throw new GatewayError('invalid_body', 'messages need at least one user or assistant message with content for Gemini', { param: 'messages' });
  }
  return { ...turns, ...geminiParams(req, target, providerName) };
}

/**
 * The method suffix after the model: `:generateContent`, or `:streamGenerateContent?alt=sse`
 * (without `alt=sse` the stream would be one JSON array, not server-sent events).
 */
export function generateMethod(stream: boolean): string {
  return stream ? ':streamGenerateContent?alt=sse' : ':generateContent';
}

/** The Gemini API's path for a model's method, e.g. `/v1beta/models/gemini-2.5-flash:generateContent`. */
export function geminiApiPath(model: string, method: string): string {
  return `/v1beta/models/${modelSegment(model)}${method}`;
}
