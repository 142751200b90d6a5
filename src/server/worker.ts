/**
 * Entry point of one event-loop thread (a worker_thread). It runs a uWS App on the shared port
 * (SO_REUSEPORT spreads connections across threads) and the whole request pipeline; the main
 * thread owns config, metrics aggregation and shutdown, and talks to it through parentPort.
 *
 * Shutdown contract: on `drain` the thread closes its listen socket, answers what is in flight
 * (closing each connection after its response), and once nothing is left (or the drain timeout
 * passes, aborting what remains) closes its upstream pools, posts its last spend-log rows and
 * reports `drained`. It then ends on its own when uWS has no sockets left; the main thread never
 * kills it while uWS holds handles.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { us_listen_socket } from 'uWebSockets.js';
import { resolveRedisUrl } from '../config/redis.js';
import { GatewayError } from '../errors.js';
import { RedisCounterStore } from '../limits/redis-counters.js';
import { createLogger } from '../log.js';
import { ENCODINGS, loadEncoding } from '../native/index.js';
import { ThreadMetrics } from '../observability/metrics.js';
import type { AdminRequest, AdminResponse } from '../control/types.js';
import { ThreadKeyCache, type LookupKind } from '../pipeline/auth/key-cache.js';
import type { RequestContext } from '../pipeline/context.js';
import { SharedCounters } from '../pipeline/limits/shared.js';
import { InferencePipeline } from '../pipeline/pipeline.js';
import { Runtime } from '../pipeline/runtime.js';
import type { UpstreamObserver } from '../pipeline/upstream/proxy.js';
import { SpendRecorder } from '../spend/spend-recorder.js';
import { createHttpApp, type ThreadState } from './http-app.js';
import { InflightList } from './inflight.js';
import type { MainToWorker, WorkerInit, WorkerToMain } from './messages.js';
import { loadUws, type ClosableApp, type UwsModule } from './uws.js';

/** How long a drained thread waits for the last responses to leave its send buffers. */
const FLUSH_LINGER_MS = 300;

class EventLoopThread implements ThreadState, UpstreamObserver {
  runtime: Runtime;
  readonly metrics = new ThreadMetrics();
  readonly pipeline: InferencePipeline;
  readonly version: string;
  draining = false;
  private readonly uws: UwsModule;
  private readonly port: MessagePortLike;
  private listenSocket: us_listen_socket | null = null;
  private app: ClosableApp | null = null;
  private readonly inflight = new InflightList<RequestContext>();
  private readonly pendingMetrics = new Map<number, (text: string) => void>();
  private nextMetricsId = 1;
  private drainTimer: NodeJS.Timeout | null = null;
  private isDrained = false;
  /** Virtual keys and end users this thread has resolved; null without a control plane. */
  readonly keys: ThreadKeyCache | null;
  readonly forwardAdmin: ((request: AdminRequest) => Promise<AdminResponse>) | null;
  storeConnected: boolean | null;
  private readonly pendingLookups = new Map<number, (record: unknown, error: string | null) => void>();
  private readonly pendingAdmin = new Map<number, (response: AdminResponse) => void>();
  private nextRequestId = 1;
  /** This thread's batch of spend-log rows; null without a control plane (no store to write to). */
  private readonly spend: SpendRecorder | null;

  constructor(uws: UwsModule, init: WorkerInit, port: MessagePortLike) {
    this.uws = uws;
    this.port = port;
    this.version = init.version;
    this.runtime = new Runtime(init.config);
    // Not ready until the main thread says the store is open (it may still be opening).
    this.storeConnected = init.controlPlane ? false : null;
    this.keys = init.controlPlane ? new ThreadKeyCache((kind, key, done) => this.lookup(kind, key, done)) : null;
    this.forwardAdmin = init.controlPlane ? (request) => this.adminCall(request) : null;
    // With disable_spend_logs the main thread stores no row but still adds the spend to the keys,
    // users, teams and end users, as LiteLLM does: then only rows that charge one are recorded
    // (see recordsSpend).
    this.spend = init.controlPlane ? new SpendRecorder((batch) => this.send({ type: 'spend-rows', batch })) : null;
    this.pipeline = new InferencePipeline(
      this,
      (ctx, error) => {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.send({ type: 'internal-error', callId: ctx.callId, message });
      },
      this.keys,
    );
    const redisUrl = resolveRedisUrl(init.config, process.env);
    if (redisUrl !== null) this.openSharedCounters(redisUrl, init.config.limits.redisKeyPrefix);
  }

