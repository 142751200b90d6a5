/**
 * SpendLogWriter: takes one spend-log row per request off the hot path and writes them to the
 * store in batches (docs/spend-logs.md).
 *
 * - `enqueue(row)` is synchronous and O(1): it appends to the current batch and never awaits or
 *   throws. A batch is sealed when it holds `batchSize` rows or `flushIntervalMs` after its first
 *   row, whichever comes first. Up to `maxInFlight` batches are written at once (4 on PostgreSQL,
 *   each on its own pool connection; 1 on PGlite, which has a single connection), one COPY
 *   each (src/store/spend-logs.ts), taken oldest first.
 * - When the store fails, batches stay in memory and are retried with backoff: a failed batch goes
 *   back to the front of the queue in its original order, and only one attempt at a time probes
 *   the store until one succeeds. Past
 *   `maxQueuedRows` the oldest batches move to append-only spill files (fsync'd per batch), so no
 *   row is dropped. Once an insert succeeds again, memory drains first, then the spill files,
 *   each removed only after all its rows are committed.
 * - Retries are idempotent: rows are keyed by (request_id, startTime) and an insert skips rows
 *   already stored, so a batch whose commit was ambiguous, or that was both committed and
 *   spilled at close, counts once.
 * - Rows the database refuses as data (SQLSTATE classes 22 and 23) are isolated by halving the
 *   batch and kept in the spill directory's rejects file; they never block the queue.
 *
 * A plain class over a store: it runs wherever it is made. The gateway makes one on the main
 * thread (src/control/service.ts), fed by the event-loop threads' batches (src/spend/spend-recorder.ts).
 */
import type { SpendLogRecord, SpendLogRepository, StoreBackendKind } from '../store/types.js';
import { dayOfIso, utcDay } from '../store/spend-logs.js';
import { SpillFiles } from './spill-files.js';

/** What the writer needs of a Store (a Store is one). */
export interface SpendLogSink {
  readonly spendLogs: Pick<SpendLogRepository, 'insertBatch' | 'ensurePartitions'>;
  /** Which database: sets the default of `maxInFlight` (a Store has it). */
  readonly backend?: StoreBackendKind;
  /**
   * Writes one batch, with whatever else must commit with it (the per-entity spend the new rows
   * charge: src/spend/store-sink.ts), and returns how many rows were new. When present the writer
   * calls it instead of `spendLogs.insertBatch`. It must be atomic (all or nothing) and
   * idempotent like insertBatch: rows already stored are skipped and change nothing, since the
   * writer retries a batch whose outcome it does not know, and halves a batch that fails with a
   * data error.
   */
  recordBatch?(rows: readonly SpendLogRecord[]): Promise<number>;
}

/** Counters for metrics; each is optional and must not throw (errors from hooks are ignored). */
export interface SpendLogWriterHooks {
  /** Rows accepted by enqueue (called once per row: keep it cheap). */
  queued?(rows: number): void;
  /** A batch committed: its rows, how many were new (the rest were already stored), seconds taken. */
  flushed?(rows: number, inserted: number, seconds: number): void;
  /** Rows moved from memory to a spill file. */
  spilled?(rows: number): void;
  /** A batch insert failed and will be retried (rows = 0: a partition or spill-file operation failed). */
  failed?(rows: number, error: unknown): void;
  /** Rows the database refused as data, or unreadable spill lines, kept in the rejects file. */
  rejected?(rows: number, error: unknown): void;
}

export interface SpendLogWriterOptions {
  /** Directory for spill files (e.g. `<AILB_DATA_DIR>/spend-logs-spill`). */
  readonly spillDir: string;
  /** Rows per batch; default 1000. */
  readonly batchSize?: number;
  /** Batches written at once; default 4 on PostgreSQL, 1 on PGlite (one connection). */
  readonly maxInFlight?: number;
  /** Longest a row waits before its batch is written, in ms; default 1000. */
  readonly flushIntervalMs?: number;
  /** LiteLLM's general_settings.proxy_batch_write_at (seconds); sets flushIntervalMs when given. */
  readonly proxyBatchWriteAt?: number;
  /** Rows kept in memory before the oldest batches spill to disk; default 100 000. */
  readonly maxQueuedRows?: number;
  /** Rows per spill file before a new one is started; default 10 000. */
  readonly spillFileRows?: number;
  /** Backoff between failed attempts, doubling from min to max; defaults 100 ms and 5000 ms. */
  readonly retryMinMs?: number;
  readonly retryMaxMs?: number;
  /**
   * Partitions are made on demand for row days from this many days back to 2 days ahead
   * (UTC); rows outside that window go to the default partition. Default 31.
   */
  readonly partitionDaysBack?: number;
  readonly hooks?: SpendLogWriterHooks;
  /** Clock, for tests. */
  readonly now?: () => number;
}

