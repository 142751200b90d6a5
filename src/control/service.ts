/**
 * The control plane as the main thread runs it: the store, the key directory the event-loop
 * threads resolve keys through, the management-route dispatcher, the key rotation job, store
 * models merged into the served model list, and cache invalidation across threads and instances.
 *
 * Lifecycle: `ControlService.open()` opens the store (running migrations) before the gateway
 * starts, and makes the spend-log writer; `attach()` connects it to the running gateway's
 * threads; `close()` stops the jobs, flushes the spend-log writer, then closes the store, after
 * the threads have drained (and posted their last spend rows).
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { GatewayConfig, ModelDeployment } from '../config/types.js';
import type { Logger } from '../log.js';
import { SpendLogWriter } from '../spend/log-writer.js';
import { decodeSpendRows, type SpendRowBatch } from '../spend/spend-recorder.js';
import { SpendLogMetrics } from '../spend/spend-metrics.js';
import { storeSpendSink } from '../spend/store-sink.js';
import { openStore } from '../store/open.js';
import type { SpendLogRecord, Store, StoreOptions } from '../store/types.js';
import { ControlPlane } from './control-plane.js';
import { ALL_ROUTES } from './handlers/index.js';
import { KeyDirectory } from './key-directory.js';
import { startRotationJob } from './rotation.js';
import { resolveRedisUrl } from '../config/redis.js';
import { openRedisEvents, type RedisEvents } from './redis-events.js';
import type { SecretBox } from './secrets.js';
import { loadStoreDeployments, mergeModelLists, secretBoxFor } from './store-models.js';
import type { AdminRequest, AdminResponse, InvalidationScope } from './types.js';

/** What the control service needs from the running gateway. */
export interface GatewayHooks {
  /** Drops the scope from every event-loop thread's cache; resolves when each has done so. */
  invalidateThreads(scope: InvalidationScope): Promise<void>;
  /** Serves `config` (the file's models merged with the store's) from now on. */
  applyConfig(config: GatewayConfig): void;
  /** Tells the threads whether the store answers (for /health/readiness). */
  storeStatus(connected: boolean): void;
}

export interface ControlServiceOptions {
  readonly config: GatewayConfig;
  /** AILB_DATA_DIR: the PGlite database lives in its `pglite` folder. */
  readonly dataDir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly log: Logger;
  /**
   * PostgreSQL URL, or null for PGlite; default general_settings.database_url (which falls back to
   * DATABASE_URL when the file sets none).
   */
  readonly databaseUrl?: string | null;
  /** Tests: a schema of their own (PostgreSQL) and `memory://` PGlite. */
  readonly schema?: string;
  readonly pgliteDir?: string;
  /** Tests: a PGlite tarball new databases start from (see StoreOptions.pgliteInitialDataDir). */
  readonly pgliteInitialDataDir?: string;
  /** How often the rotation job looks for keys due, ms (default 60 s). */
  readonly rotationIntervalMs?: number;
}

interface EventPayload {
  readonly origin: string;
  readonly scope: InvalidationScope;
}

/** How often the store is pinged for /health/readiness, ms. */
const HEALTH_INTERVAL_MS = 5_000;

export class ControlService {
  readonly store: Store;
  readonly directory: KeyDirectory;
  readonly controlPlane: ControlPlane;
  /** Identifies this instance's own notifications, which it has already applied. */
  readonly instanceId = randomUUID();
  private fileConfig: GatewayConfig;
  private storeDeployments: readonly ModelDeployment[] = [];
  private readonly secretBox: SecretBox | null;
  private readonly log: Logger;
  private hooks: GatewayHooks | null = null;
  private readonly stoppers: Array<() => Promise<void> | void> = [];
  private readonly rotationIntervalMs: number;
  private readonly env: NodeJS.ProcessEnv;
  /** Redis pub/sub for events between instances, when Redis is configured (besides NOTIFY). */
  private redisEvents: RedisEvents | null = null;
  private readonly schema: string;
  /** Writes the threads' spend-log rows and the spend they charge (docs/spend-logs.md). */
  readonly spendWriter: SpendLogWriter;
  readonly spendMetrics = new SpendLogMetrics();
  private readonly enqueueSpendRow = (row: SpendLogRecord): void => this.spendWriter.enqueue(row);

  private constructor(store: Store, options: ControlServiceOptions) {
    this.store = store;
    this.fileConfig = options.config;
    this.log = options.log;
    this.env = options.env;
    this.schema = options.schema ?? (options.env.AILB_DATABASE_SCHEMA || 'public');
    this.rotationIntervalMs = options.rotationIntervalMs ?? 60_000;
    this.secretBox = makeSecretBox(options);
    this.directory = new KeyDirectory(store);
    this.controlPlane = new ControlPlane({
      store,
      config: () => this.effectiveConfig(),
      log: options.log,
      routes: ALL_ROUTES,
      invalidate: (scope) => this.invalidate(scope),
      reloadModels: () => this.reloadModels(),
    });
    const logRows = () => !this.fileConfig.generalSettings.disableSpendLogs;
    const batchWriteAt = options.config.generalSettings.raw.proxy_batch_write_at;
    this.spendWriter = new SpendLogWriter(storeSpendSink(store, logRows), {
      spillDir: path.join(options.dataDir, 'spend-logs-spill'),
      proxyBatchWriteAt: typeof batchWriteAt === 'number' && batchWriteAt > 0 ? batchWriteAt : undefined,
      hooks: this.spendMetrics.hooks(logRows, options.log),
    });
  }

