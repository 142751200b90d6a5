/**
 * POST /utils/token_counter, LiteLLM-compatible: `{model, prompt}` or `{model, messages}` →
 * `{total_tokens, request_model, model_used, tokenizer_type}`, plus AILB's `encoding` and
 * `estimated` (true when the model's own tokenizer is not built in and o200k_base stood in).
 *
 * Messages are counted with the same native chat formula the inference path uses, straight from
 * the request bytes; a prompt string is counted as text. Needs the master key (or any key the
 * gateway accepts). Not a hot path: the body is parsed with JSON.parse for validation.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { GatewayError } from '../errors.js';
import { countChatTokensAsync, countTokensAsync, encodingForModel } from '../native/index.js';
import { authenticate } from './authenticate.js';
import type { ThreadState } from './http-app.js';
import { readPresentedKey, sendJson } from './http-util.js';
import { readBody } from './read-body.js';

export function onTokenCounter(state: ThreadState, res: HttpResponse, req: HttpRequest): void {
  const runtime = state.runtime;
  const presented = readPresentedKey(req, runtime.keyHeaders);
  const contentLength = req.getHeader('content-length');
  const abort = { aborted: false };
  res.onAborted(() => {
    abort.aborted = true;
  });
  const fail = (error: GatewayError) => {
    if (!abort.aborted) res.cork(() => sendJson(res, error.status, error.toOpenAIBody(), state.draining));
  };
  readBody(res, abort, contentLength, runtime.maxBodyBytes, (body, length) => {
    authenticate(runtime, state.keys, presented, res, '/utils/token_counter', (refused) => {
      if (refused !== null) fail(refused);
      else count(body, length);
    });
  }, fail);

  function count(body: Buffer, length: number): void {
    let request: TokenCounterRequest;
    const bytes = body.subarray(0, length);
    try {
      request = validate(JSON.parse(bytes.toString('utf8')));
    } catch (error) {
      fail(error instanceof GatewayError ? error : new GatewayError('invalid_json', `Invalid JSON in request body: ${(error as Error).message}.`));
      return;
    }
    const deployment = runtime.deploymentsFor(request.model)[0];
    const modelUsed = deployment === undefined ? request.model : deployment.upstreamModelFor(request.model);
    const { encoding, estimate } = encodingForModel(modelUsed);
    const counting = request.messages ? countChatTokensAsync(encoding, bytes) : countTokensAsync(encoding, request.prompt!);
    counting.then(
      (total) => {
        if (abort.aborted) return;
        const answer = {
          total_tokens: total,
          request_model: request.model,
          model_used: modelUsed,
          tokenizer_type: 'openai_tokenizer',
          encoding,
          estimated: estimate,
        };
        res.cork(() => sendJson(res, 200, JSON.stringify(answer), state.draining));
      },
      (error: unknown) => fail(new GatewayError('internal_error', `Could not count tokens: ${String(error)}`)),
    );
  }
}

interface TokenCounterRequest {
  model: string;
  prompt?: string;
  messages?: boolean;
}

function validate(value: unknown): TokenCounterRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('invalid_body', 'The body must be a JSON object with `model` and `prompt` or `messages`.');
  }
  const body = value as Record<string, unknown>;
  if (typeof body.model !== 'string' || body.model === '') {
    throw new GatewayError('invalid_body', 'Missing required parameter: model (a string).', { param: 'model' });
  }
  if (body.messages !== undefined && body.messages !== null) {
    if (!Array.isArray(body.messages)) throw new GatewayError('invalid_body', "Invalid type for 'messages': expected an array.", { param: 'messages' });
    return { model: body.model, messages: true };
  }
  if (typeof body.prompt === 'string') return { model: body.model, prompt: body.prompt };
  throw new GatewayError('invalid_body', 'Send `prompt` (a string) or `messages` (an array) to count.', { param: 'prompt' });
}
