/**
 * The SpendLogWriter's sink over a Store: each batch is one transaction that inserts the rows and
 * adds the spend of the rows that were new to their key, user, team, team member and end user
 * (src/store/spend-totals.ts has the exactness argument). With `general_settings.disable_spend_logs`
 * no row is inserted and every row's spend is added, as LiteLLM does; there is then no row to
 * make a retry idempotent, so a batch whose commit succeeded but whose reply was lost is counted
 * again when retried (LiteLLM counts at least once too).
 */
import type { Store } from '../store/types.js';
import { spendTotalsOf } from '../store/spend-totals.js';
import type { SpendLogSink } from './log-writer.js';

/** `logRows()` is read per batch, so a config reload that flips disable_spend_logs applies to the next batch. */
export function storeSpendSink(store: Store, logRows: () => boolean): SpendLogSink {
  return {
    backend: store.backend,
    spendLogs: {
      insertBatch: (rows) => store.spendLogs.insertBatch(rows),
      ensurePartitions: (days) => (logRows() ? store.spendLogs.ensurePartitions(days) : Promise.resolve([])),
    },
    recordBatch(rows) {
      const log = logRows();
      // Nothing to charge (no prices, or only failures): the insert alone, without a transaction.
      if (!rows.some((row) => row.spend !== 0)) return log ? store.spendLogs.insertBatch(rows) : Promise.resolve(0);
      return store.transaction(async (tx) => {
        if (!log) {
          await tx.spendLogs.addSpend(spendTotalsOf(rows));
          return 0;
        }
        const charges = await tx.spendLogs.insertBatchCharges(rows);
        await tx.spendLogs.addSpend(spendTotalsOf(charges));
        return charges.length;
      });
    },
  };
}
