/**
 * A mock OpenAI upstream that speaks the real wire format (chat.completion objects, SSE chunks
 * ending in `data: [DONE]`, embedding lists, Responses API objects and their streamed events on
 * /responses, the error envelope) and records every request it receives byte for byte. Tests
 * queue behaviours to make it fail, or call a function, on cue.
 */
import type http from 'node:http';
import { recordOf, RecordingServer, sendJson } from './mocks/recording-server.js';

export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; body: string; headers?: Record<string, string> }
  | { kind: 'delay'; ms: number }
  /**
   * Stream `chunks` content pieces, waiting `intervalMs` between them; `silentUsage`: send no
   * usage chunk even when stream_options.include_usage asks for one (as some providers do).
   */
  | { kind: 'stream'; chunks: number; intervalMs: number; silentUsage?: boolean }
  /** Start a stream, send `chunks` pieces, then destroy the socket. */
  | { kind: 'break-stream'; chunks: number }
  /** Accept the request and never answer. */
  | { kind: 'hang' }
  /** Read the request, then destroy the connection without answering (a connection reset). */
  | { kind: 'reset' }
  /** OpenAI's 400 for a prompt longer than the model's context window (`context_length_exceeded`). */
  | { kind: 'context-length' }
  /** OpenAI's 400 for content its safety system refused (`content_policy_violation`). */
  | { kind: 'content-policy' }
  /**
   * Answer with one call of function `name` with these `arguments` (a JSON string), plain or
   * streamed: tool_calls on /chat/completions, a function_call item on /responses.
   */
  | { kind: 'tool-call'; name: string; arguments: string };

/** The call id the `tool-call` behaviour gives its function call. */
export const MOCK_CALL_ID = 'call_mock_1';

/** The text answers have (streamed answers send `piece0 piece1 …` instead). */
const MOCK_TEXT = 'Hello from the mock upstream.';

export class MockOpenAI extends RecordingServer<Behaviour> {
  /** Streams whose client went away before the end (the gateway cancelled them). */
  cancelledStreams = 0;
  /** Wait this long before answering every request (this instance's latency). */
  latencyMs = 0;
  /** What a request gets when the queue is empty (default: success). */
  otherwise: Behaviour = { kind: 'ok' };
  /** Requests being answered now, and the most there have been at once. */
  inflight = 0;
  maxInflight = 0;

  constructor() {
    super('the mock upstream', '/v1');
  }

