/**
 * The HTTP server under every mock upstream (the mocks beside this file, ../mock-openai.ts): it
 * listens on a free port of 127.0.0.1, reads each request's body whole and hands it to the mock,
 * keeps the requests the mock records and the answers tests queue for the next requests, and on
 * `stop` ends kept-alive connections at once (so a gateway's pooled sockets do not hold it open).
 *
 * Also the pieces the mocks answer with: the recorded request with its body parsed, JSON answers.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A request as received; `json` is the body parsed when it is a JSON object, else null. */
export interface RecordedRequest<Json = Record<string, unknown>> {
  readonly method: string;
  /** Path and query, as received. */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly json: Json | null;
}

export abstract class RecordingServer<Answer, Recorded = RecordedRequest> {
  readonly requests: Recorded[] = [];
  /** Answers for the next requests, in order; each mock says what an empty queue gets. */
  protected readonly queue: Answer[] = [];
  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();

  /**
   * `name` names the mock in errors (`the mock Anthropic upstream`); `apiPath` follows the server
   * root in the api_base `start` gives (`/v1` for OpenAI's API).
   */
  protected constructor(
    private readonly name: string,
    private readonly apiPath = '',
  ) {}

  /** Queues the answers to the next requests. */
  enqueue(...answers: Answer[]): void {
    this.queue.push(...answers);
  }

  /** Starts listening; returns the api_base, `http://127.0.0.1:{port}` and the API path. */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.read(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}${this.apiPath}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === null ? resolve() : this.server.close(() => resolve())));
  }

  lastRequest(): Recorded {
    const last = this.requests[this.requests.length - 1];
    if (last === undefined) throw new Error(`${this.name} has received no request`);
    return last;
  }

  /** Records (as the mock records) and answers one request, its body read whole. */
  protected abstract receive(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void;

  private read(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => this.receive(req, Buffer.concat(chunks), res));
  }
}

/** A mock that records each request with its body parsed, and answers from those. */
export abstract class JsonRecordingServer<Answer, Json = Record<string, unknown>> extends RecordingServer<Answer, RecordedRequest<Json>> {
  protected receive(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const recorded = recordOf<Json>(req, body);
    this.requests.push(recorded);
    this.answer(req, recorded.json, res);
  }

  /** Answers a request; `json` is its body when that is a JSON object. */
  protected abstract answer(req: http.IncomingMessage, json: Json | null, res: http.ServerResponse): void;
}

/** The request as received, its body parsed. */
export function recordOf<Json = Record<string, unknown>>(req: http.IncomingMessage, body: Buffer): RecordedRequest<Json> {
  return { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json: parseJsonObject(body) as Json | null };
}

/** The body as a JSON object; null when it is not JSON or not an object. */
export function parseJsonObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** A JSON answer with its length; `headers` add to (or replace) the JSON content type. */
export function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
