/**
 * The main thread's side of the gateway: starts the event-loop threads, hands them config
 * (initially and on every reload), answers their /metrics requests by merging every thread's
 * metrics, passes their spend-log batches to the control plane's writer, and shuts them down
 * gracefully (threads drain and post their last spend rows before the control plane closes).
 */
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import type { GatewayConfig } from '../config/types.js';
import type { ControlService } from '../control/service.js';
import type { InvalidationScope } from '../control/types.js';
import type { Logger } from '../log.js';
import { forwardBudgetReports } from '../limits/budget-reports.js';
import { aggregateMetrics } from '../observability/metrics.js';
import { BudgetAlerts } from '../spend/alerts.js';
import type { MainToWorker, WorkerInit, WorkerToMain } from './messages.js';
import { applyGatewayV8Flags } from './v8-flags.js';

export interface GatewayOptions {
  readonly config: GatewayConfig;
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly threads: number;
  readonly version: string;
  readonly log: Logger;
  /**
   * The control plane (store, virtual keys, management routes); null runs on the master key
   * alone. A promise lets the threads start while the store opens (both take hundreds of ms).
   */
  readonly control?: ControlService | Promise<ControlService> | null;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

class ThreadHandle {
  readonly worker: Worker;
  readonly index: number;
  readonly exited: Promise<number>;
  drained: Promise<number>;
  private resolveDrained: (abandoned: number) => void = () => {};

  constructor(worker: Worker, index: number) {
    this.worker = worker;
    this.index = index;
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    this.drained = new Promise((resolve) => {
      this.resolveDrained = resolve;
    });
    // A thread that dies without draining counts as drained, so shutdown never waits forever.
    void this.exited.then(() => this.resolveDrained(0));
  }

  markDrained(abandoned: number): void {
    this.resolveDrained(abandoned);
  }

  send(message: MainToWorker): void {
    this.worker.postMessage(message);
  }
}

export class Gateway {
  readonly port: number;
  private config: GatewayConfig;
  private readonly threads: ThreadHandle[];
  private readonly log: Logger;
  private readonly snapshotWaiters = new Map<number, (snapshot: object[]) => void>();
  private nextSnapshotId = 1;
  readonly control: ControlService | null;
  private readonly invalidationWaiters = new Map<number, { readonly thread: ThreadHandle; readonly resolve: () => void }>();
  private nextInvalidationId = 1;
  private stopping: Promise<void> | null = null;
  /**
   * Budget alerts (soft budget, 50/80/100%) for the whole process: the threads' limits stages
   * post a budget's state when a settle reaches a new threshold (src/limits/budget-reports.ts);
   * this sends the webhooks, off every request's path.
   */
  private readonly alerts: BudgetAlerts;
  private readonly stopBudgetReports: () => void;

  private constructor(config: GatewayConfig, port: number, threads: ThreadHandle[], log: Logger, control: ControlService | null) {
    this.config = config;
    this.control = control;
    this.port = port;
    this.threads = threads;
    this.log = log;
    this.alerts = new BudgetAlerts(config.alerting, { log });
    this.stopBudgetReports = forwardBudgetReports(this.alerts);
    for (const thread of threads) {
      thread.worker.on('message', (m: WorkerToMain) => this.onMessage(thread, m));
      // A thread that has exited has no cache left to clear: release whoever waits on it.
      void thread.exited.then(() => {
        for (const [id, waiter] of this.invalidationWaiters) {
          if (waiter.thread !== thread) continue;
          this.invalidationWaiters.delete(id);
          waiter.resolve();
        }
      });
    }
  }