export interface SpendLogWriterStats {
  /** Rows in memory now (queued, in flight excluded). */
  readonly queuedRows: number;
  /** Batches being written now (at most maxInFlight). */
  readonly inFlightBatches: number;
  readonly enqueuedRows: number;
  /** Rows committed (new or already stored). */
  readonly flushedRows: number;
  readonly flushedBatches: number;
  readonly failedBatches: number;
  readonly spilledRows: number;
  readonly spilledBatches: number;
  readonly rejectedRows: number;
  /** False between a failed attempt and the next successful one. */
  readonly healthy: boolean;
}

const DAY_MS = 86_400_000;
const DAYS_AHEAD = 2;
const SPILL_RETRY_MS = 1000;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < 1) throw new RangeError(`spend log writer: ${name} must be an integer ≥ 1, got ${String(value)}`);
  return result;
}

/** SQLSTATE 22xxx (data exception) or 23xxx (integrity constraint): the rows' fault, not the store's. */
function isDataError(error: unknown): boolean {
  if (error instanceof TypeError) return true; // a row JSON cannot express (BigInt, cycle)
  for (let e: unknown = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Rows for one attempt: a batch from memory (with its place in the queue), or a chunk of the spill file being recovered. */
interface Work {
  readonly rows: SpendLogRecord[];
  /** Set for a batch from memory: its sealing order, to put it back in place after a failure. */
  readonly seq?: number;
  /** Set for a chunk of a spill file. */
  readonly recovery?: Recovery;
}

/** A spill file being written back: chunks are handed out from `offset`; the file is removed once none is left or outstanding. */
interface Recovery {
  readonly file: string;
  readonly rows: SpendLogRecord[];
  /** Next row not yet handed out. */
  offset: number;
  /** Chunks handed out and not yet committed. */
  outstanding: number;
  /** Chunks whose attempt failed, to hand out again. */
  readonly retry: SpendLogRecord[][];
}

export class SpendLogWriter {
  private readonly batchSize: number;
  private readonly maxInFlight: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueuedRows: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly partitionDaysBack: number;
  private readonly hooks: SpendLogWriterHooks;
  private readonly now: () => number;
  private readonly spill: SpillFiles;

  /** Sealed batches, oldest first (ascending seq), then the batch being filled. */
  private readonly batches: SpendLogRecord[][] = [];
  /** Sealing order of each batch in memory, so a failed batch goes back to its place. */
  private readonly seqOf = new WeakMap<SpendLogRecord[], number>();
  private nextSeq = 0;
  private current: SpendLogRecord[] = [];
  private queued = 0;
  private timer: NodeJS.Timeout | null = null;

  /** Flush workers running; each has at most one batch in flight. */
  private workers = 0;
  /** Resolved whenever a worker stops or an attempt fails. */
  private changeWaiters: (() => void)[] = [];
  private spilling: Promise<void> | null = null;
  private spillRetryAt = 0;
  private readonly inflight = new Set<Work>();
  private recovery: Recovery | null = null;
  /** One worker at a time looks for, reads and removes spill files. */
  private recoveryLock: Promise<void> = Promise.resolve();
  /** Spill files may exist (from this run or an earlier one) until a look finds none. */
  private spillPending = true;
  private readonly knownDays = new Set<string>();

  private healthy = true;
  private backoffMs: number;
  private readonly sleepers = new Set<() => void>();
  private closing = false;
  private stopped = false;
  private closed: Promise<void> | null = null;

  private enqueued = 0;
  private flushedRows = 0;
  private flushedBatches = 0;
  private failedBatches = 0;
  private spilledRows = 0;
  private spilledBatches = 0;
  private rejectedRows = 0;

  constructor(
    private readonly sink: SpendLogSink,
    options: SpendLogWriterOptions,
  ) {
    this.batchSize = positiveInteger('batchSize', options.batchSize, 1000);
    this.maxInFlight = positiveInteger('maxInFlight', options.maxInFlight, sink.backend === 'pglite' ? 1 : 4);
    const fromLiteLLM = options.proxyBatchWriteAt === undefined ? undefined : Math.round(options.proxyBatchWriteAt * 1000);
    this.flushIntervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs ?? fromLiteLLM, 1000);
    this.maxQueuedRows = positiveInteger('maxQueuedRows', options.maxQueuedRows, 100_000);
    if (this.maxQueuedRows < this.batchSize) {
      throw new RangeError(`spend log writer: maxQueuedRows (${this.maxQueuedRows}) must be at least batchSize (${this.batchSize})`);
    }
    this.retryMinMs = positiveInteger('retryMinMs', options.retryMinMs, 100);
    this.retryMaxMs = Math.max(this.retryMinMs, positiveInteger('retryMaxMs', options.retryMaxMs, 5000));
    this.partitionDaysBack = options.partitionDaysBack ?? 31;
    this.hooks = options.hooks ?? {};
    this.now = options.now ?? Date.now;
    this.backoffMs = this.retryMinMs;
    this.spill = new SpillFiles(options.spillDir, positiveInteger('spillFileRows', options.spillFileRows, 10_000));
    // Spill files left by an earlier run are written back as soon as the store answers.
    setImmediate(() => this.kick());
  }

  /** Queues one row; never awaits, never throws. After close() the row goes straight to a spill file. */
  enqueue(row: SpendLogRecord): void {
    try {
      this.enqueued++;
      if (this.closing) {
        this.spillAfterClose([row]);
        this.hooks.queued?.(1);
        return;
      }
      this.current.push(row);
      this.queued++;
      if (this.current.length >= this.batchSize) {
        this.seal();
        this.kick();
      } else if (this.timer === null) {
        this.timer = setTimeout(() => {
          this.timer = null;
          this.seal();
          this.kick();
        }, this.flushIntervalMs);
        this.timer.unref();
      }
      if (this.queued > this.maxQueuedRows) this.startSpill();
      this.hooks.queued?.(1);
    } catch {
      // Only the hook could throw here, after the row is queued.
    }
  }

  stats(): SpendLogWriterStats {
    return {
      queuedRows: this.queued,
      inFlightBatches: this.inflight.size,
      enqueuedRows: this.enqueued,
      flushedRows: this.flushedRows,
      flushedBatches: this.flushedBatches,
      failedBatches: this.failedBatches,
      spilledRows: this.spilledRows,
      spilledBatches: this.spilledBatches,
      rejectedRows: this.rejectedRows,
      healthy: this.healthy,
    };
  }

  /** Writes everything queued now (sealing the partial batch); resolves when memory is drained or an attempt fails. */
  async flush(): Promise<void> {
    this.seal();
    this.kick();
    while (this.workers > 0) {
      await this.changed();
      if (!this.healthy) return;
    }
  }

  /**
   * Stops taking rows into memory, writes what it can for up to `deadlineMs`, then spills the
   * rest (the batches in flight included: they may commit too, which the retry skips) and closes
   * the spill file. Spill files are left for the next start. Does not close the store. Idempotent.
   */
  close(deadlineMs = 5000): Promise<void> {
    this.closed ??= this.shutDown(deadlineMs);
    return this.closed;
  }

  private async shutDown(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.seal();
    this.backoffMs = this.retryMinMs;
    this.wakeAll();
    this.kick();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)));
    await Promise.race([this.drained(), deadline]);
    clearTimeout(timer);
    this.stopped = true;
    this.wakeAll();
    await this.spilling;
    const rest = this.batches.splice(0);
    // Batches still in flight go to disk too, in their queue order, ahead of the queued ones.
    const flying = [...this.inflight].filter((work) => work.seq !== undefined).sort((a, b) => a.seq! - b.seq!);
    rest.unshift(...flying.map((work) => [...work.rows]));
    for (const batch of rest) await this.spillBatch(batch, true);
    this.queued = 0;
    await this.spill.close();
  }

  /** Resolves when the workers have nothing left in memory. */
  private async drained(): Promise<void> {
    while (!this.stopped && (this.workers > 0 || this.batches.length > 0)) {
      if (this.workers === 0) this.kick();
      if (this.workers === 0) return; // nothing could start
      await this.changed();
    }
  }

  /** Resolves at the next worker stop or failed attempt. */
  private changed(): Promise<void> {
    return new Promise((resolve) => this.changeWaiters.push(resolve));
  }

  private notify(): void {
    const waiters = this.changeWaiters;
    this.changeWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private call<A extends unknown[]>(hook: ((...args: A) => void) | undefined, ...args: A): void {
    if (hook === undefined) return;
    try {
      hook.apply(this.hooks, args);
    } catch {
      // A metrics hook must not break the writer.
    }
  }

  private seal(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.current.length === 0) return;
    this.seqOf.set(this.current, this.nextSeq++);
    this.batches.push(this.current);
    this.current = [];
  }

  /** Puts a failed batch back at the front of the queue, in sealing order among the batches put back. */
  private requeue(rows: SpendLogRecord[], seq: number): void {
    let i = 0;
    while (i < this.batches.length && (this.seqOf.get(this.batches[i]) ?? Infinity) < seq) i++;
    this.batches.splice(i, 0, rows);
    this.queued += rows.length;
  }

  /** Whether a new worker would find something to write. */
  private hasWork(): boolean {
    if (this.batches.length > 0) return true;
    if (this.closing) return false;
    const r = this.recovery;
    if (r === null) return this.spillPending;
    return r.retry.length > 0 || r.offset < r.rows.length || r.outstanding === 0;
  }

  /** Starts workers up to maxInFlight (one while the store is failing) while there is work. */
  private kick(): void {
    const limit = this.healthy ? this.maxInFlight : 1;
    while (this.workers < limit && !this.stopped && this.hasWork()) {
      this.workers++;
      let counted = true;
      const retire = (): boolean => {
        // While the store fails, one worker probes it; the others stop until an attempt succeeds.
        if (this.healthy || this.workers <= 1) return false;
        counted = false;
        this.workers--;
        return true;
      };
      // worker() takes its first memory batch synchronously, so hasWork() sees it gone.
      void this.worker(retire)
        .catch(() => undefined)
        .finally(() => {
          if (counted) this.workers--;
          if (!this.stopped && this.healthy) this.kick();
          this.notify();
        });
    }
  }

  /** The next rows to write: memory first, then spill files (not while closing); null when none. */
  private async nextWork(): Promise<Work | null> {
    const batch = this.batches.shift();
    if (batch !== undefined) {
      this.queued -= batch.length;
      return { rows: batch, seq: this.seqOf.get(batch) ?? this.nextSeq++ };
    }
    if (this.closing) return null;
    const previous = this.recoveryLock;
    let release!: () => void;
    this.recoveryLock = new Promise((resolve) => (release = resolve));
    try {
      await previous;
      return await this.nextRecoveryWork();
    } finally {
      release();
    }
  }

  /** A chunk of the oldest spill file; removes a file once all its rows are committed. Called under recoveryLock. */
  private async nextRecoveryWork(): Promise<Work | null> {
    for (;;) {
      if (this.closing) return null;
      const batch = this.batches.shift(); // memory first, even if it arrived while waiting for the lock
      if (batch !== undefined) {
        this.queued -= batch.length;
        return { rows: batch, seq: this.seqOf.get(batch) ?? this.nextSeq++ };
      }
      if (this.recovery === null) {
        if (!this.spillPending) return null;
        const file = await this.spill.oldest();
        if (file === null) {
          this.spillPending = false;
          return null;
        }
        const { rows, bad } = await this.spill.read(file);
        if (bad.length > 0) {
          const error = new Error(`${bad.length} unreadable line(s) in ${file}`);
          await this.spill.reject(bad, error.message);
          this.rejectedRows += bad.length;
          this.call(this.hooks.rejected, bad.length, error);
        }
        this.recovery = { file, rows, offset: 0, outstanding: 0, retry: [] };
      }
      const recovery = this.recovery;
      const again = recovery.retry.shift();
      if (again !== undefined) {
        recovery.outstanding++;
        return { rows: again, recovery };
      }
      if (recovery.offset < recovery.rows.length) {
        const rows = recovery.rows.slice(recovery.offset, recovery.offset + this.batchSize);
        recovery.offset += rows.length;
        recovery.outstanding++;
        return { rows, recovery };
      }
      // Every chunk handed out: the file goes once the last one in flight has committed.
      if (recovery.outstanding > 0) return null;
      await this.spill.remove(recovery.file);
      this.recovery = null;
    }
  }

  /** Writes work until none is left; `retire()` says (and counts) when to stop because another worker probes a failing store. */
  private async worker(retire: () => boolean): Promise<void> {
    while (!this.stopped) {
      let work: Work | null;
      try {
        work = await this.nextWork();
      } catch (error) {
        // Reading or removing a spill file failed: try again later.
        this.call(this.hooks.failed, 0, error);
        await this.sleep(this.retryMaxMs);
        if (retire()) return;
        continue;
      }
      if (work === null) return;
      this.inflight.add(work);
      const ok = await this.write(work.rows);
      this.inflight.delete(work);
      if (work.recovery !== undefined) {
        work.recovery.outstanding--;
        if (!ok) work.recovery.retry.push(work.rows);
      }
      if (ok) {
        const recovered = !this.healthy;
        this.healthy = true;
        this.backoffMs = this.retryMinMs;
        if (recovered) this.kick(); // back to maxInFlight
        continue;
      }
      this.healthy = false;
      this.notify();
      if (work.seq !== undefined) {
        if (this.stopped) return; // close() already spilled these rows (a batch in flight)
        this.requeue(work.rows, work.seq);
        if (this.queued > this.maxQueuedRows) this.startSpill();
      }
      if (this.stopped) return;
      await this.sleep(this.backoffMs);
      this.backoffMs = Math.min(this.retryMaxMs, this.backoffMs * 2);
      if (retire()) return;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.sleepers.add(done);
    });
  }

  private wakeAll(): void {
    for (const done of [...this.sleepers]) done();
  }

  /** One attempt: partitions for the rows' days, then the insert. True when every row is committed or rejected. */
  private async write(rows: SpendLogRecord[]): Promise<boolean> {
    const started = performance.now();
    await this.ensurePartitions(rows);
    try {
      const inserted = await this.insertOrIsolate(rows);
      this.flushedRows += rows.length;
      this.flushedBatches++;
      this.call(this.hooks.flushed, rows.length, inserted, (performance.now() - started) / 1000);
      return true;
    } catch (error) {
      this.failedBatches++;
      this.call(this.hooks.failed, rows.length, error);
      return false;
    }
  }

  /**
   * Makes missing partitions for days inside the window. A failure is reported and otherwise
   * ignored: the rows then land in the default partition, or the insert fails on its own.
   */
  private async ensurePartitions(rows: readonly SpendLogRecord[]): Promise<void> {
    let missing: Set<string> | null = null;
    for (const row of rows) {
      const day = typeof row.startTime === 'string' ? dayOfIso(row.startTime) : null;
      if (day === null || this.knownDays.has(day)) continue;
      (missing ??= new Set()).add(day);
    }
    if (missing === null) return;
    const now = this.now();
    const first = utcDay(now - this.partitionDaysBack * DAY_MS);
    const last = utcDay(now + DAYS_AHEAD * DAY_MS);
    const wanted = [...missing].filter((day) => day >= first && day <= last);
    if (wanted.length === 0) return;
    try {
      await this.sink.spendLogs.ensurePartitions(wanted);
      for (const day of wanted) this.knownDays.add(day);
    } catch (error) {
      this.call(this.hooks.failed, 0, error);
    }
  }

  /** Inserts; on a data error halves the rows until the bad ones are alone, and rejects those. */
  private async insertOrIsolate(rows: readonly SpendLogRecord[]): Promise<number> {
    try {
      const sink = this.sink;
      return await (sink.recordBatch !== undefined ? sink.recordBatch(rows) : sink.spendLogs.insertBatch(rows));
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (rows.length === 1) {
        await this.spill.reject(rows, message(error));
        this.rejectedRows++;
        this.call(this.hooks.rejected, 1, error);
        return 0;
      }
      const mid = rows.length >> 1;
      return (await this.insertOrIsolate(rows.slice(0, mid))) + (await this.insertOrIsolate(rows.slice(mid)));
    }
  }

  /** Moves the oldest batches to disk while memory holds more than maxQueuedRows. */
  private startSpill(): void {
    if (this.spilling !== null || this.now() < this.spillRetryAt) return;
    this.spilling = (async () => {
      while (this.queued > this.maxQueuedRows && !this.stopped) {
        if (this.batches.length === 0) this.seal();
        const batch = this.batches.shift();
        if (batch === undefined) return;
        this.queued -= batch.length;
        if (!(await this.spillBatch(batch, false))) {
          this.spillRetryAt = this.now() + SPILL_RETRY_MS;
          return;
        }
      }
    })().finally(() => {
      this.spilling = null;
    });
  }

  /** Writes a batch to a spill file; on failure puts it back in memory (above the bound) unless closing. */
  private async spillBatch(batch: SpendLogRecord[], final: boolean): Promise<boolean> {
    try {
      await this.spill.append(batch);
      this.spillPending = true;
      this.spilledRows += batch.length;
      this.spilledBatches++;
      this.call(this.hooks.spilled, batch.length);
      if (!final) this.kick();
      return true;
    } catch (error) {
      this.call(this.hooks.failed, 0, error);
      if (!final) {
        this.batches.unshift(batch);
        this.queued += batch.length;
      }
      return false;
    }
  }

  private spillAfterClose(rows: SpendLogRecord[]): void {
    try {
      this.spill.appendSync(rows);
      this.spilledRows += rows.length;
      this.spilledBatches++;
      this.call(this.hooks.spilled, rows.length);
    } catch (error) {
      this.call(this.hooks.failed, rows.length, error);
    }
  }
}