  /**
   * With Redis configured, this thread's connection to the counters shared by all instances
   * (docs/counters.md). Never waited for: until it is ready, requests follow
   * ailb_settings.redis_failure_mode. Closed at drain.
   */
  private openSharedCounters(url: string, keyPrefix: string): void {
    const log = createLogger(process.env);
    RedisCounterStore.connect({ url, keyPrefix, waitForReady: false, logger: log }).then(
      (store) => {
        if (this.isDrained) {
          void store.close();
          return;
        }
        const shared = new SharedCounters(store, log);
        shared.onFailure = (operation) => this.metrics.redisCounterFailures.labels(operation).inc();
        this.pipeline.limits.shared = shared;
      },
      (error: unknown) => log.error('redis counters: not used', { error: error instanceof Error ? error.message : String(error) }),
    );
  }

  listen(host: string, portNumber: number): void {
    const app = createHttpApp(this.uws, this);
    this.app = app as ClosableApp;
    app.listen(host, portNumber, (socket) => {
      if (socket === false) {
        this.send({ type: 'listen-failed', message: `could not listen on ${host}:${portNumber} (address in use or not available)` });
        this.app?.close();
        this.app = null;
        this.port.close();
        return;
      }
      this.listenSocket = socket;
      this.send({ type: 'listening', port: this.uws.us_socket_local_port(socket as never) });
      // Build the tokenizer tables now rather than on the first request that needs them (tens of
      // ms, once per process: the first thread to get here builds them for all).
      setImmediate(() => {
        for (const encoding of ENCODINGS) loadEncoding(encoding);
      });
    });
  }

  onMessage(message: MainToWorker): void {
    switch (message.type) {
      case 'config': {
        const previous = this.runtime;
        this.runtime = new Runtime(message.config, previous.pools);
        this.runtime.releasePoolsOf(previous);
        this.metrics.configReloads.labels('ok').inc();
        break;
      }
      case 'config-reload-result':
        if (!message.ok) this.metrics.configReloads.labels('invalid').inc();
        break;
      case 'drain':
        this.drain(message.timeoutMs);
        break;
      case 'metrics-snapshot':
        void this.metrics.registry.getMetricsAsJSON().then((snapshot) => {
          this.send({ type: 'metrics-snapshot', id: message.id, snapshot: snapshot as object[] });
        });
        break;
      case 'auth-record': {
        const done = this.pendingLookups.get(message.id);
        this.pendingLookups.delete(message.id);
        done?.(message.record, message.error);
        break;
      }
      case 'auth-invalidate':
        this.keys?.invalidate(message.scope);
        this.send({ type: 'auth-invalidated', id: message.id });
        break;
      case 'admin-response': {
        const done = this.pendingAdmin.get(message.id);
        this.pendingAdmin.delete(message.id);
        done?.(message.response);
        break;
      }
      case 'store-status':
        this.storeConnected = message.connected;
        break;
      case 'metrics-text': {
        const resolve = this.pendingMetrics.get(message.id);
        this.pendingMetrics.delete(message.id);
        resolve?.(message.text);
        break;
      }
    }
  }

  requestStarted(ctx: RequestContext): void {
    this.inflight.add(ctx);
    this.metrics.requestStarted();
  }

  finish(ctx: RequestContext): void {
    if (ctx.finished) return;
    ctx.finished = true;
    this.inflight.delete(ctx);
    this.pipeline.limits.finish(ctx);
    const now = performance.now();
    // One spend-log row per request that reached an upstream (refusals before it cost nothing).
    if (this.spend !== null && ctx.dispatchedAt > 0 && ctx.deployment !== null && this.recordsSpend(ctx)) {
      this.spend.record(ctx, now, ctx.upstreamFailed || ctx.aborted || ctx.status < 200 || ctx.status >= 400);
    }
    const durationS = (now - ctx.startedAt) / 1000;
    this.metrics.requestFinished(ctx.route.name, ctx.model, ctx.aborted ? 499 : ctx.status, durationS, ctx.overheadMs / 1000);
    const usage = ctx.usage;
    if (usage !== null) {
      this.metrics.tokensUsed(ctx.model, 'prompt', usage.source, usage.promptTokens);
      this.metrics.tokensUsed(ctx.model, 'completion', usage.source, usage.completionTokens);
    } else if (ctx.promptTokens > 0 && ctx.status > 0 && ctx.status < 400) {
      this.metrics.tokensUsed(ctx.model, 'prompt', 'counted', ctx.promptTokens);
    }
    if (this.draining && this.inflight.size === 0) this.drained(0);
  }

