/**
 * Budget alerts: tells webhooks when an entity's spend crosses its soft budget or 50%, 80% or
 * 100% of its max budget, at most once per threshold in each budget window (docs/budgets.md).
 *
 * Contract: `report()` is called after spend changes. It is synchronous, cheap when no threshold
 * is crossed (a few comparisons, no lookup), and never throws or waits: alerts are queued per
 * webhook and POSTed in the background with a timeout and a bounded number of attempts; a full
 * queue drops its oldest alert. Delivery problems are counted and logged, never raised.
 *
 * State is per process: each process that calls `report()` alerts on its own, so the caller
 * should report from the one place where spend is settled.
 */
import { setMaxListeners } from 'node:events';
import type { AlertFormat, AlertingSettings, AlertWebhook } from '../config/types.js';
import type { Logger } from '../log.js';
import { roundUsd } from './money.js';

/** Whose budget it is. `global` is the proxy-wide litellm_settings.max_budget. */
export type BudgetEntity = 'key' | 'user' | 'team' | 'team_member' | 'end_user' | 'global';

/** The thresholds, a closed list: the soft budget, and fractions of the max budget. */
export type BudgetThreshold = 'soft_budget' | '50%' | '80%' | '100%';

/** An entity's budget after a spend change. */
export interface BudgetState {
  readonly entity: BudgetEntity;
  /** The entity's id (a key's token hash, a user_id, …); for team_member as the caller forms it. */
  readonly id: string;
  /**
   * When the current budget window ends (budget_reset_at): it identifies the window, and a later
   * one re-arms every threshold. null = no budget_duration (one window for ever). A report with an
   * earlier window than one already seen is stale and ignored.
   */
  readonly resetAt: Date | null;
  /** Spend in the current window, USD. */
  readonly spend: number;
  readonly maxBudget: number | null;
  readonly softBudget: number | null;
}

/**
 * The JSON payload (`format: json`). `event` and `event_group` use LiteLLM's budget webhook names
 * so that receivers written for LiteLLM keep working.
 */
export interface BudgetAlertEvent {
  readonly event: 'soft_budget_crossed' | 'threshold_crossed' | 'budget_crossed';
  readonly threshold: BudgetThreshold;
  /** The amount the threshold stands for, USD (the soft budget, or the fraction of max_budget). */
  readonly threshold_usd: number;
  readonly entity: BudgetEntity;
  readonly id: string;
  readonly spend: number;
  readonly max_budget: number | null;
  readonly soft_budget: number | null;
  /** When the budget resets (ISO 8601), or null when it never does. */
  readonly budget_reset_at: string | null;
  /** When the alert was raised (ISO 8601). */
  readonly timestamp: string;
  readonly event_group: 'key' | 'internal_user' | 'team' | 'customer' | 'proxy';
  readonly event_message: string;
}

export interface AlertCounters {
  /** Alerts waiting or being sent, over all webhooks. */
  readonly pending: number;
  /** POSTs answered 2xx. */
  readonly sent: number;
  /** Alerts given up after their attempts, or refused with a 4xx that retrying cannot fix. */
  readonly failed: number;
  /** Alerts dropped unsent: the oldest of a full queue, and whatever close() had to abandon. */
  readonly dropped: number;
}

export interface BudgetAlertsOptions {
  readonly log: Pick<Logger, 'warn'>;
  /** The clock for `timestamp`. */
  readonly now?: () => Date;
  /** Wait before the second attempt; doubles for each later one. Default 1 s. */
  readonly retryDelayMs?: number;
  /** Entities whose fired thresholds are remembered; past it the least recently fired are forgotten. */
  readonly maxEntities?: number;
}

/** Largest max-budget fraction first: one report fires only the highest one newly crossed. */
const FRACTIONS: ReadonlyArray<readonly [BudgetThreshold, number]> = [['100%', 1], ['80%', 0.8], ['50%', 0.5]];

const EVENT_GROUP: Record<BudgetEntity, BudgetAlertEvent['event_group']> = {
  key: 'key', user: 'internal_user', team: 'team', team_member: 'team', end_user: 'customer', global: 'proxy',
};

