/**
 * A mock OpenAI upstream that speaks the real wire format (chat.completion objects, SSE chunks
 * ending in `data: [DONE]`, embedding lists, the error envelope) and records every request it
 * receives byte for byte. Tests queue behaviours to make it fail on cue.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

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
  | { kind: 'content-policy' };

export class MockOpenAI {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: Behaviour[] = [];
  private server: http.Server | null = null;
  /** Streams whose client went away before the end (the gateway cancelled them). */
  cancelledStreams = 0;
  /** Wait this long before answering every request (this instance's latency). */
  latencyMs = 0;
  /** What a request gets when the queue is empty (default: success). */
  otherwise: Behaviour = { kind: 'ok' };
  /** Requests being answered now, and the most there have been at once. */
  inflight = 0;
  maxInflight = 0;
  private readonly sockets = new Set<import('node:net').Socket>();

  /** Queues behaviours for the next requests; when the queue is empty requests succeed. */
  enqueue(...behaviours: Behaviour[]): void {
    this.queue.push(...behaviours);
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  lastRequest(): RecordedRequest {
    const last = this.requests[this.requests.length - 1];
    if (last === undefined) throw new Error('the mock upstream has received no request');
    return last;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      const behaviour = this.queue.shift() ?? this.otherwise;
      this.inflight++;
      this.maxInflight = Math.max(this.maxInflight, this.inflight);
      res.on('close', () => this.inflight--);
      void this.answer(req, res, body, behaviour);
    });
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
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the mock upstream.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
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
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
