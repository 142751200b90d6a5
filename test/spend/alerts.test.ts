/**
 * Budget alerts against real local webhooks (node:http on port 0): each threshold once per
 * window and re-armed by the next, the JSON and Slack payloads byte for byte, webhooks that are
 * slow, failing or refusing (retried with backoff, then given up with a log line, never blocking
 * the caller), the queue bound, close(), and the alerting config keys.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../../src/config/issues.js';
import { parseConfigText } from '../../src/config/load.js';
import type { AlertFormat, AlertingSettings } from '../../src/config/types.js';
import { BudgetAlerts, type BudgetAlertsOptions, type BudgetState } from '../../src/spend/alerts.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

/** What the webhook answers the nth request (0-based) with: a status, or 'hang' (never answers). */
type Behaviour = (n: number, body: string) => number | 'hang';

interface Webhook {
  readonly url: string;
  readonly received: Received[];
  /** Bodies, parsed. */
  events(): Array<Record<string, unknown>>;
  /** Answers every request left hanging with 200. */
  release(): void;
}

const servers: Array<() => Promise<void>> = [];
after(async () => {
  for (const close of servers) await close();
});

async function webhook(behaviour: Behaviour = () => 200, path = '/hook'): Promise<Webhook> {
  const received: Received[] = [];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const n = received.length;
      received.push({ method: req.method!, path: req.url!, headers: req.headers, body, at: performance.now() });
      const answer = behaviour(n, body);
      if (answer === 'hang') hanging.push(res);
      else res.writeHead(answer, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  servers.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    events: () => received.map((r) => JSON.parse(r.body) as Record<string, unknown>),
    release: () => {
      for (const res of hanging.splice(0)) if (!res.destroyed) res.writeHead(200).end('ok');
    },
  };
}

function settings(hooks: Array<[Webhook | string, AlertFormat]>, overrides: Partial<AlertingSettings> = {}): AlertingSettings {
  return {
    webhooks: hooks.map(([hook, format]) => ({ url: typeof hook === 'string' ? hook : hook.url, format })),
    timeoutS: 2,
    maxAttempts: 3,
    queueSize: 100,
    missingEnv: [],
    ...overrides,
  };
}

/** A BudgetAlerts whose log lines are collected, closed when the test ends. */
function alertsFor(t: { after(fn: () => Promise<void>): void }, config: AlertingSettings, options: Partial<BudgetAlertsOptions> = {}) {
  const logs: string[] = [];
  const alerts = new BudgetAlerts(config, {
    log: { warn: (message, fields) => logs.push(fields === undefined ? message : `${message} ${JSON.stringify(fields)}`) },
    retryDelayMs: 20,
    ...options,
  });
  t.after(() => alerts.close(1000));
  return { alerts, logs };
}

const APRIL = new Date('2024-04-01T00:00:00Z');
const MAY = new Date('2024-05-01T00:00:00Z');

function keyState(spend: number, over: Partial<BudgetState> = {}): BudgetState {
  return { entity: 'key', id: 'hash-1', resetAt: APRIL, spend, maxBudget: 100, softBudget: 30, ...over };
}