const LABEL: Record<BudgetEntity, string> = {
  key: 'Key', user: 'User', team: 'Team', team_member: 'Team member', end_user: 'End user', global: 'Proxy',
};

/** How often a webhook's full queue is logged, at most. */
const DROP_LOG_INTERVAL_MS = 60_000;

/** Thresholds fired in the entity's current window, each with the USD amount it fired at. */
interface Fired {
  window: number | null;
  readonly amounts: Map<BudgetThreshold, number>;
}

interface Delivery {
  readonly body: string;
}

/** One webhook's queue; one POST in flight at a time, so a webhook gets its alerts in order. */
interface Outbox {
  readonly webhook: AlertWebhook;
  /** For log lines: scheme and host only (a Slack webhook's path is its secret). */
  readonly origin: string;
  readonly queue: Delivery[];
  sending: boolean;
  lastDropLog: number;
}

export class BudgetAlerts {
  private settings: AlertingSettings;
  private readonly log: Pick<Logger, 'warn'>;
  private readonly now: () => Date;
  private readonly retryDelayMs: number;
  private readonly maxEntities: number;
  private readonly fired = new Map<string, Fired>();
  private readonly outboxes = new Map<string, Outbox>();
  /** Aborted when close() runs out of time: stops every POST and backoff wait at once. */
  private readonly abandon = new AbortController();
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private sent = 0;
  private failed = 0;
  private dropped = 0;

  constructor(settings: AlertingSettings, options: BudgetAlertsOptions) {
    this.settings = settings;
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.maxEntities = options.maxEntities ?? 100_000;
    // Every webhook's attempt or backoff listens to it: one listener per webhook, not a leak.
    setMaxListeners(0, this.abandon.signal);
    this.logMissing(settings);
  }

  /** Applies a reloaded config: new alerts go to the new webhooks; queued ones are still sent. */
  reconfigure(settings: AlertingSettings): void {
    this.settings = settings;
    this.logMissing(settings);
  }

  /**
   * Fires the thresholds `state` newly crosses (queued to every webhook) and returns them, lowest
   * first. A threshold is crossed when spend > 0 and spend >= its amount. Of the max-budget
   * fractions only the highest newly crossed fires; the lower ones count as fired with it. A
   * threshold fires again in a later window, or when its amount changes (a new max or soft budget).
   */
  report(state: BudgetState): readonly BudgetThreshold[] {
    try {
      return this.check(state);
    } catch (error) {
      this.log.warn('budget alert check failed', { error: String(error) });
      return [];
    }
  }

  counters(): AlertCounters {
    let pending = 0;
    for (const outbox of this.outboxes.values()) pending += outbox.queue.length + (outbox.sending ? 1 : 0);
    return { pending, sent: this.sent, failed: this.failed, dropped: this.dropped };
  }