  /** Starts every thread and resolves once all listen; rejects (after stopping them) if one cannot. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    applyGatewayV8Flags();
    // uWS threads share a port through SO_REUSEPORT, which only works on a port number known
    // up front: port 0 is resolved to a free port first. Threads then start in parallel.
    const port = options.port === 0 ? await findFreePort(options.host) : options.port;
    const controlPending = options.control === undefined || options.control === null ? null : Promise.resolve(options.control);
    const starts = Array.from({ length: options.threads }, (_, index) => startThread(options, index, port, controlPending !== null));
    const [results, controlResult] = await Promise.all([
      Promise.allSettled(starts),
      controlPending === null ? null : controlPending.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined || (controlResult !== null && !controlResult.ok)) {
      await Promise.all(
        results.map((r) => (r.status === 'fulfilled' ? stopStartedThread(r.value.handle) : Promise.resolve())),
      );
      if (controlResult?.ok) await controlResult.value.close();
      throw failed !== undefined ? failed.reason : (controlResult as { error: unknown }).error;
    }
    const control = controlResult === null ? null : (controlResult as { value: ControlService }).value;
    const config = control === null ? options.config : control.setFileConfig(options.config);
    const started = results.map((r) => (r as PromiseFulfilledResult<StartedThread>).value);
    const threads = started.map((s) => s.handle);
    const gateway = new Gateway(config, port, threads, options.log, control);
    // Messages a thread sent before the gateway took it over (a request that came early).
    for (const thread of started) for (const m of thread.takeOver()) gateway.onMessage(thread.handle, m);
    if (control !== null) {
      // The threads started on the file's models; add the store's before saying ready.
      if (config.modelList.length !== options.config.modelList.length) gateway.serve(config);
      await control.attach({
        invalidateThreads: (scope) => gateway.invalidateThreads(scope),
        applyConfig: (next) => gateway.serve(next),
        storeStatus: (connected) => gateway.storeStatus(connected),
      });
      gateway.storeStatus(true);
    }
    return gateway;
  }

  /**
   * A new config file: swaps the config in every thread (with the store's models merged in);
   * requests in flight finish under the one they started with.
   */
  reload(config: GatewayConfig): void {
    this.serve(this.control === null ? config : this.control.setFileConfig(config));
  }

  private storeStatus(connected: boolean): void {
    for (const thread of this.threads) thread.send({ type: 'store-status', connected });
  }

  private serve(config: GatewayConfig): void {
    this.config = config;
    this.alerts.reconfigure(config.alerting);
    for (const thread of this.threads) thread.send({ type: 'config', config });
  }

  /** Drops `scope` from every thread's key cache; resolves once every live thread confirmed. */
  invalidateThreads(scope: InvalidationScope): Promise<void> {
    return Promise.all(
      this.threads.map(
        (thread) =>
          new Promise<void>((resolve) => {
            const id = this.nextInvalidationId++;
            this.invalidationWaiters.set(id, { thread, resolve });
            thread.send({ type: 'auth-invalidate', id, scope });
          }),
      ),
    ).then(() => undefined);
  }

  /** Records a reload that was refused (invalid file), for the reload metric. */
  reloadRejected(): void {
    this.threads[0]?.send({ type: 'config-reload-result', ok: false });
  }

  get currentConfig(): GatewayConfig {
    return this.config;
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to `drainTimeoutMs`, then resolves once
   * every thread has ended. Returns how many requests had to be abandoned.
   */
  stop(drainTimeoutMs: number = this.config.ailbSettings.drainTimeoutS * 1000): Promise<void> {
    if (this.stopping !== null) return this.stopping;
    this.stopping = (async () => {
      for (const thread of this.threads) thread.send({ type: 'drain', timeoutMs: drainTimeoutMs });
      const abandoned = await Promise.all(this.threads.map((t) => t.drained));
      const total = abandoned.reduce((a, b) => a + b, 0);
      if (total > 0) this.log.warn('drain timeout passed; requests still in flight were cut', { abandoned: total });
      // Idle keep-alive connections close within uWS's idle timeout; a thread still holding one
      // after that is ended explicitly (its uWS handles are already idle by then).
      const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 12_000).unref());
      for (const thread of this.threads) {
        const outcome = await Promise.race([thread.exited, grace]);
        if (outcome === 'timeout') await thread.worker.terminate();
      }
      // Every thread has settled its last request: send what alerts are queued (bounded wait).
      this.stopBudgetReports();
      await this.alerts.close(2000);
      if (this.control !== null) await this.control.close();
    })();
    return this.stopping;
  }

