/**
 * A mock Anthropic upstream speaking the Messages API (https://docs.anthropic.com/en/api/messages):
 * `POST /v1/messages` (a message object, or server-sent events with `event:` and `data:` lines when
 * the body sets `stream: true`), `POST /v1/messages/count_tokens`, and Anthropic's error envelope.
 * Like the real API it refuses a call without `x-api-key` or `anthropic-version` and a body
 * without model, max_tokens or messages. Every request is recorded byte for byte; tests queue the
 * next answers, and the fixtures below are the ones in Anthropic's documentation.
 */
import type http from 'node:http';
import { JsonRecordingServer, sendJson as sendJsonWith } from './recording-server.js';

export interface SseEvent {
  readonly event: string;
  readonly data: unknown;
}

export type AnthropicAnswer =
  /** This message object, status 200. */
  | { kind: 'message'; message: Record<string, unknown> }
  /** These events, one write each; `breakAfter`: destroy the connection after that many. */
  | { kind: 'stream'; events: readonly SseEvent[]; breakAfter?: number }
  /** Anthropic's error envelope with this status and error type. */
  | { kind: 'error'; status: number; type: string; message: string };

export const MOCK_REQUEST_ID = 'req_011CSHoEeqs5C35K2UUqR7Fy';

export class MockAnthropic extends JsonRecordingServer<AnthropicAnswer> {
  constructor() {
    super('the mock Anthropic upstream');
  }

  /** With the queue empty, the documentation's examples. */
  protected answer(req: http.IncomingMessage, json: Record<string, unknown> | null, res: http.ServerResponse): void {
    const path = req.url ?? '';
    if (req.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) {
      return sendError(res, 404, 'not_found_error', 'Not found');
    }
    if (typeof req.headers['x-api-key'] !== 'string') return sendError(res, 401, 'authentication_error', 'x-api-key header is required');
    if (typeof req.headers['anthropic-version'] !== 'string') return sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    const problem = json === null ? 'The request body is not valid JSON.' : bodyProblem(json, path.endsWith('/count_tokens'));
    if (problem !== null) return sendError(res, 400, 'invalid_request_error', problem);
    const body = json!;
    if (path.endsWith('/count_tokens')) return sendJson(res, 200, { input_tokens: 14 });
    const answer = this.queue.shift() ?? (body.stream === true ? { kind: 'stream' as const, events: textStreamEvents(String(body.model)) } : { kind: 'message' as const, message: textMessage(String(body.model)) });
    switch (answer.kind) {
      case 'message':
        return sendJson(res, 200, answer.message);
      case 'error':
        return sendError(res, answer.status, answer.type, answer.message);
      case 'stream':
        return sendStream(res, answer.events, answer.breakAfter);
    }
  }
}

/** What Anthropic would refuse in a Messages body, or null. */
function bodyProblem(body: Record<string, unknown>, countTokens: boolean): string | null {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (!countTokens && typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages: at least one message is required';
  for (const [i, message] of (body.messages as unknown[]).entries()) {
    const m = message as Record<string, unknown>;
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) return `messages.${i}.content: Input should be a valid list`;
  }
  return null;
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  sendJsonWith(res, status, value, { 'request-id': MOCK_REQUEST_ID });
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { type: 'error', error: { type, message }, request_id: MOCK_REQUEST_ID });
}

function sendStream(res: http.ServerResponse, events: readonly SseEvent[], breakAfter: number | undefined): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': MOCK_REQUEST_ID });
  const sent = breakAfter === undefined ? events : events.slice(0, breakAfter);
  for (const event of sent) res.write(sseText([event]));
  if (breakAfter === undefined) res.end();
  else res.write('', () => setTimeout(() => res.socket?.destroy(), 20));
}

/** Events as the API writes them: `event: <type>` and `data: <json>` lines, a blank line after each. */
export function sseText(events: readonly SseEvent[]): string {
  return events.map((e) => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`).join('');
}

// ---- fixtures (the shapes of Anthropic's documentation examples) ----

/** A whole text answer (the Messages API reference example). */
export function textMessage(model: string, text = 'Hi! My name is Claude.'): Record<string, unknown> {
  return {
    id: 'msg_013Zva2CMHLNnXjNJJKqJ2EF',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 2095, output_tokens: 503 },
  };
}

/** A whole tool-use answer (the tool use guide's get_weather example). */
export function toolUseMessage(model: string): Record<string, unknown> {
  return {
    id: 'msg_01Aq9w938a90dw8q',
    type: 'message',
    role: 'assistant',
    model,
    content: [
      { type: 'text', text: "I'll check the current weather in San Francisco for you." },
      { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', input: { location: 'San Francisco, CA', unit: 'celsius' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 384, output_tokens: 93 },
  };
}

function messageStart(model: string, usage: Record<string, unknown>): SseEvent {
  return {
    event: 'message_start',
    data: { type: 'message_start', message: { id: 'msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY', type: 'message', role: 'assistant', content: [], model, stop_reason: null, stop_sequence: null, usage } },
  };
}

function messageEnd(stopReason: string, usage: Record<string, unknown>): SseEvent[] {
  return [
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}

/** The streaming guide's basic example: "Hello" and "!" in one text block, with a ping. */
export function textStreamEvents(model: string, pieces: readonly string[] = ['Hello', '!']): SseEvent[] {
  return [
    messageStart(model, { input_tokens: 25, output_tokens: 1 }),
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'ping', data: { type: 'ping' } },
    ...pieces.map((text) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } } })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    ...messageEnd('end_turn', { output_tokens: 15 }),
  ];
}

/** The streaming guide's tool use example: a text block, then a get_weather call in three fragments. */
export function toolStreamEvents(model: string): SseEvent[] {
  const delta = (index: number, d: Record<string, unknown>): SseEvent => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: d } });
  return [
    messageStart(model, { input_tokens: 472, output_tokens: 2 }),
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    delta(0, { type: 'text_delta', text: 'Okay, let me check the weather for San Francisco, CA:' }),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} } } },
    delta(1, { type: 'input_json_delta', partial_json: '' }),
    delta(1, { type: 'input_json_delta', partial_json: '{"location":' }),
    delta(1, { type: 'input_json_delta', partial_json: ' "San Francisc' }),
    delta(1, { type: 'input_json_delta', partial_json: 'o, CA", "unit": "fahrenheit"}' }),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
    ...messageEnd('tool_use', { output_tokens: 89 }),
  ];
}

/** The extended thinking guide's streaming example: a thinking block (with signature), then text. */
export function thinkingStreamEvents(model: string): SseEvent[] {
  const delta = (index: number, d: Record<string, unknown>): SseEvent => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta: d } });
  return [
    messageStart(model, { input_tokens: 40, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200, output_tokens: 1 }),
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } } },
    delta(0, { type: 'thinking_delta', thinking: 'Let me solve this step by step:\n\n1. First break down 27 * 453' }),
    delta(0, { type: 'thinking_delta', thinking: '\n2. 453 = 400 + 50 + 3' }),
    delta(0, { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds...' }),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } } },
    delta(1, { type: 'text_delta', text: '27 * 453 = 12,231' }),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } },
    ...messageEnd('end_turn', { output_tokens: 160 }),
  ];
}

/** A stream that fails after message_start (the streaming guide's overloaded_error event). */
export function overloadedStreamEvents(model: string): SseEvent[] {
  return [
    messageStart(model, { input_tokens: 25, output_tokens: 1 }),
    { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } },
  ];
}