describe('thresholds', () => {
  test('each threshold fires once per window, and the next window re-arms them', async (t) => {
    const hook = await webhook();
    const { alerts } = alertsFor(t, settings([[hook, 'json']]));
    const fired = (spend: number, over: Partial<BudgetState> = {}) => alerts.report(keyState(spend, over));

    assert.deepEqual(fired(10), []);
    assert.deepEqual(fired(30), ['soft_budget']);
    assert.deepEqual(fired(40), []);
    assert.deepEqual(fired(50), ['50%']);
    assert.deepEqual(fired(79.99), []);
    assert.deepEqual(fired(80), ['80%']);
    assert.deepEqual(fired(85), []);
    assert.deepEqual(fired(100), ['100%']);
    assert.deepEqual(fired(150), []);
    assert.deepEqual(fired(150), [], 'the same report again fires nothing');

    assert.deepEqual(fired(5, { resetAt: MAY }), [], 'a new window, below every threshold');
    assert.deepEqual(fired(60, { resetAt: MAY }), ['soft_budget', '50%'], 'lowest first');
    assert.deepEqual(fired(100, { resetAt: APRIL }), [], 'a report for an earlier window is stale');
    assert.deepEqual(fired(100, { resetAt: MAY }), ['100%']);

    await alerts.flushed();
    assert.deepEqual(hook.events().map((e) => [e.threshold, e.event, e.budget_reset_at]), [
      ['soft_budget', 'soft_budget_crossed', '2024-04-01T00:00:00.000Z'],
      ['50%', 'threshold_crossed', '2024-04-01T00:00:00.000Z'],
      ['80%', 'threshold_crossed', '2024-04-01T00:00:00.000Z'],
      ['100%', 'budget_crossed', '2024-04-01T00:00:00.000Z'],
      ['soft_budget', 'soft_budget_crossed', '2024-05-01T00:00:00.000Z'],
      ['50%', 'threshold_crossed', '2024-05-01T00:00:00.000Z'],
      ['100%', 'budget_crossed', '2024-05-01T00:00:00.000Z'],
    ]);
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 7, failed: 0, dropped: 0 });
  });

  test('a jump fires only the highest max-budget threshold it crosses', async (t) => {
    const hook = await webhook();
    const { alerts } = alertsFor(t, settings([[hook, 'json']]));
    assert.deepEqual(alerts.report(keyState(95, { softBudget: null })), ['80%']);
    assert.deepEqual(alerts.report(keyState(97, { softBudget: null })), [], '50% counts as fired with 80%');
    assert.deepEqual(alerts.report(keyState(101, { softBudget: null })), ['100%']);
    assert.deepEqual(alerts.report(keyState(500, { id: 'hash-2' })), ['soft_budget', '100%']);
  });

  test('a changed max or soft budget re-arms the thresholds it moves', async (t) => {
    const hook = await webhook();
    const { alerts } = alertsFor(t, settings([[hook, 'json']]));
    assert.deepEqual(alerts.report(keyState(120, { softBudget: null })), ['100%']);
    assert.deepEqual(alerts.report(keyState(120, { softBudget: null, maxBudget: 200 })), ['50%'], '60% of the raised budget');
    assert.deepEqual(alerts.report(keyState(170, { softBudget: null, maxBudget: 200 })), ['80%']);
    assert.deepEqual(alerts.report(keyState(170, { softBudget: 150, maxBudget: 200 })), ['soft_budget']);
    assert.deepEqual(alerts.report(keyState(170, { softBudget: 160, maxBudget: 200 })), ['soft_budget']);
    assert.deepEqual(alerts.report(keyState(170, { softBudget: 160, maxBudget: 200 })), []);
  });

  test('no budget_duration is one window; entities are separate; zero spend never alerts', async (t) => {
    const hook = await webhook();
    const { alerts } = alertsFor(t, settings([[hook, 'json']]));
    const state = (entity: BudgetState['entity'], spend: number): BudgetState =>
      ({ entity, id: 'x', resetAt: null, spend, maxBudget: 10, softBudget: null });
    assert.deepEqual(alerts.report(state('user', 10)), ['100%']);
    assert.deepEqual(alerts.report(state('user', 20)), []);
    assert.deepEqual(alerts.report(state('team', 10)), ['100%'], 'same id, another kind of entity');
    assert.deepEqual(alerts.report(state('team_member', 5)), ['50%']);
    assert.deepEqual(alerts.report({ ...state('end_user', 0), maxBudget: 0 }), [], 'max_budget 0 and no spend');
    assert.deepEqual(alerts.report({ ...state('end_user', 0.01), maxBudget: 0 }), ['100%']);
    assert.deepEqual(alerts.report({ ...state('global', 1), maxBudget: null }), [], 'no budget at all');
  });

  test('without webhooks nothing is tracked or sent', async (t) => {
    const { alerts } = alertsFor(t, settings([]));
    assert.deepEqual(alerts.report(keyState(1000)), []);
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 0, failed: 0, dropped: 0 });
  });

  test('the least recently fired entities are forgotten past maxEntities', async (t) => {
    const hook = await webhook();
    const { alerts } = alertsFor(t, settings([[hook, 'json']]), { maxEntities: 2 });
    for (const id of ['a', 'b', 'c']) assert.deepEqual(alerts.report(keyState(100, { id, softBudget: null })), ['100%']);
    assert.deepEqual(alerts.report(keyState(100, { id: 'c', softBudget: null })), []);
    assert.deepEqual(alerts.report(keyState(100, { id: 'a', softBudget: null })), ['100%'], 'a was forgotten, so it fires again');
  });
});

