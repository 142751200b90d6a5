/**
 * The per-request context every pipeline stage reads and writes.
 *
 * The constructor initialises every field so all contexts share one hidden class (stable object
 * shape keeps the hot path monomorphic). A context lives from the first byte of the request until
 * the response ends or the client aborts.
 */
import type { AuthRecord, CustomerAuthRecord } from '../control/auth-record.js';
import type { GatewayError } from '../errors.js';
import type { LimitReservation } from './limits/stage.js';
import type { InferenceRoute } from './routes.js';
import type { DeploymentRuntime, Runtime } from './runtime.js';
import { newCallId } from './call-id.js';

export const enum StageStatus {
  /** Go on to the next stage. */
  Continue = 0,
  /** The stage has answered (or the request was aborted); stop the chain. */
  Respond = 1,
  /** The stage works asynchronously and will call `ctx.resume` once, to go on or to refuse. */
  Suspend = 2,
}

export class RequestContext {
  readonly callId: string;
  readonly route: InferenceRoute;
  /** The config generation this request started under; a reload does not affect it. */
  readonly runtime: Runtime;
  /** performance.now() at the first callback for this request. */
  readonly startedAt: number;

  /** The path the request came in on (one of route.paths). */
  readonly path: string;
  /** Credential the client presented (any of the accepted headers), '' when none. */
  presentedKey: string;
  /** Reads the client's address (valid until the response ends); null outside HTTP (tests, gRPC). */
  peer: RemotePeer | null;
  /** The virtual key's record once auth resolved one; null for the master key or no key. */
  auth: AuthRecord | null;
  /** The request body's `user` field (the end user), '' when absent. */
  endUser: string;
  /** The end user's record (set by the access stage), null when there is none or no `user` field. */
  customer: CustomerAuthRecord | null;
  /** max_tokens (or max_completion_tokens) from the body; -1 when absent. */
  maxTokens: number;
  /** Open counter reservation of the limits stage (settled or released at finish); -1 when none. */
  limitHandle: number;
  /** What that reservation counts (for the settle); null when none. */
  limitReservation: LimitReservation | null;
  /** Seconds for `retry-after` on a rate-limit refusal; 0 when none. */
  retryAfterS: number;
  /** x-ratelimit-* header pairs for the key's own limits, sent with the answer. */
  rateLimitHeaders: string[] | null;
  /** The client's body, exactly as received. */
  body: Buffer;
  bodyLength: number;

  /** Public model name the client asked for. */
  model: string;
  /** Whether the client asked for a stream. */
  stream: boolean;
  /** Whether the client asked for a stream's usage chunk (`stream_options.include_usage: true`). */
  clientWantsUsage: boolean;
  /** Byte span of the `stream_options` value in `body`; -1 when absent. */
  streamOptionsStart: number;
  streamOptionsEnd: number;
  /** The gateway added `include_usage` to the upstream request: its usage chunk is not relayed. */
  usageInjected: boolean;
  /** Byte span of the model string's contents (inside the quotes) in `body`. */
  modelStart: number;
  modelEnd: number;

  deployment: DeploymentRuntime | null;
  /** Model name to send upstream (wildcards resolved). */
  upstreamModel: string;
  /** Bytes sent upstream: `body` itself, or a copy with the model spliced. */
  upstreamBody: Buffer | null;

  /** Prompt tokens counted by the gateway (-1: not counted for this route). */
  promptTokens: number;
  /** Whether promptTokens used a stand-in encoding (the model's own tokenizer is not built in). */
  promptTokensEstimated: boolean;
  /** Usage learned from the upstream answer, or counted from what was streamed; null until known. */
  usage: { promptTokens: number; completionTokens: number; source: 'provider' | 'counted' } | null;
  /** US dollars the call cost, from `usage` and the deployment's prices; null until known or when unpriced. */
  costUsd: number | null;
  /** Set by the pipeline while a stage is suspended: continues the chain, or refuses with the error. */
  resume: ((error: GatewayError | null) => void) | null;

  /** performance.now() when the upstream request was dispatched, and when its headers arrived. */
  dispatchedAt: number;
  upstreamHeadersAt: number;
  /** Gateway time before headers were written, upstream excluded, ms; NaN until known. */
  overheadMs: number;

  /** HTTP status sent to the client (0 until headers are written). */
  status: number;
  aborted: boolean;
  finished: boolean;
  /** Index in the thread's in-flight list (src/server/inflight.ts); -1 when not in it. */
  inflightSlot: number;
  /** The upstream call failed after the status was sent (a broken stream): its spend row says so. */
  upstreamFailed: boolean;
  /** Cancels the upstream call; set while one is in flight. */
  cancelUpstream: ((reason: Error) => void) | null;

  constructor(route: InferenceRoute, runtime: Runtime, startedAt: number, path: string = route.paths[0]) {
    this.callId = newCallId();
    this.route = route;
    this.path = path;
    this.peer = null;
    this.auth = null;
    this.endUser = '';
    this.customer = null;
    this.maxTokens = -1;
    this.limitHandle = -1;
    this.limitReservation = null;
    this.retryAfterS = 0;
    this.rateLimitHeaders = null;
    this.runtime = runtime;
    this.startedAt = startedAt;
    this.presentedKey = '';
    this.body = EMPTY;
    this.bodyLength = 0;
    this.model = '';
    this.stream = false;
    this.clientWantsUsage = false;
    this.streamOptionsStart = -1;
    this.streamOptionsEnd = -1;
    this.usageInjected = false;
    this.modelStart = -1;
    this.modelEnd = -1;
    this.deployment = null;
    this.upstreamModel = '';
    this.upstreamBody = null;
    this.promptTokens = -1;
    this.promptTokensEstimated = false;
    this.usage = null;
    this.costUsd = null;
    this.resume = null;
    this.dispatchedAt = 0;
    this.upstreamHeadersAt = 0;
    this.overheadMs = Number.NaN;
    this.status = 0;
    this.aborted = false;
    this.finished = false;
    this.inflightSlot = -1;
    this.upstreamFailed = false;
    this.cancelUpstream = null;
  }
}

const EMPTY = Buffer.alloc(0);

/** The part of a uWS HttpResponse the access checks need. */
export interface RemotePeer {
  getRemoteAddressAsText(): ArrayBuffer;
}

/** A pipeline stage: reads and fills the context; throws GatewayError to refuse the request. */
export type Stage = (ctx: RequestContext) => StageStatus;