  /** Records the request and answers with the next queued behaviour (`otherwise` when none is queued). */
  protected receive(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    this.requests.push(recordOf(req, body));
    const behaviour = this.queue.shift() ?? this.otherwise;
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    res.on('close', () => this.inflight--);
    void this.answer(req, res, body, behaviour);
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, behaviour: Behaviour): Promise<void> {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      sendJson(res, 400, { error: { message: 'We could not parse the JSON body of your request.', type: 'invalid_request_error', param: null, code: null } });
      return;
    }
    const model = String(parsed.model ?? '');
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    switch (behaviour.kind) {
      case 'reset':
        res.socket?.destroy();
        return;
      case 'context-length':
        sendJson(res, 400, {
          error: {
            message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens. Please reduce the length of the messages.",
            type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded',
          },
        });
        return;
      case 'content-policy':
        sendJson(res, 400, {
          error: {
            message: 'Your request was rejected as a result of our safety system.',
            type: 'invalid_request_error', param: null, code: 'content_policy_violation',
          },
        });
        return;
      case 'status':
        res.writeHead(behaviour.status, { 'content-type': 'application/json', ...behaviour.headers });
        res.end(behaviour.body);
        return;
      case 'hang':
        return;
      case 'delay':
        await sleep(behaviour.ms);
        break;
      default:
        break;
    }
    if (req.url?.endsWith('/embeddings')) {
      const inputs = Array.isArray(parsed.input) ? parsed.input : [parsed.input];
      sendJson(res, 200, {
        object: 'list',
        data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.0023064255, -0.009327292, 0.015797347] })),
        model,
        usage: { prompt_tokens: 8, total_tokens: 8 },
      });
      return;
    }
    if (req.url?.endsWith('/completions') && !req.url.endsWith('/chat/completions')) {
      sendJson(res, 200, {
        id: 'cmpl-mock', object: 'text_completion', created: 1_700_000_000, model,
        choices: [{ text: 'mock completion', index: 0, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      });
      return;
    }
    if (req.url?.endsWith('/responses')) {
      await this.respond(res, model, parsed, behaviour);
      return;
    }
    if (behaviour.kind === 'tool-call') {
      this.answerToolCall(res, model, parsed.stream === true, behaviour);
      return;
    }
    if (parsed.stream === true) {
      const chunks = behaviour.kind === 'stream' || behaviour.kind === 'break-stream' ? behaviour.chunks : 3;
      const interval = behaviour.kind === 'stream' ? behaviour.intervalMs : 0;
      const silent = behaviour.kind === 'stream' && behaviour.silentUsage === true;
      await this.stream(res, model, chunks, interval, behaviour.kind === 'break-stream', silent ? {} : parsed);
      return;
    }
    sendJson(res, 200, {
      id: 'chatcmpl-mock',
      object: 'chat.completion',
      created: 1_700_000_000,
      model,
      system_fingerprint: 'fp_mock',
      choices: [{ index: 0, message: { role: 'assistant', content: MOCK_TEXT, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18 },
    }, { 'x-request-id': 'req_mock_1', 'openai-processing-ms': '7' });
  }

  private async stream(
    res: http.ServerResponse,
    model: string,
    pieces: number,
    intervalMs: number,
    breakIt: boolean,
    parsed: Record<string, unknown>,
  ): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    let closed = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        closed = true;
        this.cancelledStreams++;
      }
    });
    const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1_700_000_000, model, system_fingerprint: 'fp_mock' };
    const write = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    write({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    for (let i = 0; i < pieces; i++) {
      if (closed) return;
      if (intervalMs > 0) await sleep(intervalMs);
      if (closed) return;
      write({ ...base, choices: [{ index: 0, delta: { content: `piece${i} ` }, logprobs: null, finish_reason: null }] });
    }
    if (breakIt) {
      // Let the pieces reach the gateway first, then cut the connection mid-stream.
      res.write('', () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    write({ ...base, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] });
    const options = parsed.stream_options as { include_usage?: boolean } | undefined;
    if (options?.include_usage === true) {
      write({ ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: pieces, total_tokens: 12 + pieces } });
    }
    res.end('data: [DONE]\n\n');
  }

  /** A chat answer that calls one function: a whole completion, or chunks with the arguments in two pieces. */
  private answerToolCall(res: http.ServerResponse, model: string, stream: boolean, call: { name: string; arguments: string }): void {
    const usage = { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 };
    const base = { id: 'chatcmpl-mock', created: 1_700_000_000, model, system_fingerprint: 'fp_mock' };
    if (!stream) {
      const toolCall = { id: MOCK_CALL_ID, type: 'function', function: { name: call.name, arguments: call.arguments } };
      sendJson(res, 200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [toolCall], refusal: null }, logprobs: null, finish_reason: 'tool_calls' }],
        usage,
      });
      return;
    }
    const half = Math.floor(call.arguments.length / 2);
    const chunk = (delta: unknown, finish: string | null = null) => ({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
    const chunks = [
      chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: MOCK_CALL_ID, type: 'function', function: { name: call.name, arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: call.arguments.slice(0, half) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: call.arguments.slice(half) } }] }),
      chunk({}, 'tool_calls'),
      { ...base, object: 'chat.completion.chunk', choices: [], usage },
    ];
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.end(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + 'data: [DONE]\n\n');
  }

  /**
   * POST /responses (https://platform.openai.com/docs/api-reference/responses/create): a Response
   * object, or with `stream: true` its events (`event: <type>` and `data:` with `type` and
   * `sequence_number`): the text, or the `tool-call` behaviour's function_call item.
   */
  private async respond(res: http.ServerResponse, model: string, parsed: Record<string, unknown>, behaviour: Behaviour): Promise<void> {
    const call = behaviour.kind === 'tool-call' ? behaviour : null;
    if (parsed.stream !== true) {
      const output = call === null ? [responsesMessage('msg_mock', 'completed', MOCK_TEXT)] : [responsesFunctionCall('completed', call)];
      sendJson(res, 200, responsesObject(model, parsed, 'completed', output, RESPONSES_USAGE), { 'x-request-id': 'req_mock_1' });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    let sequenceNumber = 0;
    const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequenceNumber++, ...data })}\n\n`);
    send('response.created', { response: responsesObject(model, parsed, 'in_progress', [], null) });
    send('response.in_progress', { response: responsesObject(model, parsed, 'in_progress', [], null) });
    if (call !== null) {
      const item = responsesFunctionCall('completed', call);
      send('response.output_item.added', { output_index: 0, item: { ...responsesFunctionCall('in_progress', call), arguments: '' } });
      send('response.function_call_arguments.delta', { item_id: item.id, output_index: 0, delta: call.arguments });
      send('response.function_call_arguments.done', { item_id: item.id, output_index: 0, name: call.name, arguments: call.arguments });
      send('response.output_item.done', { output_index: 0, item });
      send('response.completed', { response: responsesObject(model, parsed, 'completed', [item], RESPONSES_USAGE) });
      res.end();
      return;
    }
    const pieces = behaviour.kind === 'stream' || behaviour.kind === 'break-stream' ? behaviour.chunks : 3;
    const interval = behaviour.kind === 'stream' ? behaviour.intervalMs : 0;
    const address = { item_id: 'msg_mock', output_index: 0, content_index: 0 };
    send('response.output_item.added', { output_index: 0, item: { ...responsesMessage('msg_mock', 'in_progress', ''), content: [] } });
    send('response.content_part.added', { ...address, part: responsesText('') });
    let text = '';
    for (let i = 0; i < pieces; i++) {
      if (interval > 0) await sleep(interval);
      if (res.destroyed) return;
      text += `piece${i} `;
      send('response.output_text.delta', { ...address, delta: `piece${i} `, logprobs: [] });
    }
    if (behaviour.kind === 'break-stream') {
      res.write('', () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    const message = responsesMessage('msg_mock', 'completed', text);
    send('response.output_text.done', { ...address, text, logprobs: [] });
    send('response.content_part.done', { ...address, part: responsesText(text) });
    send('response.output_item.done', { output_index: 0, item: message });
    const usage = { ...RESPONSES_USAGE, output_tokens: pieces, total_tokens: RESPONSES_USAGE.input_tokens + pieces };
    send('response.completed', { response: responsesObject(model, parsed, 'completed', [message], usage) });
    res.end();
  }
}

const RESPONSES_USAGE = { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 18 };

/** A Response object as OpenAI writes it, echoing the request's settings. */
function responsesObject(model: string, request: Record<string, unknown>, status: string, output: unknown[], usage: unknown): Record<string, unknown> {
  return {
    id: 'resp_mock',
    object: 'response',
    created_at: 1_700_000_000,
    status,
    error: null,
    incomplete_details: null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model,
    output,
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: request.temperature ?? 1.0,
    text: request.text ?? { format: { type: 'text' } },
    tool_choice: request.tool_choice ?? 'auto',
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1.0,
    truncation: 'disabled',
    usage,
    user: null,
    metadata: request.metadata ?? {},
  };
}

function responsesText(text: string): Record<string, unknown> {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

function responsesMessage(id: string, status: string, text: string): Record<string, unknown> {
  return { id, type: 'message', status, content: [responsesText(text)], role: 'assistant' };
}

function responsesFunctionCall(status: string, call: { name: string; arguments: string }): Record<string, unknown> {
  return { id: 'fc_mock', type: 'function_call', status, arguments: call.arguments, call_id: MOCK_CALL_ID, name: call.name };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