describe('payloads', () => {
  test('JSON: the documented event, POSTed as application/json', async (t) => {
    const hook = await webhook();
    const { alerts } = alertsFor(t, settings([[hook, 'json']]), { now: () => new Date('2024-03-15T12:00:00Z') });
    alerts.report({ entity: 'team', id: 'team-a', resetAt: APRIL, spend: 81.5, maxBudget: 100, softBudget: null });
    alerts.report({ entity: 'end_user', id: 'cust-1', resetAt: null, spend: 7, maxBudget: null, softBudget: 5 });
    await alerts.flushed();

    const [first, second] = hook.received;
    assert.equal(first.method, 'POST');
    assert.equal(first.path, '/hook');
    assert.equal(first.headers['content-type'], 'application/json');
    assert.equal(first.body, JSON.stringify({
      event: 'threshold_crossed',
      threshold: '80%',
      threshold_usd: 80,
      entity: 'team',
      id: 'team-a',
      spend: 81.5,
      max_budget: 100,
      soft_budget: null,
      budget_reset_at: '2024-04-01T00:00:00.000Z',
      timestamp: '2024-03-15T12:00:00.000Z',
      event_group: 'team',
      event_message: 'Team Budget: 80% of Budget Crossed',
    }));
    assert.equal(second.body, JSON.stringify({
      event: 'soft_budget_crossed',
      threshold: 'soft_budget',
      threshold_usd: 5,
      entity: 'end_user',
      id: 'cust-1',
      spend: 7,
      max_budget: null,
      soft_budget: 5,
      budget_reset_at: null,
      timestamp: '2024-03-15T12:00:00.000Z',
      event_group: 'customer',
      event_message: 'End user Budget: Soft Budget Crossed',
    }));
  });

  test('Slack: {"text": …} with mrkdwn, amounts in dollars, and <, >, & escaped', async (t) => {
    const slack = await webhook();
    const json = await webhook();
    const { alerts } = alertsFor(t, settings([[slack, 'slack'], [json, 'json']]));
    alerts.report({ entity: 'key', id: 'abc<&>', resetAt: APRIL, spend: 12.5, maxBudget: 20, softBudget: 10 });
    alerts.report({ entity: 'global', id: 'global', resetAt: null, spend: 1000.5, maxBudget: 1000, softBudget: null });
    alerts.report({ entity: 'end_user', id: 'cust-1', resetAt: APRIL, spend: 0.0051, maxBudget: 0.01, softBudget: null });
    alerts.report({ entity: 'user', id: 'u1', resetAt: APRIL, spend: 90, maxBudget: null, softBudget: 80 });
    await alerts.flushed();

    assert.deepEqual(slack.received.map((r) => r.body), [
      { text: '*Soft budget crossed*: Key `abc&lt;&amp;&gt;` has spent $12.50, over its $10.00 soft budget (max budget $20.00). The budget resets at 2024-04-01T00:00:00.000Z.' },
      { text: '*50% of budget used*: Key `abc&lt;&amp;&gt;` has spent $12.50 of its $20.00 max budget. The budget resets at 2024-04-01T00:00:00.000Z.' },
      { text: '*Budget crossed*: The proxy has spent $1000.50 of its $1000.00 max budget. The budget does not reset.' },
      { text: '*50% of budget used*: End user `cust-1` has spent $0.0051 of its $0.01 max budget. The budget resets at 2024-04-01T00:00:00.000Z.' },
      { text: '*Soft budget crossed*: User `u1` has spent $90.00, over its $80.00 soft budget. The budget resets at 2024-04-01T00:00:00.000Z.' },
    ].map((payload) => JSON.stringify(payload)));
    assert.equal(slack.received[0].headers['content-type'], 'application/json');
    assert.equal(json.received.length, 5, 'every webhook gets every alert, in its own format');
    assert.equal(json.events()[0].id, 'abc<&>');
  });
});

