/**
 * A mock Amazon Bedrock runtime: Converse (`POST /model/{id}/converse`, JSON), ConverseStream
 * (`/converse-stream`, AWS event-stream frames made with the AWS SDK's own codec) and InvokeModel
 * (`/invoke`: Titan and Cohere embedding bodies; Titan Image Generator / Nova Canvas and Stability
 * AI image bodies, answered with `{images: [base64…]}`), with Bedrock's error shape
 * (`{"message"}` + `x-amzn-errortype`).
 *
 * Every request's SigV4 signature is checked as AWS checks it: the canonical request is rebuilt
 * from what arrived (method, raw path, the headers the Authorization header lists, the body) and
 * signed again with the known test credentials; the credential scope must name the mock's region
 * and the `bedrock` service, and x-amz-content-sha256 must be the body's hash. A mismatch is
 * answered 403 InvalidSignatureException, like AWS. A Bedrock API key (`Authorization: Bearer`)
 * is accepted when the mock was given one.
 *
 * Converse bodies are checked the way Bedrock refuses them (a 400 ValidationException): turns
 * alternate starting with a user turn, no empty content, no blank text, tool blocks only with a
 * toolConfig. Requests are recorded; tests queue replies.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { SignatureV4 } from '@smithy/signature-v4';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { RecordingServer, sendJson as sendJsonWith } from './recording-server.js';

export interface MockAwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** AWS's documentation example keys. */
export const TEST_AWS_CREDENTIALS: MockAwsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
export const TEST_AWS_REGION = 'us-east-1';

/** litellm_params of a bedrock deployment of `model` on the mock at `endpoint`, signing with the test keys (`secret` to sign wrongly). */
export function mockBedrockParams(model: string, endpoint: string, secret = TEST_AWS_CREDENTIALS.secretAccessKey): Record<string, string> {
  return {
    model: `bedrock/${model}`,
    aws_access_key_id: TEST_AWS_CREDENTIALS.accessKeyId,
    aws_secret_access_key: secret,
    aws_region_name: TEST_AWS_REGION,
    aws_bedrock_runtime_endpoint: endpoint,
  };
}

export type ConverseContentBlock = Record<string, unknown>;

export interface ConverseUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** One Converse answer; ConverseStream sends it as events (text and tool input in pieces). */
export interface ConverseReply {
  readonly content: ConverseContentBlock[];
  readonly stopReason: string;
  readonly usage: ConverseUsage;
}

export type StreamEvent =
  | { readonly event: string; readonly payload: Record<string, unknown> }
  | { readonly exception: string; readonly message: string };

export type BedrockBehaviour =
  | { kind: 'reply'; reply: ConverseReply }
  /** ConverseStream: exactly these events. */
  | { kind: 'events'; events: StreamEvent[] }
  | { kind: 'error'; status: number; errorType: string; message: string }
  /** InvokeModel: this JSON body. */
  | { kind: 'invoke'; body: unknown };

export interface RecordedBedrockRequest {
  readonly method: string;
  /** As received: percent-encoded. */
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  /** The model id from the path, decoded. */
  readonly modelId: string | null;
  readonly operation: string | null;
  /** Why the signature was refused; null when it was valid. */
  readonly authError: string | null;
}

const DEFAULT_REPLY: ConverseReply = {
  content: [{ text: 'Hello from the mock Bedrock.' }],
  stopReason: 'end_turn',
  usage: { inputTokens: 12, outputTokens: 7, totalTokens: 19 },
};

const ROUTE = /\/model\/([^/]+)\/(converse|converse-stream|invoke)$/;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;
const codec = new EventStreamCodec(toUtf8, fromUtf8);

export class MockBedrock extends RecordingServer<BedrockBehaviour, RecordedBedrockRequest> {
  /** Stream bodies are written in pieces of this many bytes (frames split anywhere), 0: whole. */
  streamPieceBytes = 0;

