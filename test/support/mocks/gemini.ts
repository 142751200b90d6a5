/**
 * A mock of Google's model APIs in their real wire formats, on one server:
 * - the Gemini API: `POST /v1beta/models/{model}:generateContent`,
 *   `:streamGenerateContent?alt=sse` (server-sent `data:` events, CRLF-separated as Google sends
 *   them), `:batchEmbedContents`, `:predict` (Imagen); the key must come in `x-goog-api-key`;
 * - Vertex AI: `POST /v1/projects/{p}/locations/{l}/publishers/google/models/{model}:` the same
 *   methods and `:predict` (embeddings, or Imagen when the instances carry a `prompt`), and
 *   `publishers/anthropic/models/{model}:rawPredict` /
 *   `:streamRawPredict` (Anthropic's Messages format); a bearer token must come in
 *   `Authorization` (one `acceptsToken` approves, when set).
 * Errors use Google's envelope `{"error":{"code","message","status"}}`. Every request is recorded;
 * tests queue answers, and with the queue empty each method answers with the fixture below (the
 * shapes of Google's documentation examples): generateContent asked for IMAGE output answers
 * with inline image parts, Imagen with `sampleCount` predictions.
 */
import type http from 'node:http';
import { sseText, textMessage, textStreamEvents as anthropicTextEvents } from './anthropic.js';
import { JsonRecordingServer, sendJson as sendJsonWith, type RecordedRequest } from './recording-server.js';

/** A request as received; its JSON typed loosely, for tests that read deep into Google's bodies. */
export type RecordedGeminiRequest = RecordedRequest<Record<string, any>>;

export type GeminiAnswer =
  /** This JSON body (status 200 unless given). */
  | { kind: 'json'; body: unknown; status?: number }
  /** These GenerateContentResponse objects as SSE `data:` events; `breakAfter`: destroy the connection after that many. */
  | { kind: 'stream'; events: readonly unknown[]; breakAfter?: number }
  /** Raw SSE text (Anthropic's events on :streamRawPredict). */
  | { kind: 'raw-stream'; text: string }
  /** Google's error envelope. */
  | { kind: 'error'; status: number; googleStatus: string; message: string };

const GEMINI_API = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|batchEmbedContents|predict)$/;
const VERTEX = /^\/v1\/projects\/([^/]+)\/locations\/([^/]+)\/publishers\/(google|anthropic)\/models\/([^/:]+):(generateContent|streamGenerateContent|predict|rawPredict|streamRawPredict)$/;

export class MockGemini extends JsonRecordingServer<GeminiAnswer, Record<string, any>> {
  /** Whether Vertex paths accept a bearer token; null: any. */
  acceptsToken: ((token: string) => boolean) | null = null;

  constructor() {
    super('the mock Gemini upstream');
  }