describe('delivery', () => {
  test('a slow webhook blocks neither the caller nor the other webhooks, and times out', async (t) => {
    const slow = await webhook(() => 'hang');
    const fast = await webhook();
    const { alerts, logs } = alertsFor(t, settings([[slow, 'json'], [fast, 'slack']], { timeoutS: 0.3, maxAttempts: 1 }));

    const started = performance.now();
    for (let i = 0; i < 50; i++) alerts.report(keyState(100, { id: `k${i}`, softBudget: null }));
    assert.ok(performance.now() - started < 100, 'report() returns without waiting for any webhook');

    await waitFor('the fast webhook', () => fast.received.length === 50);
    assert.equal(slow.received.length, 1, 'the slow webhook still has its first alert');
    assert.ok(alerts.counters().pending > 0);

    await waitFor('the first timeout', () => alerts.counters().failed >= 1);
    assert.match(logs[0], /^budget alert not delivered .*"attempts":1.*no answer in 0\.3 s/);
    assert.ok(logs[0].includes(`"webhook":"${new URL(slow.url).origin}"`));
    slow.release();
  });

  test('a failing webhook is retried with backoff, then given up with one log line', async (t) => {
    const failing = await webhook(() => 500, '/services/T000/B000/secret');
    const { alerts, logs } = alertsFor(t, settings([[failing, 'slack']], { maxAttempts: 3 }), { retryDelayMs: 50 });
    alerts.report(keyState(100, { softBudget: null }));
    await alerts.flushed();

    assert.equal(failing.received.length, 3);
    const [a, b, c] = failing.received.map((r) => r.at);
    assert.ok(b - a >= 45, `first retry after ${b - a} ms`);
    assert.ok(c - b >= 95, `second retry after ${c - b} ms (doubled)`);
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 0, failed: 1, dropped: 0 });
    assert.equal(logs.length, 1);
    assert.match(logs[0], /^budget alert not delivered .*"attempts":3.*HTTP 500/);
    assert.ok(!logs[0].includes('secret'), 'the log names the host, not the secret path');
  });

  test('a webhook that recovers gets the alert; 429 is retried; other 4xx are not', async (t) => {
    const flaky = await webhook((n) => (n < 2 ? 503 : 200));
    const limited = await webhook((n) => (n === 0 ? 429 : 200));
    const refusing = await webhook(() => 404);
    const { alerts, logs } = alertsFor(t, settings([[flaky, 'json'], [limited, 'json'], [refusing, 'json']]));
    alerts.report(keyState(100, { softBudget: null }));
    await alerts.flushed();

    assert.equal(flaky.received.length, 3);
    assert.equal(limited.received.length, 2);
    assert.equal(refusing.received.length, 1);
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 2, failed: 1, dropped: 0 });
    assert.equal(logs.length, 1);
    assert.match(logs[0], /^budget alert refused by webhook .*"status":404/);
  });

  test('an unreachable webhook is retried and given up', async (t) => {
    const gone = await webhook();
    const url = gone.url;
    await servers.pop()!();
    const { alerts, logs } = alertsFor(t, settings([[url, 'json']], { maxAttempts: 2 }));
    alerts.report(keyState(100, { softBudget: null }));
    await alerts.flushed();
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 0, failed: 1, dropped: 0 });
    assert.match(logs[0], /^budget alert not delivered .*"attempts":2/);
  });

  test('a full queue drops its oldest alert, counts it, and logs once', async (t) => {
    const hook = await webhook((n) => (n === 0 ? 'hang' : 200));
    const { alerts, logs } = alertsFor(t, settings([[hook, 'json']], { queueSize: 3, maxAttempts: 1, timeoutS: 10 }));
    for (let i = 0; i < 10; i++) alerts.report(keyState(100, { id: `k${i}`, softBudget: null }));

    // k0 is being sent; the queue held 3 at a time, so k1..k6 were pushed out.
    assert.deepEqual(alerts.counters(), { pending: 4, sent: 0, failed: 0, dropped: 6 });
    assert.equal(logs.length, 1);
    assert.match(logs[0], /^budget alert queue full; dropped the oldest alert /);

    await waitFor('the first POST', () => hook.received.length === 1);
    hook.release();
    await alerts.flushed();
    assert.deepEqual(hook.events().map((e) => e.id), ['k0', 'k7', 'k8', 'k9']);
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 4, failed: 0, dropped: 6 });
  });

  test('report() never throws, even with a webhook it cannot use', async (t) => {
    const { alerts, logs } = alertsFor(t, settings([['not a url', 'json']]));
    assert.deepEqual(alerts.report(keyState(100)), []);
    assert.match(logs[0], /^budget alert check failed/);
  });
});

