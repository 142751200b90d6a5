/**
 * OpenAI-format upstreams seen through the canonical objects, for clients that do not speak
 * OpenAI (the Anthropic front door). OpenAI clients never come here: their bytes pass through.
 *
 * The canonical request is OpenAI's own body, so the request is the canonical object serialised
 * (with `stream_options.include_usage` on streams, so the call can be priced), the answer is
 * parsed as is, and the stream is read event by event (../sse.ts).
 */
import { GatewayError } from '../../errors.js';
import { SseReader } from '../sse.js';
import type { ChunkDecoder, OpenAIChatChunk, OpenAIChatCompletion, OpenAIChatRequest, UpstreamErrorInfo } from '../types.js';

/** The upstream body for a canonical request whose `model` is already the upstream name. */
export function openaiChatBody(req: OpenAIChatRequest, stream: boolean): Buffer {
  const body: OpenAIChatRequest = stream ? { ...req, stream: true, stream_options: { ...(req.stream_options ?? {}), include_usage: true } } : { ...req, stream: false };
  if (!stream) delete body.stream_options;
  return Buffer.from(JSON.stringify(body));
}

/** A whole chat.completion answer. */
export function openaiChatResponse(body: Buffer): OpenAIChatCompletion {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('upstream_bad_response', 'The upstream answered with a body that is not JSON.');
  }
  const completion = parsed as OpenAIChatCompletion;
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray(completion.choices)) {
    throw new GatewayError('upstream_bad_response', 'The upstream answer has no `choices` array.');
  }
  return completion;
}

/** Chat completion chunks from an OpenAI SSE stream; `[DONE]` ends it. An error event is thrown. */
export class OpenAIChunkDecoder implements ChunkDecoder {
  private readonly reader = new SseReader();

  feed(bytes: Buffer): OpenAIChatChunk[] {
    return this.parse(this.reader.feed(bytes));
  }

  end(): OpenAIChatChunk[] {
    return this.parse(this.reader.end());
  }

  private parse(events: string[]): OpenAIChatChunk[] {
    const chunks: OpenAIChatChunk[] = [];
    for (const data of events) {
      if (data === '[DONE]') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        throw new GatewayError('upstream_bad_response', `The upstream stream has an event that is not JSON: ${data.slice(0, 200)}`);
      }
      const object = parsed as { error?: unknown; choices?: unknown };
      if (object.error !== undefined) {
        const info = openaiErrorInfo(502, Buffer.from(data));
        throw new GatewayError('upstream_error', `Upstream stream error: ${info.message}`);
      }
      if (!Array.isArray(object.choices)) continue;
      chunks.push(parsed as OpenAIChatChunk);
    }
    return chunks;
  }
}

/**
 * An OpenAI-format error answer: `{"error":{"message","type","param","code"}}`, or the looser
 * shapes OpenAI-compatible servers send (`{"error":"…"}`, `{"message":…}`, `{"detail":…}`), or
 * plain text.
 */
export function openaiErrorInfo(status: number, body: Buffer): UpstreamErrorInfo {
  let message = '';
  let param: string | null = null;
  let code = '';
  let type = '';
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: unknown; message?: unknown; detail?: unknown };
    const error = parsed.error;
    if (typeof error === 'object' && error !== null) {
      const e = error as { message?: unknown; param?: unknown; code?: unknown; type?: unknown };
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.param === 'string') param = e.param;
      if (typeof e.code === 'string') code = e.code;
      if (typeof e.type === 'string') type = e.type;
    } else if (typeof error === 'string') {
      message = error;
    } else if (typeof parsed.message === 'string') {
      message = parsed.message;
    } else if (typeof parsed.detail === 'string') {
      message = parsed.detail;
    }
  } catch {
    message = body.toString('utf8', 0, Math.min(body.length, 512)).trim();
  }
  if (message === '') message = `upstream answered with status ${status}`;
  return { message, type, code, param };
}