  constructor(
    readonly credentials: MockAwsCredentials = TEST_AWS_CREDENTIALS,
    readonly region: string = TEST_AWS_REGION,
    /** A Bedrock API key the mock accepts as a bearer token. */
    readonly apiKey: string | null = null,
  ) {
    super('the mock Bedrock');
  }

  /** Records the request once its signature is checked; a failure of the mock itself is a 500. */
  protected receive(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    void this.answer(req, body, res).catch((error: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: `mock failure: ${error.message}` }));
    });
  }

  private async answer(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const route = ROUTE.exec(path.split('?')[0]);
    const authError = await this.authError(req, path, body);
    this.requests.push({
      method: req.method ?? '',
      path,
      headers: req.headers,
      body,
      modelId: route !== null ? decodeURIComponent(route[1]) : null,
      operation: route?.[2] ?? null,
      authError,
    });
    if (authError !== null) {
      const type = authError.startsWith('unknown key') ? 'UnrecognizedClientException' : 'InvalidSignatureException';
      return sendError(res, 403, type, authError.startsWith('unknown key') ? 'The security token included in the request is invalid.' : `The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. (${authError})`);
    }
    if (req.method !== 'POST' || route === null) return sendError(res, 404, 'UnknownOperationException', `No operation at ${req.method} ${path}`);
    const behaviour = this.queue.shift() ?? { kind: 'reply', reply: DEFAULT_REPLY };
    if (behaviour.kind === 'error') return sendError(res, behaviour.status, behaviour.errorType, behaviour.message);
    let json: any;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return sendError(res, 400, 'SerializationException', 'The request body is not JSON.');
    }
    if (route[2] === 'invoke') {
      const modelId = decodeURIComponent(route[1]);
      const invalidImage = isImageModel(modelId) ? imageBodyError(modelId, json) : null;
      if (invalidImage !== null) return sendError(res, 400, 'ValidationException', invalidImage);
      if (behaviour.kind === 'invoke') return sendJson(res, behaviour.body);
      return sendJson(res, isImageModel(modelId) ? imageAnswer(modelId, json) : embeddingAnswer(route[1], json));
    }
    const invalid = converseBodyError(json);
    if (invalid !== null) return sendError(res, 400, 'ValidationException', invalid);
    const reply = behaviour.kind === 'reply' ? behaviour.reply : DEFAULT_REPLY;
    if (route[2] === 'converse') {
      return sendJson(res, { output: { message: { role: 'assistant', content: reply.content } }, stopReason: reply.stopReason, usage: reply.usage, metrics: { latencyMs: 42 } });
    }
    const events = behaviour.kind === 'events' ? behaviour.events : streamEventsOf(reply);
    await this.sendStream(res, Buffer.concat(events.map(encodeEvent)));
  }

  private async sendStream(res: http.ServerResponse, bytes: Buffer): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'mock-request-1' });
    const step = this.streamPieceBytes > 0 ? this.streamPieceBytes : bytes.length;
    for (let at = 0; at < bytes.length; at += step) {
      res.write(bytes.subarray(at, at + step));
      if (step < bytes.length) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    res.end();
  }

  /** Why the request's credential is refused; null when it is good. */
  private async authError(req: http.IncomingMessage, path: string, body: Buffer): Promise<string | null> {
    const authorization = req.headers.authorization ?? '';
    if (authorization.startsWith('Bearer ')) {
      return this.apiKey !== null && authorization === `Bearer ${this.apiKey}` ? null : 'unknown key: bearer token';
    }
    const match = AUTHORIZATION.exec(authorization);
    if (match === null) return 'no SigV4 Authorization header';
    const [, accessKeyId, scopeDate, region, service, signedList] = match;
    if (accessKeyId !== this.credentials.accessKeyId) return `unknown key: ${accessKeyId}`;
    if (region !== this.region) return `credential scope region ${region}, expected ${this.region}`;
    if (service !== 'bedrock') return `credential scope service ${service}, expected bedrock`;
    const amzDate = header(req, 'x-amz-date');
    if (!/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== scopeDate) return `x-amz-date ${amzDate} does not match the scope date ${scopeDate}`;
    const signed = signedList.split(';');
    if (!signed.includes('host') || !signed.includes('x-amz-date')) return 'host and x-amz-date must be signed';
    const bodyHash = createHash('sha256').update(body).digest('hex');
    if (signed.includes('x-amz-content-sha256') && header(req, 'x-amz-content-sha256') !== bodyHash) return 'x-amz-content-sha256 is not the body hash';
    if (this.credentials.sessionToken !== undefined && header(req, 'x-amz-security-token') !== this.credentials.sessionToken) return 'wrong or missing x-amz-security-token';
    const expected = await this.expectedAuthorization(req, path, body, signed, amzDate);
    return expected === authorization ? null : `expected ${expected}`;
  }

  private async expectedAuthorization(req: http.IncomingMessage, path: string, body: Buffer, signed: string[], amzDate: string): Promise<string> {
    const headers: Record<string, string> = {};
    for (const name of signed) headers[name] = header(req, name);
    const [pathOnly, query = ''] = path.split('?');
    const signer = new SignatureV4({
      service: 'bedrock',
      region: this.region,
      sha256: Sha256,
      credentials: this.credentials,
      applyChecksum: signed.includes('x-amz-content-sha256'),
    });
    const date = new Date(Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15)));
    const result = await signer.sign(
      { method: req.method ?? 'POST', protocol: 'http:', hostname: '127.0.0.1', path: pathOnly, query: Object.fromEntries(new URLSearchParams(query)), headers, body },
      { signingDate: date },
    );
    return result.headers.authorization;
  }
}

