/**
 * A mock Azure OpenAI resource (https://learn.microsoft.com/azure/ai-foundry/openai/reference):
 * `POST /openai/deployments/{deployment}/chat/completions|embeddings|images/generations?api-version=…`
 * and the v1 API (`/openai/v1/…`, deployment in the body's `model`), answering
 * OpenAI's objects with Azure's additions (prompt_filter_results, content_filter_results; a
 * stream that opens with a chunk carrying only the prompt filter results), and Azure's errors:
 * 401 without a valid `api-key` or bearer token, 404 without api-version or for an unknown
 * deployment, 400 `content_filter` on cue.
 *
 * It is also a Microsoft Entra ID authority: `POST /{tenant}/oauth2/v2.0/token` grants a token
 * for the client credentials it knows, and the resource accepts the tokens it granted.
 * Every request (resource and token endpoint) is recorded; tests queue the next answers.
 */
import type http from 'node:http';
import { JsonRecordingServer, sendJson as sendJsonWith } from './recording-server.js';

export type AzureAnswer =
  /** Azure's 400 for a prompt its content filter refused. */
  | { kind: 'content-filter' }
  /** An error envelope with this status, code and message. */
  | { kind: 'error'; status: number; code: string; message: string }
  /** A tool call to get_weather (whole or streamed, as the request asks). */
  | { kind: 'tool-call' };

export const MOCK_REQUEST_ID = 'azreq-5c1b2c3d';

export class MockAzure extends JsonRecordingServer<AzureAnswer> {
  readonly tokenRequests: { path: string; form: URLSearchParams }[] = [];
  /** The resource's API key. */
  apiKey = 'azure-key-0123';
  /** Deployments that exist on the resource. */
  readonly deployments = new Set(['my-gpt4o-deployment', 'my-embedding-deployment']);
  /** Client credentials the authority grants tokens for: client id → secret. */
  readonly clients = new Map([['client-id-1', 'client-secret-1']]);
  /** Lifetime of granted tokens, seconds. */
  tokenLifetimeS = 3599;
  private readonly grantedTokens = new Set<string>();

  constructor() {
    super('the mock Azure resource');
  }

  /** The token endpoint's requests are kept apart (tokenRequests); the resource's are recorded. */
  protected override receive(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://mock').pathname;
    if (path.endsWith('/oauth2/v2.0/token')) this.grant(path, body, res);
    else super.receive(req, body, res);
  }

  private grant(path: string, body: Buffer, res: http.ServerResponse): void {
    const form = new URLSearchParams(body.toString('utf8'));
    this.tokenRequests.push({ path, form });
    const secret = this.clients.get(form.get('client_id') ?? '');
    if (form.get('grant_type') !== 'client_credentials' || secret === undefined || secret !== form.get('client_secret')) {
      return sendJson(res, 401, { error: 'invalid_client', error_description: "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID." });
    }
    const token = `eyJ0eXAiOiJKV1Qi.mock.${this.tokenRequests.length}`;
    this.grantedTokens.add(token);
    sendJson(res, 200, { token_type: 'Bearer', expires_in: this.tokenLifetimeS, ext_expires_in: this.tokenLifetimeS, access_token: token });
  }

  protected answer(req: http.IncomingMessage, json: Record<string, unknown> | null, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://mock');
    const route = routeOf(url);
    if (req.method !== 'POST' || route === null) return sendError(res, 404, '404', 'Resource not found');
    if (!this.authorized(req.headers)) {
      return sendError(res, 401, '401', 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.');
    }
    if (route.deployment !== null && !url.searchParams.has('api-version')) return sendError(res, 404, '404', 'Resource not found');
    if (json === null) return sendError(res, 400, 'BadRequest', 'The request body is not valid JSON.');
    const deployment = route.deployment ?? String(json.model ?? '');
    if (!this.deployments.has(deployment)) {
      return sendError(res, 404, 'DeploymentNotFound', 'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.');
    }
    const queued = this.queue.shift();
    if (queued?.kind === 'content-filter') return sendContentFilter(res);
    if (queued?.kind === 'error') return sendError(res, queued.status, queued.code, queued.message);
    if (route.operation === 'embeddings') return sendJson(res, 200, embeddingList(json));
    if (route.operation === 'images') return sendJson(res, 200, imageList(json));
    const toolCall = queued?.kind === 'tool-call';
    if (json.stream === true) return sendStream(res, streamChunks(json, toolCall));
    sendJson(res, 200, toolCall ? toolCallCompletion() : textCompletion());
  }

  private authorized(headers: http.IncomingHttpHeaders): boolean {
    if (headers['api-key'] === this.apiKey) return true;
    const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? '');
    return bearer !== null && (this.grantedTokens.has(bearer[1]) || bearer[1] === STATIC_AD_TOKEN);
  }
}

/** A token the resource accepts without it being granted here (as one from `az account get-access-token`). */
export const STATIC_AD_TOKEN = 'eyJ0eXAiOiJKV1Qi.static';

type Operation = 'chat' | 'embeddings' | 'images';