  protected answer(req: http.IncomingMessage, json: Record<string, any> | null, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://mock');
    const gemini = GEMINI_API.exec(url.pathname);
    const vertex = VERTEX.exec(url.pathname);
    if (req.method !== 'POST' || (gemini === null && vertex === null)) {
      sendError(res, 404, 'NOT_FOUND', `Requested entity was not found: ${req.method} ${url.pathname}`);
      return;
    }
    const refusal = gemini !== null ? apiKeyRefusal(req) : this.bearerRefusal(req);
    if (refusal !== null) {
      sendError(res, refusal.status, refusal.googleStatus, refusal.message);
      return;
    }
    if (json === null) {
      sendError(res, 400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.');
      return;
    }
    const [model, method] = gemini !== null ? [gemini[1], gemini[2]] : [vertex![4], vertex![5]];
    if ((method === 'streamGenerateContent') !== (url.searchParams.get('alt') === 'sse')) {
      sendError(res, 400, 'INVALID_ARGUMENT', 'the mock serves streamGenerateContent only with alt=sse');
      return;
    }
    void this.send(res, this.queue.shift() ?? defaultAnswer(method, model, json));
  }

  private bearerRefusal(req: http.IncomingMessage): { status: number; googleStatus: string; message: string } | null {
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (match === null) return { status: 401, googleStatus: 'UNAUTHENTICATED', message: 'Request is missing required authentication credential. Expected OAuth 2 access token.' };
    if (this.acceptsToken !== null && !this.acceptsToken(match[1])) {
      return { status: 401, googleStatus: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' };
    }
    return null;
  }

  private async send(res: http.ServerResponse, answer: GeminiAnswer): Promise<void> {
    switch (answer.kind) {
      case 'json':
        sendJson(res, answer.status ?? 200, answer.body);
        return;
      case 'error':
        sendError(res, answer.status, answer.googleStatus, answer.message);
        return;
      case 'raw-stream':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(answer.text);
        return;
      case 'stream': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'transfer-encoding': 'chunked' });
        for (const [i, event] of answer.events.entries()) {
          if (answer.breakAfter !== undefined && i >= answer.breakAfter) {
            res.socket?.destroy();
            return;
          }
          res.write(`data: ${JSON.stringify(event)}\r\n\r\n`);
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        res.end();
      }
    }
  }
}

function apiKeyRefusal(req: http.IncomingMessage): { status: number; googleStatus: string; message: string } | null {
  if (typeof req.headers['x-goog-api-key'] === 'string' && req.headers['x-goog-api-key'] !== '') return null;
  return { status: 403, googleStatus: 'PERMISSION_DENIED', message: 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.' };
}

/** The fixture answer of a method. */
function defaultAnswer(method: string, model: string, json: Record<string, any>): GeminiAnswer {
  switch (method) {
    case 'generateContent':
      return { kind: 'json', body: asksForImages(json) ? imageAnswer(model) : textAnswer(model) };
    case 'streamGenerateContent':
      return { kind: 'stream', events: textStreamEvents(model) };
    case 'batchEmbedContents':
      return { kind: 'json', body: { embeddings: (json.requests ?? []).map((r: any, i: number) => ({ values: vector(i, r.outputDimensionality) })) } };
    case 'predict':
      if (typeof json.instances?.[0]?.prompt === 'string') return { kind: 'json', body: imagenAnswer(json.parameters?.sampleCount ?? 4) };
      return {
        kind: 'json',
        body: {
          predictions: (json.instances ?? []).map((instance: any, i: number) => ({
            embeddings: { statistics: { truncated: false, token_count: String(instance.content ?? '').split(/\s+/).length }, values: vector(i, json.parameters?.outputDimensionality) },
          })),
          metadata: { billableCharacterCount: 0 },
        },
      };
    case 'rawPredict':
      return { kind: 'json', body: textMessage(model) };
    default:
      return { kind: 'raw-stream', text: sseText(anthropicTextEvents(model)) };
  }
}

function vector(index: number, dimensions: number | undefined): number[] {
  return Array.from({ length: dimensions ?? 3 }, (_, j) => Number(((index + 1) * 0.1 + j * 0.01).toFixed(4)));
}

// ---- fixtures (the shapes of Google's documentation examples) ----

export const MOCK_RESPONSE_ID = 'bH1dZ5f9NYbvmNAPr8iR2Ao';

/** A plain text answer, as in the generateContent documentation. */
export function textAnswer(model: string, text = 'Hello from the mock Gemini.'): Record<string, unknown> {
  return {
    candidates: [{ content: { parts: [{ text }], role: 'model' }, finishReason: 'STOP', avgLogprobs: -0.0421 }],
    usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 7, totalTokenCount: 16, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 9 }] },
    modelVersion: model,
    responseId: MOCK_RESPONSE_ID,
  };
}

/** A 1×1 PNG, base64: the image every image answer carries. */
export const MOCK_PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function asksForImages(json: Record<string, any>): boolean {
  const modalities = json.generationConfig?.responseModalities;
  return Array.isArray(modalities) && modalities.includes('IMAGE');
}