  /**
   * Whether the main thread needs this request's spend row: always when rows are stored; with
   * disable_spend_logs only when the row charges someone (a virtual key, with its user and team,
   * or an end user) a non-zero cost. A master-key call without `user` then costs the main thread
   * nothing: no message, no decoding, no store transaction.
   */
  private recordsSpend(ctx: RequestContext): boolean {
    if (!this.runtime.config.generalSettings.disableSpendLogs) return true;
    const cost = ctx.costUsd ?? 0;
    return cost !== 0 && (ctx.auth !== null || ctx.endUser !== '');
  }

  upstreamError(ctx: RequestContext, kind: string): void {
    this.metrics.upstreamError(ctx.model, ctx.deployment?.spec.id ?? '', kind);
    if (!ctx.finished) ctx.upstreamFailed = true;
  }

  private lookup(kind: LookupKind, key: string, done: (record: unknown, error: string | null) => void): void {
    const id = this.nextRequestId++;
    this.pendingLookups.set(id, done);
    this.send({ type: 'auth-lookup', id, kind, key });
  }

  private adminCall(request: AdminRequest): Promise<AdminResponse> {
    const id = this.nextRequestId++;
    return new Promise((resolve) => {
      this.pendingAdmin.set(id, resolve);
      this.send({ type: 'admin-request', id, request });
    });
  }

  collectMetrics(): Promise<string> {
    const id = this.nextMetricsId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingMetrics.delete(id);
        reject(new Error('the main thread did not answer within 5 s'));
      }, 5000);
      this.pendingMetrics.set(id, (text) => {
        clearTimeout(timer);
        resolve(text);
      });
      this.send({ type: 'metrics-request', id });
    });
  }

  private drain(timeoutMs: number): void {
    if (this.draining) return;
    this.draining = true;
    if (this.listenSocket !== null) {
      this.uws.us_listen_socket_close(this.listenSocket);
      this.listenSocket = null;
    }
    if (this.inflight.size === 0) {
      this.drained(0);
      return;
    }
    this.drainTimer = setTimeout(() => {
      const abandoned = this.inflight.size;
      for (const ctx of this.inflight.snapshot()) {
        if (ctx.cancelUpstream !== null) ctx.cancelUpstream(new GatewayError('shutting_down', 'The gateway is shutting down; the request was cut at the drain timeout.'));
      }
      this.drained(abandoned);
    }, timeoutMs);
  }

  private drained(abandoned: number): void {
    if (this.isDrained) return;
    this.isDrained = true;
    if (this.drainTimer !== null) {
      clearTimeout(this.drainTimer);
      this.drainTimer = null;
    }
    void this.runtime.close().finally(() => {
      // Responses that just ended may still sit in uWS's send buffers; their connections close
      // themselves once flushed (they were ended with close). Give them a moment, then close
      // every socket uWS still holds (idle keep-alive connections included): a worker that ends
      // while uWS owns open handles aborts the whole process.
      setTimeout(() => {
        this.app?.close();
        this.app = null;
        // Requests cut at the drain timeout have finished by now: their rows go too, before `drained`.
        this.spend?.flush();
        // After the last settles were sent: QUIT waits for their replies, then the socket closes.
        const shared = this.pipeline.limits.shared;
        this.pipeline.limits.shared = null;
        void shared?.close();
        this.send({ type: 'drained', abandoned });
        this.port.close();
      }, FLUSH_LINGER_MS);
    });
  }

  private send(message: WorkerToMain): void {
    this.port.postMessage(message);
  }
}

interface MessagePortLike {
  postMessage(message: WorkerToMain): void;
  on(event: 'message', listener: (message: MainToWorker) => void): void;
  close(): void;
}

if (parentPort !== null) {
  const port = parentPort as unknown as MessagePortLike;
  const init = workerData as WorkerInit;
  try {
    const thread = new EventLoopThread(loadUws(), init, port);
    port.on('message', (message) => thread.onMessage(message));
    thread.listen(init.host, init.port);
  } catch (error) {
    port.postMessage({ type: 'listen-failed', message: (error as Error).message });
    port.close();
  }
}