describe('close', () => {
  test('sends what is queued, then takes no more alerts', async (t) => {
    const hook = await webhook();
    const { alerts } = alertsFor(t, settings([[hook, 'json']]));
    for (let i = 0; i < 5; i++) alerts.report(keyState(100, { id: `k${i}`, softBudget: null }));
    await alerts.close(2000);
    assert.equal(hook.received.length, 5);
    assert.deepEqual(alerts.report(keyState(100, { id: 'late', softBudget: null })), []);
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 5, failed: 0, dropped: 0 });
  });

  test('at the deadline aborts the POST in flight, drops the rest and says how many', async (t) => {
    const hook = await webhook(() => 'hang');
    const { alerts, logs } = alertsFor(t, settings([[hook, 'json']], { timeoutS: 30 }));
    for (let i = 0; i < 4; i++) alerts.report(keyState(100, { id: `k${i}`, softBudget: null }));
    await waitFor('the first POST', () => hook.received.length === 1);

    const started = performance.now();
    await alerts.close(100);
    const took = performance.now() - started;
    assert.ok(took >= 95 && took < 1000, `close took ${took} ms`);
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 0, failed: 0, dropped: 4 });
    assert.deepEqual(logs, ['budget alerts dropped at shutdown {"dropped":4,"deadline_ms":100}']);
    hook.release();
  });

  test('at the deadline a retry that is waiting is abandoned too', async (t) => {
    const hook = await webhook(() => 500);
    const { alerts } = alertsFor(t, settings([[hook, 'json']]), { retryDelayMs: 10_000 });
    alerts.report(keyState(100, { softBudget: null }));
    await waitFor('the first POST', () => hook.received.length === 1);
    await alerts.close(50);
    assert.deepEqual(alerts.counters(), { pending: 0, sent: 0, failed: 0, dropped: 1 });
  });
});

