/**
 * A mock Cohere API (https://docs.cohere.com/reference/chat, /reference/embed) speaking v2:
 * `POST /v2/chat` answers a chat response (`id`, `finish_reason`, `message.content[]`,
 * `usage.billed_units` and `usage.tokens`), or, when the body sets `stream: true`, server-sent
 * events (`event:` and `data:` lines: message-start, content-start/-delta/-end, tool-plan-delta,
 * tool-call-start/-delta/-end, message-end); `POST /v2/embed` answers `embeddings.float` and
 * `meta.billed_units`. Like the real API it refuses a call without a bearer token
 * (`{"id","message"}`, 401) and a body without model or messages/texts. Every request is recorded;
 * tests queue the next answers, and the fixtures are the shapes of Cohere's documentation.
 */
import type http from 'node:http';
import { JsonRecordingServer, sendJson } from './recording-server.js';

export type CohereAnswer =
  /** This chat response, status 200. */
  | { kind: 'chat'; response: Record<string, unknown> }
  /** These stream events (each written as it is, `event:` and `data:` lines). */
  | { kind: 'stream'; events: readonly Record<string, unknown>[] }
  /** Cohere's error body with this status. */
  | { kind: 'error'; status: number; message: string };

export const MOCK_GENERATION_ID = 'c14c80c3-18eb-4519-9460-6c92edd8cfb4';
export const USAGE = { billed_units: { input_tokens: 5, output_tokens: 7 }, tokens: { input_tokens: 71, output_tokens: 7 } };

export class MockCohere extends JsonRecordingServer<CohereAnswer> {
  constructor() {
    super('the mock Cohere API');
  }

  protected answer(req: http.IncomingMessage, json: Record<string, unknown> | null, res: http.ServerResponse): void {
    const path = req.url ?? '';
    if (req.method !== 'POST' || (path !== '/v2/chat' && path !== '/v2/embed')) return sendError(res, 404, 'Not Found');
    if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) return sendError(res, 401, 'no api key supplied');
    if (json === null) return sendError(res, 400, 'invalid request: body is not valid json');
    if (typeof json.model !== 'string') return sendError(res, 400, 'invalid request: model must be specified');
    if (path === '/v2/embed') return this.embed(json, res);
    if (!Array.isArray(json.messages)) return sendError(res, 400, 'invalid request: messages must be a list');
    const answer = this.queue.shift() ?? (json.stream === true ? { kind: 'stream' as const, events: textStreamEvents(['Hello', ' from Cohere.']) } : { kind: 'chat' as const, response: textResponse('Hello from Cohere.') });
    switch (answer.kind) {
      case 'chat':
        return sendJson(res, 200, answer.response);
      case 'error':
        return sendError(res, answer.status, answer.message);
      case 'stream':
        return sendStream(res, answer.events);
    }
  }

  private embed(json: Record<string, unknown>, res: http.ServerResponse): void {
    const queued = this.queue.shift();
    if (queued?.kind === 'error') return sendError(res, queued.status, queued.message);
    const texts = Array.isArray(json.texts) ? (json.texts as string[]) : [];
    sendJson(res, 200, {
      id: 'da6e531f-54c6-4a73-bf92-f60566d8d753',
      embeddings: { float: texts.map((_, i) => [0.016296387, -0.008354187, i]) },
      texts,
      meta: { api_version: { version: '2' }, billed_units: { input_tokens: 2 * texts.length } },
      response_type: 'embeddings_by_type',
    });
  }
}

// ---- fixtures (the shapes of Cohere's documentation examples) ----

export function textResponse(text: string, finishReason = 'COMPLETE'): Record<string, unknown> {
  return { id: MOCK_GENERATION_ID, finish_reason: finishReason, message: { role: 'assistant', content: [{ type: 'text', text }] }, usage: USAGE };
}

/** The tool use guide's answer: a plan and one get_weather call. */
export function toolCallResponse(): Record<string, unknown> {
  return {
    id: MOCK_GENERATION_ID,
    finish_reason: 'TOOL_CALL',
    message: {
      role: 'assistant',
      tool_plan: 'I will look up the weather in Toronto.',
      tool_calls: [{ id: 'get_weather_1byjy32y4hvq', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Toronto"}' } }],
    },
    usage: { billed_units: { input_tokens: 37, output_tokens: 28 }, tokens: { input_tokens: 913, output_tokens: 81 } },
  };
}

function messageStart(): Record<string, unknown> {
  return { type: 'message-start', id: MOCK_GENERATION_ID, delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } };
}

export function textStreamEvents(pieces: readonly string[], finishReason = 'COMPLETE'): Record<string, unknown>[] {
  return [
    messageStart(),
    { type: 'content-start', index: 0, delta: { message: { content: { type: 'text', text: '' } } } },
    ...pieces.map((text) => ({ type: 'content-delta', index: 0, delta: { message: { content: { text } } } })),
    { type: 'content-end', index: 0 },
    { type: 'message-end', delta: { finish_reason: finishReason, usage: USAGE } },
  ];
}

/** The streamed tool call: plan pieces, the call started, its arguments in two pieces. */
export function toolCallStreamEvents(): Record<string, unknown>[] {
  return [
    messageStart(),
    { type: 'tool-plan-delta', delta: { message: { tool_plan: 'I will look up' } } },
    { type: 'tool-plan-delta', delta: { message: { tool_plan: ' the weather.' } } },
    { type: 'tool-call-start', index: 0, delta: { message: { tool_calls: { id: 'get_weather_nsz5zm3w56q3', type: 'function', function: { name: 'get_weather', arguments: '' } } } } },
    { type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: '{"location":' } } } } },
    { type: 'tool-call-delta', index: 0, delta: { message: { tool_calls: { function: { arguments: '"Toronto"}' } } } } },
    { type: 'tool-call-end', index: 0 },
    { type: 'message-end', delta: { finish_reason: 'TOOL_CALL', usage: USAGE } },
  ];
}

function sendError(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, { id: '8f7e0a3c-2d1b-4c5a-9e6f-0a1b2c3d4e5f', message });
}

function sendStream(res: http.ServerResponse, events: readonly Record<string, unknown>[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const event of events) res.write(`event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`);
  res.end();
}
