/**
 * Budget alert reports from the event-loop threads to the process's one BudgetAlerts
 * (src/spend/alerts.ts). BudgetAlerts remembers which thresholds fired, so there must be one per
 * process: the threads post each report on a BroadcastChannel and the main thread forwards what
 * arrives to it.
 *
 * Thread side: `budgetReportPoster()` is the limits stage's `budgetReporter` (set by the pipeline);
 * it posts only when the config has alert webhooks, and each thread posts a budget's threshold at
 * most once per period (docs/counters.md#budget-alerts).
 * Main side: `forwardBudgetReports(alerts)`, called once where the BudgetAlerts is made; returns a
 * function that stops forwarding. Without it, reports are dropped.
 */
import { BroadcastChannel } from 'node:worker_threads';
import type { BudgetAlerts, BudgetState } from '../spend/alerts.js';

export const BUDGET_REPORTS_CHANNEL = 'ailb:budget-reports';

/** A reporter that posts each state to the main thread; the channel opens on the first report. */
export function budgetReportPoster(): (state: BudgetState) => void {
  let channel: BroadcastChannel | null = null;
  return (state) => {
    if (channel === null) {
      channel = new BroadcastChannel(BUDGET_REPORTS_CHANNEL);
      // A thread with nothing else to do may exit; the channel does not keep it alive.
      channel.unref();
    }
    channel.postMessage(state);
  };
}

/** Forwards every report posted by any thread of the process to `alerts.report`. */
export function forwardBudgetReports(alerts: Pick<BudgetAlerts, 'report'>): () => void {
  const channel = new BroadcastChannel(BUDGET_REPORTS_CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    // report() never throws by contract; a malformed message is not worth a crash either.
    try {
      alerts.report((event as MessageEvent).data as BudgetState);
    } catch {
      // ignored
    }
  };
  return () => channel.close();
}
