/**
 * Spend-log rows from the event-loop threads to the main thread (docs/spend-logs.md#how-rows-flow).
 *
 * Thread side, `SpendRecorder.record(ctx, now, failed)`: called once per finished request that
 * reached an upstream. It writes the request's numbers into one preallocated Float64Array row,
 * appends its call id to one string, and refers to its other strings (key, deployment, models,
 * end user) by their index in a per-batch table, so a batch holds each distinct key or model once
 * however many rows use it. No object, Date or string is built per request. The batch
 * is posted to the main thread in ONE message when it holds `maxRows` rows or `intervalMs` after
 * its first row, whichever comes first, and by `flush()` when the thread drains. (A plain array
 * of ~20 values per row cost ~670 ns a row to structured-clone; this layout costs a few tens.)
 *
 * Main side, `decodeSpendRows(batch, each)`: turns a posted batch into SpendLogRecords (ISO times,
 * LiteLLM's call types and status words) for the SpendLogWriter. The layout below is the contract
 * between the two and lives only in this file.
 *
 * Wall-clock times: request times are performance.now() values (monotonic, per thread). A batch
 * takes one `Date.now() - performance.now()` offset when its first row arrives, and every row of
 * the batch adds it: one Date.now() per batch, not one per field or row.
 */
import type { RequestContext } from '../pipeline/context.js';
import { INFERENCE_ROUTES, type InferenceRoute } from '../pipeline/routes.js';
import type { SpendLogRecord } from '../store/types.js';
import { isoTime } from './iso-time.js';

/** Numbers per row in `SpendRowBatch.nums`, in this order. A reference is an index into `values`. */
const enum F {
  Key, // ref to [token, user_id, team_id] of the virtual key; -1 for the master key
  Deployment, // ref to [model_info.id, api_base, provider, model_name, upstream model]
  ModelGroup, // ref: the public model name the client asked for
  Model, // ref: the upstream model
  EndUser, // ref: the body's `user`; -1 when absent
  Route, // index in INFERENCE_ROUTES
  IdEnd, // where this row's call id ends in `ids`
  Spend, // USD
  PromptTokens,
  CompletionTokens,
  Flags, // COUNTED | FAILED
  Status, // HTTP status sent (499: the client aborted)
  Start, // epoch ms (fractional)
  End, // epoch ms
  FirstByte, // epoch ms of the upstream's response headers for a stream, -1 otherwise
  Stride,
}

/** prompt_tokens are the gateway's count, not the provider's. */
const COUNTED = 1;
const FAILED = 2;

/** One posted batch (structured-clonable). */
export interface SpendRowBatch {
  /** The rows' call ids, concatenated; row r's ends at nums[r * stride + IdEnd]. */
  readonly ids: string;
  /** `rows * stride` numbers. */
  readonly nums: Float64Array;
  /** The strings the rows refer to (null for a key without user or team). */
  readonly values: readonly (string | null)[];
}

/** LiteLLM's call_type of each route (what its spend logs say for the async proxy calls). */
export const CALL_TYPES: Readonly<Record<InferenceRoute['name'], string>> = {
  chat_completions: 'acompletion',
  completions: 'atext_completion',
  embeddings: 'aembedding',
  messages: 'anthropic_messages',
  responses: 'aresponses',
  image_generation: 'aimage_generation',
};

export interface SpendRecorderOptions {
  /** Rows per message at most; default 512. */
  readonly maxRows?: number;
  /** Longest a row waits in the thread, ms; default 100. */
  readonly intervalMs?: number;
}

export class SpendRecorder {
  private readonly nums: Float64Array;
  private ids = '';
  private values: (string | null)[] = [];
  /** This batch's index in `values` of each key record, deployment and string already there. */
  private readonly refs = new Map<unknown, number>();
  private count = 0;
  /** Date.now() - performance.now() when the batch's first row arrived. */
  private offset = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly maxRows: number;
  private readonly intervalMs: number;
  private readonly onTimer = (): void => {
    this.timer = null;
    this.flush();
  };

  /** `send` posts one batch to the main thread; it must copy it (postMessage does) before it returns. */
  constructor(
    private readonly send: (batch: SpendRowBatch) => void,
    options: SpendRecorderOptions = {},
  ) {
    this.maxRows = options.maxRows ?? 512;
    this.intervalMs = options.intervalMs ?? 100;
    this.nums = new Float64Array(this.maxRows * F.Stride);
  }

  /** Rows waiting in this thread. */
  get pending(): number {
    return this.count;
  }

