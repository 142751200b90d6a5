/**
 * A mock Ollama server speaking its native API (https://github.com/ollama/ollama/blob/main/docs/api.md):
 * `POST /api/chat` answers one JSON object when the body sets `stream: false`, else (Ollama's
 * default) NDJSON lines, the last with `done: true`, done_reason and the eval counts;
 * `POST /api/embed` answers `embeddings` and prompt_eval_count. Errors are `{"error": "..."}`: 404
 * for a model it does not have, 400 for a body without model, an error line to break a stream.
 * A key is optional, as on a local server. Every request is recorded; tests queue the next answers.
 */
import type http from 'node:http';
import { JsonRecordingServer, sendJson as sendJsonWith } from './recording-server.js';

export type OllamaAnswer =
  /** This assistant message (content, thinking, tool_calls) with done_reason, whole or streamed as the request asks. */
  | { kind: 'message'; message: Record<string, unknown>; doneReason?: string }
  /** These NDJSON lines as they are (a stream). */
  | { kind: 'lines'; lines: readonly Record<string, unknown>[] }
  /** `{"error": message}` with this status. */
  | { kind: 'error'; status: number; message: string };

const CREATED_AT = '2024-07-22T20:33:28.123648Z';
export const COUNTS = { prompt_eval_count: 26, eval_count: 9 };

export class MockOllama extends JsonRecordingServer<OllamaAnswer> {
  /** Models the server has pulled. */
  readonly models = new Set(['llama3.2', 'llava', 'all-minilm']);

  constructor() {
    super('the mock Ollama server');
  }

  protected answer(req: http.IncomingMessage, json: Record<string, unknown> | null, res: http.ServerResponse): void {
    const path = req.url ?? '';
    if (req.method !== 'POST' || (path !== '/api/chat' && path !== '/api/embed')) return sendJson(res, 404, { error: '404 page not found' });
    if (json === null) return sendJson(res, 400, { error: 'invalid character looking for beginning of value' });
    if (typeof json.model !== 'string' || json.model === '') return sendJson(res, 400, { error: 'model is required' });
    if (!this.models.has(json.model)) return sendJson(res, 404, { error: `model "${json.model}" not found, try pulling it first` });
    const queued = this.queue.shift();
    if (queued?.kind === 'error') return sendJson(res, queued.status, { error: queued.message });
    if (path === '/api/embed') return sendJson(res, 200, embedAnswer(json));
    const model = json.model;
    const streamed = json.stream !== false;
    if (queued?.kind === 'lines') return sendLines(res, queued.lines);
    const message = queued?.kind === 'message' ? queued.message : { role: 'assistant', content: 'Hello from Ollama.' };
    const doneReason = queued?.kind === 'message' ? (queued.doneReason ?? 'stop') : 'stop';
    if (!streamed) return sendJson(res, 200, { model, created_at: CREATED_AT, message: { role: 'assistant', ...message }, done_reason: doneReason, done: true, total_duration: 885095291, load_duration: 3753500, ...COUNTS, prompt_eval_duration: 328493000, eval_duration: 552222000 });
    sendLines(res, streamLines(model, message, doneReason));
  }
}

/** A message streamed as Ollama does: thinking, then content word by word, tool calls in their own line, then the done line. */
export function streamLines(model: string, message: Record<string, unknown>, doneReason = 'stop'): Record<string, unknown>[] {
  const line = (part: Record<string, unknown>) => ({ model, created_at: CREATED_AT, message: { role: 'assistant', content: '', ...part }, done: false });
  const lines: Record<string, unknown>[] = [];
  if (typeof message.thinking === 'string') lines.push(line({ thinking: message.thinking }));
  for (const word of String(message.content ?? '').split(/(?<= )/)) if (word !== '') lines.push(line({ content: word }));
  if (Array.isArray(message.tool_calls)) lines.push(line({ tool_calls: message.tool_calls }));
  lines.push({ model, created_at: CREATED_AT, message: { role: 'assistant', content: '' }, done_reason: doneReason, done: true, total_duration: 4883583458, load_duration: 1334875, ...COUNTS, prompt_eval_duration: 342546000, eval_duration: 4535599000 });
  return lines;
}

function embedAnswer(json: Record<string, unknown>): Record<string, unknown> {
  const inputs = Array.isArray(json.input) ? json.input : [json.input];
  return { model: json.model, embeddings: inputs.map((_, i) => [0.010071029, -0.0017594862, i]), total_duration: 14143917, load_duration: 1019500, prompt_eval_count: 8 };
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  sendJsonWith(res, status, value, { 'content-type': 'application/json; charset=utf-8' });
}

function sendLines(res: http.ServerResponse, lines: readonly Record<string, unknown>[]): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  for (const line of lines) res.write(JSON.stringify(line) + '\n');
  res.end();
}