  /** Resolves once nothing is queued or being sent. */
  flushed(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking alerts and sends what is queued, for at most `deadlineMs`; then aborts the POSTs
   * still running and drops what is left (counted in `dropped`, logged in one line).
   */
  async close(deadlineMs = 5000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), deadlineMs); });
    const outcome = await Promise.race([this.flushed().then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'done') return;
    const before = this.dropped;
    this.abandon.abort();
    await this.flushed();
    this.log.warn('budget alerts dropped at shutdown', { dropped: this.dropped - before, deadline_ms: deadlineMs });
  }

  private check(state: BudgetState): BudgetThreshold[] {
    const { spend, maxBudget, softBudget } = state;
    if (this.closed || this.settings.webhooks.length === 0 || !(spend > 0)) return [];
    const lowest = Math.min(softBudget ?? Infinity, maxBudget === null ? Infinity : roundUsd(maxBudget * 0.5));
    if (spend < lowest) return [];

    const entityKey = `${state.entity}\u0000${state.id}`;
    const window = state.resetAt === null ? null : state.resetAt.getTime();
    let fired = this.fired.get(entityKey);
    if (fired !== undefined && fired.window !== window) {
      if (fired.window !== null && window !== null && window < fired.window) return [];
      fired.window = window;
      fired.amounts.clear();
    }
    fired ??= { window, amounts: new Map() };

    const crossed: Array<readonly [BudgetThreshold, number]> = [];
    if (softBudget !== null && spend >= softBudget && fired.amounts.get('soft_budget') !== softBudget) {
      crossed.push(['soft_budget', softBudget]);
      fired.amounts.set('soft_budget', softBudget);
    }
    if (maxBudget !== null) {
      const highest = FRACTIONS.findIndex(([, fraction]) => spend >= roundUsd(maxBudget * fraction));
      if (highest >= 0) {
        const [threshold, fraction] = FRACTIONS[highest];
        const amount = roundUsd(maxBudget * fraction);
        if (fired.amounts.get(threshold) !== amount) {
          crossed.push([threshold, amount]);
          for (const [lower, f] of FRACTIONS.slice(highest)) fired.amounts.set(lower, roundUsd(maxBudget * f));
        }
      }
    }
    if (crossed.length === 0) return [];

    // Most recently fired last, so eviction forgets the entities that have been quiet longest.
    this.fired.delete(entityKey);
    this.fired.set(entityKey, fired);
    if (this.fired.size > this.maxEntities) this.fired.delete(this.fired.keys().next().value!);

    crossed.sort((a, b) => a[1] - b[1]);
    const timestamp = this.now();
    for (const [threshold, amount] of crossed) this.enqueue(state, threshold, amount, timestamp);
    return crossed.map(([threshold]) => threshold);
  }

  private enqueue(state: BudgetState, threshold: BudgetThreshold, amount: number, timestamp: Date): void {
    const bodies: Partial<Record<AlertFormat, string>> = {};
    for (const webhook of this.settings.webhooks) {
      const body = (bodies[webhook.format] ??= webhook.format === 'slack'
        ? JSON.stringify({ text: slackText(state, threshold, amount) })
        : JSON.stringify(alertEvent(state, threshold, amount, timestamp)));
      const outbox = this.outbox(webhook);
      if (outbox.queue.length >= this.settings.queueSize) {
        outbox.queue.shift();
        this.dropped++;
        const now = Date.now();
        if (now - outbox.lastDropLog >= DROP_LOG_INTERVAL_MS) {
          outbox.lastDropLog = now;
          this.log.warn('budget alert queue full; dropped the oldest alert', { webhook: outbox.origin, dropped: this.dropped });
        }
      }
      outbox.queue.push({ body });
      if (!outbox.sending) void this.drain(outbox);
    }
  }

  private outbox(webhook: AlertWebhook): Outbox {
    const id = `${webhook.format} ${webhook.url}`;
    let outbox = this.outboxes.get(id);
    if (outbox === undefined) {
      outbox = { webhook, origin: new URL(webhook.url).origin, queue: [], sending: false, lastDropLog: -Infinity };
      this.outboxes.set(id, outbox);
    }
    return outbox;
  }

  /** Sends the outbox's queue in order; never rejects. */
  private async drain(outbox: Outbox): Promise<void> {
    outbox.sending = true;
    try {
      for (let next = outbox.queue.shift(); next !== undefined; next = outbox.queue.shift()) {
        if (this.abandon.signal.aborted) this.dropped++;
        else await this.deliver(outbox, next);
      }
    } catch (error) {
      this.log.warn('budget alert delivery stopped', { webhook: outbox.origin, error: String(error) });
    } finally {
      outbox.sending = false;
      if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** POSTs one alert with up to maxAttempts tries; counts the outcome. */
  private async deliver(outbox: Outbox, delivery: Delivery): Promise<void> {
    const { timeoutS, maxAttempts } = this.settings;
    let problem = '';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1 && !(await this.pause(this.retryDelayMs * 2 ** (attempt - 2)))) break;
      // One controller per attempt, aborted by its own timer or by close(). (Not AbortSignal.any
      // with AbortSignal.timeout: on Node 20 the timeout signal can be collected before it fires.)
      const attemptAbort = new AbortController();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        attemptAbort.abort();
      }, timeoutS * 1000);
      const onAbandon = () => attemptAbort.abort();
      this.abandon.signal.addEventListener('abort', onAbandon);
      try {
        const response = await fetch(outbox.webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: delivery.body,
          signal: attemptAbort.signal,
        });
        await response.body?.cancel();
        if (response.ok) {
          this.sent++;
          return;
        }
        problem = `HTTP ${response.status}`;
        // Another try cannot fix a refusal, except a timeout or rate limit the receiver reports.
        if (response.status < 500 && response.status !== 408 && response.status !== 429) {
          this.failed++;
          this.log.warn('budget alert refused by webhook', { webhook: outbox.origin, status: response.status });
          return;
        }
      } catch (error) {
        problem = timedOut ? `no answer in ${timeoutS} s` : String(error);
      } finally {
        clearTimeout(timer);
        this.abandon.signal.removeEventListener('abort', onAbandon);
      }
      if (this.abandon.signal.aborted) break;
    }
    if (this.abandon.signal.aborted) {
      this.dropped++;
      return;
    }
    this.failed++;
    this.log.warn('budget alert not delivered', { webhook: outbox.origin, attempts: maxAttempts, error: problem });
  }

  /** Waits `ms`; false when close() gave up first. */
  private pause(ms: number): Promise<boolean> {
    const signal = this.abandon.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve(!signal.aborted);
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done);
    });
  }

  private isIdle(): boolean {
    for (const outbox of this.outboxes.values()) if (outbox.sending || outbox.queue.length > 0) return false;
    return true;
  }

  private logMissing(settings: AlertingSettings): void {
    for (const name of settings.missingEnv) {
      this.log.warn(`general_settings.alerting needs ${name}, which is not set; that channel sends no budget alerts`);
    }
  }
}