function header(req: http.IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

const REQUEST_ID = { 'x-amzn-requestid': 'mock-request-1' };

function sendJson(res: http.ServerResponse, body: unknown): void {
  sendJsonWith(res, 200, body, REQUEST_ID);
}

function sendError(res: http.ServerResponse, status: number, errorType: string, message: string): void {
  sendJsonWith(res, status, { message }, { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/`, ...REQUEST_ID });
}

/** What Bedrock refuses in a Converse body (a few of its ValidationException checks); null when fine. */
function converseBodyError(body: any): string | null {
  const messages = body?.messages;
  if (!Array.isArray(messages) || messages.length === 0) return 'messages must be a non-empty list';
  if (messages[0].role !== 'user') return 'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  let usesTools = false;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    if (message.role !== 'user' && message.role !== 'assistant') return `messages.${i}.role must be user or assistant`;
    if (i > 0 && messages[i - 1].role === message.role) return 'A conversation must alternate between user and assistant roles.';
    if (!Array.isArray(message.content) || message.content.length === 0) return `messages.${i}.content must not be empty`;
    for (let j = 0; j < message.content.length; j++) {
      const block = message.content[j];
      if (typeof block.text === 'string' && block.text.trim() === '') return `The text field in the ContentBlock object at messages.${i}.content.${j} is blank.`;
      if (block.toolUse !== undefined || block.toolResult !== undefined) usesTools = true;
    }
  }
  if (usesTools && body.toolConfig === undefined) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
  return null;
}

/** The padding field AWS adds to stream event payloads. */
const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJ';

/** ConverseStream's events for `reply`: text and tool input each in two pieces. */
export function streamEventsOf(reply: ConverseReply): StreamEvent[] {
  const events: StreamEvent[] = [{ event: 'messageStart', payload: { role: 'assistant' } }];
  reply.content.forEach((block, contentBlockIndex) => {
    const pieces = (text: string) => [text.slice(0, Math.ceil(text.length / 2)), text.slice(Math.ceil(text.length / 2))].filter((p) => p !== '');
    if (typeof block.text === 'string') {
      for (const text of pieces(block.text)) events.push({ event: 'contentBlockDelta', payload: { contentBlockIndex, delta: { text } } });
    } else if (block.toolUse !== undefined) {
      const toolUse = block.toolUse as { toolUseId: string; name: string; input: unknown };
      events.push({ event: 'contentBlockStart', payload: { contentBlockIndex, start: { toolUse: { toolUseId: toolUse.toolUseId, name: toolUse.name } } } });
      for (const input of pieces(JSON.stringify(toolUse.input))) events.push({ event: 'contentBlockDelta', payload: { contentBlockIndex, delta: { toolUse: { input } } } });
    } else if (block.reasoningContent !== undefined) {
      const reasoning = (block.reasoningContent as { reasoningText: { text: string; signature?: string } }).reasoningText;
      events.push({ event: 'contentBlockDelta', payload: { contentBlockIndex, delta: { reasoningContent: { text: reasoning.text } } } });
      if (reasoning.signature !== undefined) events.push({ event: 'contentBlockDelta', payload: { contentBlockIndex, delta: { reasoningContent: { signature: reasoning.signature } } } });
    }
    events.push({ event: 'contentBlockStop', payload: { contentBlockIndex } });
  });
  events.push({ event: 'messageStop', payload: { stopReason: reply.stopReason } });
  events.push({ event: 'metadata', payload: { usage: reply.usage, metrics: { latencyMs: 42 } } });
  return events;
}

/** One event-stream frame, as Bedrock writes it. */
export function encodeEvent(event: StreamEvent): Buffer {
  const string = (value: string) => ({ type: 'string' as const, value });
  if ('exception' in event) {
    return Buffer.from(codec.encode({
      headers: { ':exception-type': string(event.exception), ':content-type': string('application/json'), ':message-type': string('exception') },
      body: fromUtf8(JSON.stringify({ message: event.message })),
    }));
  }
  return Buffer.from(codec.encode({
    headers: { ':event-type': string(event.event), ':content-type': string('application/json'), ':message-type': string('event') },
    body: fromUtf8(JSON.stringify({ ...event.payload, p: PADDING.slice(0, 1 + (JSON.stringify(event.payload).length % PADDING.length)) })),
  }));
}

/** A Titan or Cohere InvokeModel answer for an embedding request. */
function embeddingAnswer(encodedModelId: string, body: any): unknown {
  const modelId = decodeURIComponent(encodedModelId);
  const vector = (text: string) => [text.length / 100, 0.5, -0.25];
  if (modelId.includes('cohere.embed')) {
    return { embeddings: (body.texts as string[]).map(vector), id: 'emb-mock-1', response_type: 'embeddings_floats', texts: body.texts };
  }
  return { embedding: vector(String(body.inputText)), inputTextTokenCount: String(body.inputText).split(/\s+/).length };
}

/** A 1×1 PNG, base64: the image every image answer carries. */
export const MOCK_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function isImageModel(modelId: string): boolean {
  return /amazon\.titan-image-generator|amazon\.nova-canvas|stability\./.test(modelId);
}

/** What Bedrock refuses in an image body (a few of its ValidationException checks); null when fine. */
function imageBodyError(modelId: string, body: any): string | null {
  if (modelId.includes('stability.')) {
    if (typeof body?.prompt !== 'string' || body.prompt === '') return 'prompt is required';
    return body.numberOfImages !== undefined || body.taskType !== undefined ? 'extraneous key [taskType/numberOfImages] is not permitted' : null;
  }
  if (body?.taskType !== 'TEXT_IMAGE') return `taskType ${JSON.stringify(body?.taskType)} is not one this mock serves (TEXT_IMAGE)`;
  if (typeof body.textToImageParams?.text !== 'string' || body.textToImageParams.text === '') return 'textToImageParams.text is required';
  const count = body.imageGenerationConfig?.numberOfImages ?? 1;
  return Number.isInteger(count) && count >= 1 && count <= 5 ? null : 'numberOfImages must be between 1 and 5';
}

/** An InvokeModel answer for an image request: Titan and Nova Canvas `{images}`, Stability's with seeds and finish reasons. */
function imageAnswer(modelId: string, body: any): unknown {
  if (modelId.includes('stability.')) return { seeds: [2130420379], finish_reasons: [null], images: [MOCK_PNG_BASE64] };
  return { images: Array.from({ length: body.imageGenerationConfig?.numberOfImages ?? 1 }, () => MOCK_PNG_BASE64) };
}