const OPERATIONS: Readonly<Record<string, Operation>> = { 'chat/completions': 'chat', embeddings: 'embeddings', 'images/generations': 'images' };

function routeOf(url: URL): { deployment: string | null; operation: Operation } | null {
  const scoped = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings|images\/generations)$/.exec(url.pathname);
  if (scoped !== null) return { deployment: decodeURIComponent(scoped[1]), operation: OPERATIONS[scoped[2]] };
  const v1 = /^\/openai\/v1\/(chat\/completions|embeddings|images\/generations)$/.exec(url.pathname);
  if (v1 !== null) return { deployment: null, operation: OPERATIONS[v1[1]] };
  return null;
}

const PROMPT_FILTER_RESULTS = [
  {
    prompt_index: 0,
    content_filter_results: {
      hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' },
      sexual: { filtered: false, severity: 'safe' }, violence: { filtered: false, severity: 'safe' },
    },
  },
];
const SAFE = PROMPT_FILTER_RESULTS[0].content_filter_results;

function textCompletion(): Record<string, unknown> {
  return {
    id: 'chatcmpl-AZUREmock1',
    object: 'chat.completion',
    created: 1_733_000_000,
    model: 'gpt-4o-2024-08-06',
    prompt_filter_results: PROMPT_FILTER_RESULTS,
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from Azure.', refusal: null }, finish_reason: 'stop', logprobs: null, content_filter_results: SAFE }],
    usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
    system_fingerprint: 'fp_azure',
  };
}

function toolCallCompletion(): Record<string, unknown> {
  return {
    ...textCompletion(),
    choices: [{
      index: 0,
      message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_az1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Paris"}' } }] },
      finish_reason: 'tool_calls',
      logprobs: null,
    }],
  };
}

/** Azure's stream: a first chunk with no choices and the prompt filter results, the deltas, [DONE]. */
function streamChunks(body: Record<string, unknown>, toolCall: boolean): unknown[] {
  const base = { id: 'chatcmpl-AZUREstream', object: 'chat.completion.chunk', created: 1_733_000_001, model: 'gpt-4o-2024-08-06', system_fingerprint: 'fp_azure' };
  const chunk = (delta: Record<string, unknown>, finish: string | null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null, content_filter_results: finish === null ? SAFE : {} }] });
  const chunks: unknown[] = [{ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: PROMPT_FILTER_RESULTS }];
  if (toolCall) {
    chunks.push(chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_az1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }, null));
    chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"location":"Paris"}' } }] }, null), chunk({}, 'tool_calls'));
  } else {
    chunks.push(chunk({ role: 'assistant', content: '' }, null), chunk({ content: 'Hello' }, null), chunk({ content: ' from Azure.' }, null), chunk({}, 'stop'));
  }
  const options = body.stream_options as { include_usage?: boolean } | undefined;
  if (options?.include_usage === true) chunks.push({ ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 } });
  return chunks;
}

/** One vector per input; as base64 float32 when encoding_format asks (the openai SDK's default). */
function embeddingList(body: Record<string, unknown>): Record<string, unknown> {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const encode = (vector: number[]) => (body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector);
  return {
    object: 'list',
    data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: encode([0.5, -0.25, index]) })),
    model: 'text-embedding-3-small',
    usage: { prompt_tokens: 8, total_tokens: 8 },
  };
}

/** A 1×1 PNG, base64. */
export const MOCK_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** OpenAI's image answer (DALL·E 3 on Azure: a revised prompt and the content filter results); `n` images, as b64_json or a URL. */
function imageList(body: Record<string, unknown>): Record<string, unknown> {
  const count = typeof body.n === 'number' ? body.n : 1;
  const image = body.response_format === 'b64_json' ? { b64_json: MOCK_PNG_BASE64 } : { url: 'https://dalleprodsec.blob.core.windows.net/private/images/mock.png' };
  return {
    created: 1_733_000_002,
    data: Array.from({ length: count }, () => ({ ...image, revised_prompt: `A picture of: ${String(body.prompt)}`, content_filter_results: SAFE, prompt_filter_results: SAFE })),
  };
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  sendJsonWith(res, status, value, { 'apim-request-id': MOCK_REQUEST_ID });
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

/** The documented answer to a prompt the content filter refused. */
function sendContentFilter(res: http.ServerResponse): void {
  sendJson(res, 400, {
    error: {
      message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
      type: null,
      param: 'prompt',
      code: 'content_filter',
      status: 400,
      innererror: {
        code: 'ResponsibleAIPolicyViolation',
        content_filter_result: { hate: { filtered: false, severity: 'safe' }, self_harm: { filtered: false, severity: 'safe' }, sexual: { filtered: false, severity: 'safe' }, violence: { filtered: true, severity: 'medium' } },
      },
    },
  });
}

function sendStream(res: http.ServerResponse, chunks: readonly unknown[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'apim-request-id': MOCK_REQUEST_ID });
  for (const chunk of chunks) res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  res.end('data: [DONE]\n\n');
}