/** The JSON payload for one threshold. */
export function alertEvent(state: BudgetState, threshold: BudgetThreshold, amount: number, timestamp: Date): BudgetAlertEvent {
  const event = threshold === 'soft_budget' ? 'soft_budget_crossed' : threshold === '100%' ? 'budget_crossed' : 'threshold_crossed';
  const what = threshold === 'soft_budget' ? 'Soft Budget Crossed' : threshold === '100%' ? 'Budget Crossed' : `${threshold} of Budget Crossed`;
  return {
    event,
    threshold,
    threshold_usd: amount,
    entity: state.entity,
    id: state.id,
    spend: state.spend,
    max_budget: state.maxBudget,
    soft_budget: state.softBudget,
    budget_reset_at: state.resetAt === null ? null : state.resetAt.toISOString(),
    timestamp: timestamp.toISOString(),
    event_group: EVENT_GROUP[state.entity],
    event_message: `${LABEL[state.entity]} Budget: ${what}`,
  };
}

/** The Slack message for one threshold (mrkdwn; `&`, `<`, `>` escaped as Slack requires). */
export function slackText(state: BudgetState, threshold: BudgetThreshold, amount: number): string {
  const who = state.entity === 'global' ? 'The proxy' : `${LABEL[state.entity]} \`${state.id}\``;
  const spent = `${who} has spent ${usd(state.spend)}`;
  const max = state.maxBudget === null ? '' : ` of its ${usd(state.maxBudget)} max budget`;
  const headline = threshold === 'soft_budget'
    ? `*Soft budget crossed*: ${spent}, over its ${usd(amount)} soft budget${state.maxBudget === null ? '' : ` (max budget ${usd(state.maxBudget)})`}.`
    : threshold === '100%'
      ? `*Budget crossed*: ${spent}${max}.`
      : `*${threshold} of budget used*: ${spent}${max}.`;
  const reset = state.resetAt === null ? 'The budget does not reset.' : `The budget resets at ${state.resetAt.toISOString()}.`;
  return `${headline} ${reset}`.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** "$12.34"; amounts under a cent keep three significant digits ("$0.00123"). */
function usd(amount: number): string {
  return amount >= 0.01 || amount === 0 ? `$${amount.toFixed(2)}` : `$${Number(amount.toPrecision(3))}`;
}