  /**
   * Records one finished request that reached an upstream (ctx.deployment set). `now` is the
   * performance.now() of its end; `failed` whether it failed (status, abort, broken stream).
   * Hot path: a few map lookups and number stores.
   */
  record(ctx: RequestContext, now: number, failed: boolean): void {
    if (this.count === 0) this.begin(now);
    const offset = this.offset;
    const n = this.nums;
    const o = this.count * F.Stride;
    const auth = ctx.auth;
    const usage = ctx.usage;
    const headersAt = ctx.upstreamHeadersAt;
    this.ids += ctx.callId;
    const spec = ctx.deployment!.spec;
    const deployment = this.deploymentRef(spec);
    n[o + F.Key] = auth === null ? -1 : this.keyRef(auth);
    n[o + F.Deployment] = deployment;
    // The names are usually the deployment's own (no alias, no wildcard): then no lookup at all,
    // since strings decoded from each body would be hashed afresh.
    n[o + F.ModelGroup] = ctx.model === spec.modelName ? deployment + 3 : this.stringRef(ctx.model);
    n[o + F.Model] = ctx.upstreamModel === spec.upstreamModel ? deployment + 4 : this.stringRef(ctx.upstreamModel);
    n[o + F.EndUser] = ctx.endUser === '' ? -1 : this.stringRef(ctx.endUser);
    n[o + F.Route] = INFERENCE_ROUTES.indexOf(ctx.route);
    n[o + F.IdEnd] = this.ids.length;
    n[o + F.Spend] = ctx.costUsd ?? 0;
    if (usage !== null) {
      n[o + F.PromptTokens] = usage.promptTokens;
      n[o + F.CompletionTokens] = usage.completionTokens;
      n[o + F.Flags] = (usage.source === 'counted' ? COUNTED : 0) | (failed ? FAILED : 0);
    } else {
      const counted = ctx.promptTokens > 0;
      n[o + F.PromptTokens] = counted ? ctx.promptTokens : 0;
      n[o + F.CompletionTokens] = 0;
      n[o + F.Flags] = (counted ? COUNTED : 0) | (failed ? FAILED : 0);
    }
    n[o + F.Status] = ctx.aborted ? 499 : ctx.status;
    n[o + F.Start] = ctx.startedAt + offset;
    n[o + F.End] = now + offset;
    n[o + F.FirstByte] = ctx.stream && headersAt > 0 ? headersAt + offset : -1;
    if (++this.count >= this.maxRows) this.flush();
  }

  /** Posts the rows waiting, if any (at every `intervalMs`, at `maxRows`, and when the thread drains). */
  flush(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.count === 0) return;
    // A view, not a copy: `send` posts it, and postMessage copies it synchronously, so the array
    // is free for the next batch at once. (Allocating a new ArrayBuffer per batch cost ~100 ns a row.)
    const batch: SpendRowBatch = { ids: this.ids, nums: this.nums.subarray(0, this.count * F.Stride), values: this.values };
    this.ids = '';
    this.values = [];
    this.refs.clear();
    this.count = 0;
    this.send(batch);
  }

  private begin(now: number): void {
    this.offset = Date.now() - now;
    this.timer = setTimeout(this.onTimer, this.intervalMs);
    // The thread's lifetime is uWS's business; a pending batch is flushed when it drains.
    this.timer.unref();
  }

  private keyRef(auth: NonNullable<RequestContext['auth']>): number {
    let ref = this.refs.get(auth);
    if (ref === undefined) {
      ref = this.values.length;
      const key = auth.key;
      this.values.push(key.token, key.user_id, key.team_id);
      this.refs.set(auth, ref);
    }
    return ref;
  }

  private deploymentRef(spec: NonNullable<RequestContext['deployment']>['spec']): number {
    let ref = this.refs.get(spec);
    if (ref === undefined) {
      ref = this.values.length;
      this.values.push(spec.id, spec.apiBase, spec.provider, spec.modelName, spec.upstreamModel);
      this.refs.set(spec, ref);
    }
    return ref;
  }

  private stringRef(value: string): number {
    let ref = this.refs.get(value);
    if (ref === undefined) {
      ref = this.values.length;
      this.values.push(value);
      this.refs.set(value, ref);
    }
    return ref;
  }
}

/**
 * Calls `each` with the SpendLogRecord of every row of a posted batch; returns how many rows it
 * held. Batches come from this process's own threads, so they are trusted to follow the layout.
 */
export function decodeSpendRows(batch: SpendRowBatch, each: (row: SpendLogRecord) => void): number {
  const { ids, nums: n, values } = batch;
  const rows = Math.floor(n.length / F.Stride);
  let idStart = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * F.Stride;
    const key = n[o + F.Key];
    const deployment = n[o + F.Deployment];
    const idEnd = n[o + F.IdEnd];
    const prompt = n[o + F.PromptTokens];
    const completion = n[o + F.CompletionTokens];
    const flags = n[o + F.Flags];
    const failed = (flags & FAILED) !== 0;
    const start = n[o + F.Start];
    const end = n[o + F.End];
    const firstByte = n[o + F.FirstByte];
    const route: InferenceRoute['name'] | undefined = INFERENCE_ROUTES[n[o + F.Route]]?.name;
    const endUserRef = n[o + F.EndUser];
    each({
      request_id: ids.slice(idStart, idEnd),
      call_type: route === undefined ? '' : CALL_TYPES[route],
      api_key: key < 0 ? '' : (values[key] as string),
      spend: n[o + F.Spend],
      total_tokens: prompt + completion,
      prompt_tokens: prompt,
      completion_tokens: completion,
      startTime: isoTime(start),
      endTime: isoTime(end),
      completionStartTime: firstByte < 0 ? null : isoTime(firstByte),
      model: values[n[o + F.Model]] as string,
      model_id: values[deployment] || null,
      model_group: values[n[o + F.ModelGroup]] || null,
      api_base: values[deployment + 1] || null,
      user: key < 0 ? null : values[key + 1],
      metadata: failed ? { error_information: { error_code: String(n[o + F.Status]) } } : {},
      cache_hit: 'False',
      request_tags: [],
      team_id: key < 0 ? null : values[key + 2],
      end_user: endUserRef < 0 ? null : values[endUserRef] || null,
      requester_ip_address: null,
      custom_llm_provider: values[deployment + 2] || null,
      request_duration_ms: Math.max(0, Math.round(end - start)),
      status: failed ? 'failure' : 'success',
      prompt_tokens_source: (flags & COUNTED) !== 0 ? 'counted' : 'provider',
    });
    idStart = idEnd;
  }
  return rows;
}