  private onMessage(thread: ThreadHandle, message: WorkerToMain): void {
    switch (message.type) {
      case 'metrics-request':
        void this.collectText().then(
          (text) => thread.send({ type: 'metrics-text', id: message.id, text }),
          (error: Error) => thread.send({ type: 'metrics-text', id: message.id, text: `# metrics unavailable: ${error.message}\n` }),
        );
        break;
      case 'metrics-snapshot': {
        const waiter = this.snapshotWaiters.get(message.id);
        this.snapshotWaiters.delete(message.id);
        waiter?.(message.snapshot);
        break;
      }
      case 'drained':
        thread.markDrained(message.abandoned);
        break;
      case 'internal-error':
        this.log.error('internal error while serving a request', { call_id: message.callId, thread: thread.index, error: message.message });
        break;
      case 'admin-request': {
        const control = this.control;
        if (control === null) break;
        void control.handle(message.request).then((response) => thread.send({ type: 'admin-response', id: message.id, response }));
        break;
      }
      case 'auth-lookup': {
        const control = this.control;
        if (control === null) {
          thread.send({ type: 'auth-record', id: message.id, record: null, error: 'no control plane' });
          break;
        }
        const lookup = message.kind === 'key' ? control.directory.resolveKey(message.key) : control.directory.resolveCustomer(message.key);
        lookup.then(
          (record) => thread.send({ type: 'auth-record', id: message.id, record, error: null }),
          (error: Error) => {
            this.log.error('key lookup failed', { error: error.message });
            thread.send({ type: 'auth-record', id: message.id, record: null, error: error.message });
          },
        );
        break;
      }
      case 'auth-invalidated': {
        const waiter = this.invalidationWaiters.get(message.id);
        this.invalidationWaiters.delete(message.id);
        waiter?.resolve();
        break;
      }
      case 'spend-rows':
        // Threads record only with a control plane; a batch that came before the store was open
        // was held in the thread's takeOver buffer until now.
        this.control?.recordSpend(message.batch);
        break;
      case 'listening':
      case 'listen-failed':
        break;
    }
  }

  /** The Prometheus text of every thread's metrics, merged. */
  async collectText(): Promise<string> {
    const snapshots = await Promise.all(
      this.threads.map(
        (thread) =>
          new Promise<object[]>((resolve) => {
            const id = this.nextSnapshotId++;
            const timer = setTimeout(() => {
              this.snapshotWaiters.delete(id);
              resolve([]);
            }, 2000);
            this.snapshotWaiters.set(id, (snapshot) => {
              clearTimeout(timer);
              resolve(snapshot);
            });
            thread.send({ type: 'metrics-snapshot', id });
          }),
      ),
    );
    if (this.control !== null) snapshots.push(await this.control.metricsSnapshot());
    return aggregateMetrics(snapshots);
  }
}

function findFreePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface StartedThread {
  readonly handle: ThreadHandle;
  /** Stops buffering the thread's messages and returns those that arrived before the Gateway took over. */
  takeOver(): WorkerToMain[];
}

/** Drains a thread that started while a sibling failed to; it has no requests yet. */
async function stopStartedThread(handle: ThreadHandle): Promise<void> {
  handle.send({ type: 'drain', timeoutMs: 0 });
  await handle.exited;
}

function startThread(options: GatewayOptions, index: number, port: number, controlPlane: boolean): Promise<StartedThread> {
  const init: WorkerInit = { config: options.config, host: options.host, port, threadIndex: index, version: options.version, controlPlane };
  const worker = new Worker(WORKER_URL, { workerData: init, name: `ailb-loop-${index}` });
  const handle = new ThreadHandle(worker, index);
  return new Promise((resolve, reject) => {
    const buffered: WorkerToMain[] = [];
    const buffer = (message: WorkerToMain) => buffered.push(message);
    const takeOver = () => {
      worker.off('message', buffer);
      return buffered.splice(0);
    };
    const onMessage = (message: WorkerToMain) => {
      if (message.type === 'listening') {
        worker.off('message', onMessage);
        worker.off('error', onError);
        // Keep every later message until the Gateway listens itself (the store may still be opening).
        worker.on('message', buffer);
        resolve({ handle, takeOver });
      } else if (message.type === 'listen-failed') {
        worker.off('message', onMessage);
        worker.off('error', onError);
        reject(new Error(`event-loop thread ${index}: ${message.message}`));
      } else {
        buffered.push(message);
      }
    };
    const onError = (error: Error) => reject(new Error(`event-loop thread ${index} failed to start: ${error.message}`));
    worker.on('message', onMessage);
    worker.once('error', onError);
  });
}