  static async open(options: ControlServiceOptions): Promise<ControlService> {
    const databaseUrl = options.databaseUrl !== undefined ? options.databaseUrl : options.config.generalSettings.databaseUrl;
    const poolLimit = options.config.generalSettings.raw.database_connection_pool_limit;
    const storeOptions: StoreOptions = {
      databaseUrl: databaseUrl || null,
      dataDir: options.pgliteDir ?? path.join(options.dataDir, 'pglite'),
      schema: options.schema ?? (options.env.AILB_DATABASE_SCHEMA || undefined),
      poolSize: typeof poolLimit === 'number' ? poolLimit : undefined,
      onNotice: (line) => options.log.info(line),
      pgliteInitialDataDir: options.pgliteInitialDataDir,
    };
    const store = await openStore(storeOptions);
    const service = new ControlService(store, options);
    await service.loadModels();
    return service;
  }

  /** The file's config with the store's models merged in: what the gateway serves. */
  effectiveConfig(): GatewayConfig {
    return mergeModelLists(this.fileConfig, this.storeDeployments);
  }

  /** Connects to the running gateway: listens for other instances' changes, starts the jobs. */
  async attach(hooks: GatewayHooks): Promise<void> {
    this.hooks = hooks;
    const unlisten = await this.store.listen((payload) => this.onEvent(payload));
    this.stoppers.push(unlisten);
    const redisUrl = resolveRedisUrl(this.fileConfig, this.env);
    if (redisUrl !== null) {
      const events = openRedisEvents(redisUrl, `ailb:events:${this.schema}`, this.log, (payload) => this.onEvent(payload));
      this.redisEvents = events;
      this.stoppers.push(() => events.close());
    }
    const rotation = startRotationJob({
      store: this.store,
      now: () => new Date(),
      intervalMs: this.rotationIntervalMs,
      log: this.log,
      invalidate: (scope: InvalidationScope) => this.invalidate(scope),
    });
    this.stoppers.push(() => rotation.stop());
    let healthy = true;
    const timer = setInterval(() => {
      this.store.ping().then(
        () => {
          if (!healthy) this.log.info('store answers again');
          healthy = true;
          hooks.storeStatus(true);
        },
        (error: Error) => {
          if (healthy) this.log.error('store does not answer', { error: error.message });
          healthy = false;
          hooks.storeStatus(false);
        },
      );
    }, HEALTH_INTERVAL_MS);
    timer.unref();
    this.stoppers.push(() => clearInterval(timer));
  }

  /** The config file changed: keep serving the store's models alongside the new file's. */
  setFileConfig(config: GatewayConfig): GatewayConfig {
    this.fileConfig = config;
    return this.effectiveConfig();
  }

  handle(request: AdminRequest): Promise<AdminResponse> {
    return this.controlPlane.handle(request);
  }

  /**
   * A batch of spend-log rows from an event-loop thread (src/spend/spend-recorder.ts): each row
   * goes to the writer, which never awaits or throws. Rows posted while the store was still
   * opening were held by the gateway until this service existed; none is dropped.
   */
  recordSpend(batch: SpendRowBatch): void {
    this.spendMetrics.queued(decodeSpendRows(batch, this.enqueueSpendRow));
  }

  /** This service's metrics (spend-log rows), for /metrics. */
  metricsSnapshot(): Promise<object[]> {
    return this.spendMetrics.snapshot();
  }

  /** This instance's mutation: every thread here, then every other instance through the store. */
  async invalidate(scope: InvalidationScope): Promise<void> {
    this.directory.invalidate(scope);
    await this.hooks?.invalidateThreads(scope);
    await this.broadcast({ origin: this.instanceId, scope });
  }

  /**
   * Tells every other instance, through the store's channel and Redis when configured (an instance
   * that hears it twice applies it twice, which is harmless: invalidation is idempotent).
   */
  private async broadcast(event: EventPayload | { origin: string; scope: { kind: 'models' } }): Promise<void> {
    const payload = JSON.stringify(event);
    const roads: Promise<void>[] = [
      this.store.notify(payload).catch((error: Error) => this.log.error('could not notify other instances through the store', { error: error.message })),
    ];
    const redis = this.redisEvents;
    if (redis !== null) {
      roads.push(redis.publish(payload).catch((error: Error) => this.log.error('could not notify other instances through Redis', { error: error.message })));
    }
    await Promise.all(roads);
  }

  async close(): Promise<void> {
    for (const stop of this.stoppers.splice(0)) await stop();
    // Writes what is queued (up to its deadline; the rest goes to spill files for the next start).
    await this.spendWriter.close();
    await this.store.close();
  }

  private onEvent(payload: string): void {
    let event: EventPayload;
    try {
      event = JSON.parse(payload) as EventPayload;
    } catch {
      this.log.warn('ignored a malformed store notification', { payload: payload.slice(0, 200) });
      return;
    }
    if (event.origin === this.instanceId) return;
    if ((event.scope as { kind: string }).kind === 'models') {
      void this.reloadModels(false);
      return;
    }
    this.directory.invalidate(event.scope);
    void this.hooks?.invalidateThreads(event.scope);
  }

  private async loadModels(): Promise<void> {
    this.storeDeployments =
      this.secretBox === null ? [] : await loadStoreDeployments(this.store, this.secretBox, { log: this.log, config: this.fileConfig, env: this.env });
  }

  /** A store model changed: rebuild the served list here and (when `broadcast`) on every instance. */
  private async reloadModels(broadcast = true): Promise<void> {
    await this.loadModels();
    this.hooks?.applyConfig(this.effectiveConfig());
    if (broadcast) await this.broadcast({ origin: this.instanceId, scope: { kind: 'models' } });
  }
}

function makeSecretBox(options: ControlServiceOptions): SecretBox | null {
  try {
    return secretBoxFor(options.config, options.env);
  } catch (error) {
    options.log.warn(`stored models are off: ${(error as Error).message}`);
    return null;
  }
}
