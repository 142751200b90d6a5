/**
 * The main thread's spend-log counters (`ailb_spend_log_rows_total`, declared with every other
 * metric in src/observability/metrics.ts) and the writer's failure log lines. The gateway merges
 * this registry's snapshot with the threads' for /metrics.
 */
import client from 'prom-client';
import type { Logger } from '../log.js';
import { METRIC_DEFINITIONS } from '../observability/metrics.js';
import type { SpendLogWriterHooks } from './log-writer.js';

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class SpendLogMetrics {
  private readonly registry = new client.Registry();
  private readonly rows: client.Counter<string>;

  constructor() {
    const d = METRIC_DEFINITIONS.find((m) => m.name === 'ailb_spend_log_rows_total')!;
    this.rows = new client.Counter({ name: d.name, help: d.help, labelNames: [...d.labels], registers: [this.registry] });
  }

  /** Rows that reached the main thread and were handed to the writer. */
  queued(rows: number): void {
    if (rows > 0) this.rows.labels('queued').inc(rows);
  }

  /**
   * The writer's hooks: counts, and one log line when writing starts failing (not one per
   * retry) and one when it works again. `logRows()` false (disable_spend_logs): batches charge
   * spend but store no row, so nothing counts as written or duplicate.
   */
  hooks(logRows: () => boolean, log: Logger): SpendLogWriterHooks {
    let failing = false;
    return {
      flushed: (rows, inserted) => {
        if (failing) log.info('spend logs are being written again');
        failing = false;
        if (!logRows()) return;
        if (inserted > 0) this.rows.labels('written').inc(inserted);
        if (rows > inserted) this.rows.labels('duplicate').inc(rows - inserted);
      },
      spilled: (rows) => this.rows.labels('spilled').inc(rows),
      failed: (rows, error) => {
        if (failing) return;
        failing = true;
        log.error('could not write spend logs; retrying (rows stay queued, then spill to disk)', { rows, error: message(error) });
      },
      rejected: (rows, error) => {
        this.rows.labels('rejected').inc(rows);
        log.error('spend-log rows refused by the database were kept in the spill directory\'s rejects file', { rows, error: message(error) });
      },
    };
  }

  snapshot(): Promise<object[]> {
    return this.registry.getMetricsAsJSON() as Promise<object[]>;
  }
}