/** An image model's generateContent answer: a text part, then the image as inlineData (camelCase, as Google answers). */
export function imageAnswer(model: string): Record<string, unknown> {
  return {
    candidates: [{
      content: { parts: [{ text: 'Here is your image.' }, { inlineData: { mimeType: 'image/png', data: MOCK_PNG_BASE64 } }], role: 'model' },
      finishReason: 'STOP',
      index: 0,
    }],
    usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 1290, totalTokenCount: 1299 },
    modelVersion: model,
    responseId: MOCK_RESPONSE_ID,
  };
}

/** Imagen's `:predict` answer: `count` images (Imagen's default is 4). */
export function imagenAnswer(count: number): Record<string, unknown> {
  return { predictions: Array.from({ length: count }, () => ({ mimeType: 'image/png', bytesBase64Encoded: MOCK_PNG_BASE64 })) };
}

/** A function call answer (a thinking model's, with its thought signature). */
export function functionCallAnswer(model: string, name: string, args: Record<string, unknown>, thoughtSignature?: string): Record<string, unknown> {
  const part: Record<string, unknown> = { functionCall: { name, args } };
  if (thoughtSignature !== undefined) part.thoughtSignature = thoughtSignature;
  return {
    candidates: [{ content: { parts: [part], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 52, candidatesTokenCount: 18, totalTokenCount: 70 },
    modelVersion: model,
    responseId: MOCK_RESPONSE_ID,
  };
}

/** A thinking model's answer: a thought summary part, the answer, thoughts and cache counted. */
export function thinkingAnswer(model: string): Record<string, unknown> {
  return {
    candidates: [{
      content: { parts: [{ text: 'The user wants a number; 6 times 7 is 42.', thought: true }, { text: '42' }], role: 'model' },
      finishReason: 'STOP',
      index: 0,
    }],
    usageMetadata: { promptTokenCount: 1200, candidatesTokenCount: 2, thoughtsTokenCount: 40, cachedContentTokenCount: 1024, totalTokenCount: 1242 },
    modelVersion: model,
    responseId: MOCK_RESPONSE_ID,
  };
}

/** A streamed text answer: one event per piece, the last with finishReason; usage on every event (running). */
export function textStreamEvents(model: string, pieces: readonly string[] = ['Hello', ' from the', ' stream.']): Record<string, unknown>[] {
  return pieces.map((text, i) => {
    const last = i === pieces.length - 1;
    const candidate: Record<string, unknown> = { content: { parts: [{ text }], role: 'model' } };
    if (last) candidate.finishReason = 'STOP';
    return {
      candidates: [candidate],
      usageMetadata: { promptTokenCount: 9, candidatesTokenCount: last ? 5 : i + 1, totalTokenCount: 9 + (last ? 5 : i + 1) },
      modelVersion: model,
      responseId: MOCK_RESPONSE_ID,
    };
  });
}

/** A streamed function call: the call in one event, then the finishing event with usage. */
export function functionCallStreamEvents(model: string, name: string, args: Record<string, unknown>): Record<string, unknown>[] {
  return [
    { candidates: [{ content: { parts: [{ functionCall: { name, args } }], role: 'model' } }], modelVersion: model, responseId: MOCK_RESPONSE_ID },
    {
      candidates: [{ content: { parts: [{ text: '' }], role: 'model' }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 52, candidatesTokenCount: 18, totalTokenCount: 70 },
      modelVersion: model,
      responseId: MOCK_RESPONSE_ID,
    },
  ];
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  sendJsonWith(res, status, body, { 'content-type': 'application/json; charset=UTF-8' });
}

function sendError(res: http.ServerResponse, status: number, googleStatus: string, message: string): void {
  sendJson(res, status, { error: { code: status, message, status: googleStatus } });
}