describe('alerting config', () => {
  const load = (yaml: string, env: NodeJS.ProcessEnv = {}) => parseConfigText(yaml, '/x/config.yaml', env);

  test('defaults: no webhooks', () => {
    const { config, warnings } = load('');
    assert.deepEqual(config.alerting, { webhooks: [], timeoutS: 5, maxAttempts: 3, queueSize: 1000, missingEnv: [] });
    assert.deepEqual(warnings, []);
  });

  test('LiteLLM: alerting ["slack", "webhook"] reads SLACK_WEBHOOK_URL and WEBHOOK_URL', () => {
    const yaml = 'general_settings:\n  alerting: ["slack", "webhook"]\n';
    const env = { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', WEBHOOK_URL: 'https://example.com/budget' };
    const { config, warnings } = load(yaml, env);
    assert.deepEqual(config.alerting.webhooks, [
      { url: 'https://hooks.slack.com/services/T/B/x', format: 'slack' },
      { url: 'https://example.com/budget', format: 'json' },
    ]);
    assert.deepEqual(warnings, []);
    assert.deepEqual(load(yaml, { ALERTING_WEBHOOK_URL: 'https://chat.example/hook' }).config.alerting, {
      webhooks: [{ url: 'https://chat.example/hook', format: 'slack' }],
      timeoutS: 5, maxAttempts: 3, queueSize: 1000, missingEnv: ['WEBHOOK_URL'],
    });
  });

  test('a channel without its variable sends nothing and is named, without a config warning', () => {
    const { config, warnings } = load('general_settings:\n  alerting: ["slack"]\n');
    assert.deepEqual(config.alerting.webhooks, []);
    assert.deepEqual(config.alerting.missingEnv, ['SLACK_WEBHOOK_URL']);
    assert.deepEqual(warnings, []);
    const logs: string[] = [];
    const alerts = new BudgetAlerts(config.alerting, { log: { warn: (m) => logs.push(m) } });
    assert.deepEqual(logs, ['general_settings.alerting needs SLACK_WEBHOOK_URL, which is not set; that channel sends no budget alerts']);
    return alerts.close();
  });

  test('alert_to_webhook_url.budget_alerts replaces SLACK_WEBHOOK_URL; alert_types without budget_alerts turns both off', () => {
    const routed = load([
      'general_settings:',
      '  alerting: ["slack"]',
      '  alert_to_webhook_url:',
      '    budget_alerts: ["https://a.example/1", "https://b.example/2"]',
      '    llm_exceptions: https://c.example/3',
    ].join('\n'), { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' });
    assert.deepEqual(routed.config.alerting.webhooks, [
      { url: 'https://a.example/1', format: 'slack' },
      { url: 'https://b.example/2', format: 'slack' },
    ]);
    const off = load('general_settings:\n  alerting: ["slack", "webhook"]\n  alert_types: ["llm_exceptions"]\n', { SLACK_WEBHOOK_URL: 'https://h.example/x', WEBHOOK_URL: 'https://w.example/y' });
    assert.deepEqual(off.config.alerting.webhooks, []);
    const on = load('general_settings:\n  alerting: ["webhook"]\n  alert_types: ["budget_alerts"]\n', { WEBHOOK_URL: 'https://w.example/y' });
    assert.deepEqual(on.config.alerting.webhooks, [{ url: 'https://w.example/y', format: 'json' }]);
  });

  test('ailb_settings.alerting: webhooks with formats, delivery settings, duplicates removed', () => {
    const { config, warnings } = load([
      'general_settings:',
      '  alerting: ["webhook"]',
      'ailb_settings:',
      '  alerting:',
      '    webhooks:',
      '      - url: https://example.com/budget',
      '      - {url: "https://hooks.slack.com/services/T/B/x", format: slack}',
      '      - {url: "https://example.com/budget", format: json}',
      '    timeout_s: 2.5',
      '    max_attempts: 5',
      '    queue_size: 50',
    ].join('\n'), { WEBHOOK_URL: 'https://example.com/budget' });
    assert.deepEqual(config.alerting, {
      webhooks: [
        { url: 'https://example.com/budget', format: 'json' },
        { url: 'https://hooks.slack.com/services/T/B/x', format: 'slack' },
      ],
      timeoutS: 2.5, maxAttempts: 5, queueSize: 50, missingEnv: [],
    });
    assert.deepEqual(warnings, []);
    assert.deepEqual(config.ailbSettings, { drainTimeoutS: 30, hotReload: true, countPromptTokens: true });
  });

  test('bad values are errors with their path; unknown keys and channels are warnings', () => {
    const error = (() => {
      try {
        load([
          'general_settings:',
          '  alerting: ["webhook"]',
          'ailb_settings:',
          '  alerting:',
          '    webhooks:',
          '      - url: ftp://example.com/x',
          '      - {url: "https://example.com", format: teams}',
          '      - https://example.com/not-a-map',
          '      - {format: json}',
          '    timeout_s: 0',
          '    max_attempts: 0',
          '    queue_size: 1.5',
        ].join('\n'), { WEBHOOK_URL: 'not a url' });
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.issues.map((i) => [i.path, i.message]), [
      ['general_settings.alerting', 'WEBHOOK_URL must be an http(s) URL'],
      ['ailb_settings.alerting.webhooks[0].url', 'must be an http(s) URL, got "ftp://example.com/x"'],
      ['ailb_settings.alerting.webhooks[1].format', 'must be one of json, slack; got "teams"'],
      ['ailb_settings.alerting.webhooks[2]', 'must be a map with url and format, got "https://example.com/not-a-map"'],
      ['ailb_settings.alerting.webhooks[3].url', 'is required'],
      ['ailb_settings.alerting.timeout_s', 'must be a number greater than 0, got 0'],
      ['ailb_settings.alerting.max_attempts', 'must be an integer ≥ 1, got 0'],
      ['ailb_settings.alerting.queue_size', 'must be an integer ≥ 1, got 1.5'],
    ]);

    const { warnings } = load('general_settings:\n  alerting: ["email"]\nailb_settings:\n  alerting:\n    webhook: []\n    webhooks:\n      - {url: "https://e.example", formt: json}\n');
    assert.deepEqual(warnings.map((w) => [w.path, w.message]), [
      ['general_settings.alerting', 'AILB sends budget alerts to "slack" and "webhook" only; "email" is ignored'],
      ['ailb_settings.alerting.webhook', 'unknown key; ignored'],
      ['ailb_settings.alerting.webhooks[0].formt', 'unknown key; ignored'],
    ]);
  });
});
