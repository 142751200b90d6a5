/**
 * POST /v1/messages/count_tokens, Anthropic's token count: a Messages request body (model,
 * system, messages, tools) → `{"input_tokens": N}`, errors in Anthropic's envelope.
 *
 * For a model served by an Anthropic deployment the deployment's own count_tokens answers (exact
 * for Claude's tokenizer). Otherwise, or when it cannot answer, the gateway's native tokenizer
 * counts with the upstream model's encoding (o200k_base stands in for models whose tokenizer is
 * not built in: the count is then an estimate, and `x-ailb-tokens-estimated: true` says so).
 * Needs a key the gateway accepts.
 */
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { GatewayError } from '../errors.js';
import { textForTokenCount } from '../frontdoor/anthropic/index.js';
import { countTokensAsync, encodingForModel } from '../native/index.js';
import { authenticate } from './authenticate.js';
import type { ThreadState } from './http-app.js';
import { readPresentedKey } from './http-util.js';
import { readBody } from './read-body.js';
import { statusLine } from './uws-sink.js';
import type { DeploymentRuntime } from '../pipeline/runtime.js';

export function onMessagesCountTokens(state: ThreadState, res: HttpResponse, req: HttpRequest): void {
  const runtime = state.runtime;
  const presented = readPresentedKey(req, runtime.keyHeaders);
  const contentLength = req.getHeader('content-length');
  const abort = { aborted: false };
  res.onAborted(() => {
    abort.aborted = true;
  });
  const send = (status: number, body: string, estimated: boolean) => {
    if (abort.aborted) return;
    res.cork(() => {
      res.writeStatus(statusLine(status));
      res.writeHeader('content-type', 'application/json');
      if (estimated) res.writeHeader('x-ailb-tokens-estimated', 'true');
      res.end(body, state.draining);
    });
  };
  const fail = (error: GatewayError) => send(error.status, error.toAnthropicBody(), false);
  readBody(res, abort, contentLength, runtime.maxBodyBytes, (body, length) => {
    authenticate(runtime, state.keys, presented, res, '/v1/messages/count_tokens', (refused) => {
      if (refused !== null) fail(refused);
      else count(body.subarray(0, length));
    });
  }, fail);

  function count(body: Buffer): void {
    let model: string;
    let text: string;
    try {
      model = modelOf(body);
      text = textForTokenCount(body);
    } catch (error) {
      fail(error instanceof GatewayError ? error : new GatewayError('invalid_json', `Invalid JSON in request body: ${(error as Error).message}.`));
      return;
    }
    const deployment = runtime.deploymentsFor(model)[0];
    const upstreamModel = deployment === undefined ? model : deployment.upstreamModelFor(model);
    const countLocally = () => {
      const { encoding, estimate } = encodingForModel(upstreamModel);
      countTokensAsync(encoding, text).then(
        (tokens) => send(200, JSON.stringify({ input_tokens: tokens }), estimate),
        (error: unknown) => fail(new GatewayError('internal_error', `Could not count tokens: ${String(error)}`)),
      );
    };
    if (deployment === undefined || deployment.wire !== 'anthropic' || deployment.adapter?.passthrough === undefined) {
      countLocally();
      return;
    }
    askUpstream(deployment, upstreamModel, body).then(
      (answer) => {
        if (answer === null) countLocally();
        else send(answer.status, answer.body, false);
      },
      () => countLocally(),
    );
  }
}

/** Longest wait for an Anthropic deployment's own count before counting here instead. */
const UPSTREAM_COUNT_TIMEOUT_MS = 5000;

/**
 * Anthropic's own count (`/v1/messages/count_tokens` of the deployment), exact for Claude's
 * tokenizer: its answer (or its 4xx, which says what is wrong with the request) is relayed.
 * Resolves null when the upstream cannot answer (unreachable, 5xx, too slow): the gateway's
 * estimate is better than no answer.
 */
function askUpstream(deployment: DeploymentRuntime, upstreamModel: string, body: Buffer): Promise<{ status: number; body: string } | null> {
  const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  request.model = upstreamModel;
  const bytes = Buffer.from(JSON.stringify(request));
  const target = { deployment: deployment.spec, upstreamModel, stream: false, dropParams: deployment.dropParams };
  return Promise.resolve(deployment.adapter!.passthrough!('/v1/messages/count_tokens', target)).then(
    (where) =>
      new Promise((resolve) => {
        let status = 0;
        const chunks: Buffer[] = [];
        const timer = setTimeout(() => {
          exchange.abort(new Error('count_tokens timed out'));
          resolve(null);
        }, UPSTREAM_COUNT_TIMEOUT_MS);
        const exchange = deployment.pool.request(
          { path: where.path, headerBlock: where.headerBlock, body: bytes, idleTimeoutMs: UPSTREAM_COUNT_TIMEOUT_MS },
          {
            onHead(code) {
              status = code;
            },
            onBody(chunk) {
              chunks.push(Buffer.from(chunk));
              return true;
            },
            onComplete() {
              clearTimeout(timer);
              resolve(status >= 500 ? null : { status, body: Buffer.concat(chunks).toString('utf8') });
            },
            onError() {
              clearTimeout(timer);
              resolve(null);
            },
          },
        );
      }),
  );
}

function modelOf(body: Buffer): string {
  const parsed = JSON.parse(body.toString('utf8')) as { model?: unknown };
  if (typeof parsed !== 'object' || parsed === null || typeof parsed.model !== 'string' || parsed.model === '') {
    throw new GatewayError('invalid_body', 'model: Field required (a string).', { param: 'model' });
  }
  return parsed.model;
}
