/**
 * OpenAI-format upstreams seen through the canonical objects, for clients that do not speak
 * OpenAI (the Anthropic front door). OpenAI clients never come here: their bytes pass through.
 *
 * The canonical request is OpenAI's own body, so the request is the canonical object serialised
 * (with `stream_options.include_usage` on streams, so the call can be priced), the answer is
 * parsed as is, and the stream is read event by event.
 */
import { GatewayError } from '../../errors.js';
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

/**
 * Splits a server-sent event stream into the `data` of each event (multi-line data joined with
 * LF, as the SSE spec says), whatever the byte boundaries. Comments and other fields are skipped.
 */
export class SseDataReader {
  private pending = '';
  private readonly decoder = new TextDecoder('utf-8');

  /** The data of every event completed by `bytes`. */
  feed(bytes: Uint8Array): string[] {
    this.pending += this.decoder.decode(bytes, { stream: true });
    return this.take(false);
  }

  /** The data of a last event not followed by a blank line. */
  end(): string[] {
    this.pending += this.decoder.decode();
    return this.take(true);
  }

  private take(final: boolean): string[] {
    const out: string[] = [];
    for (;;) {
      const boundary = eventBoundary(this.pending);
      if (boundary.at < 0) break;
      const data = dataOf(this.pending.slice(0, boundary.at));
      this.pending = this.pending.slice(boundary.at + boundary.length);
      if (data !== null) out.push(data);
    }
    if (final && this.pending.trim() !== '') {
      const data = dataOf(this.pending);
      this.pending = '';
      if (data !== null) out.push(data);
    }
    return out;
  }
}

/** Where the first blank line (LF LF, CRLF CRLF, CR CR) is, and how long it is. */
function eventBoundary(text: string): { at: number; length: number } {
  let best = -1;
  let length = 0;
  for (const separator of ['\n\n', '\r\n\r\n', '\r\r']) {
    const at = text.indexOf(separator);
    if (at >= 0 && (best < 0 || at < best)) {
      best = at;
      length = separator.length;
    }
  }
  return { at: best, length };
}

/** The joined `data` lines of one event; null when it has none. */
function dataOf(event: string): string | null {
  let data: string | null = null;
  for (const line of event.split(/\r\n|\r|\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}

/** Chat completion chunks from an OpenAI SSE stream; `[DONE]` ends it. An error event is thrown. */
export class OpenAIChunkDecoder implements ChunkDecoder {
  private readonly reader = new SseDataReader();

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
