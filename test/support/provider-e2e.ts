/**
 * What the end-to-end tests of the provider adapters and front doors share: their config's YAML
 * (deployments, the settings every such test writes), a gateway in front of a mock upstream with
 * the official `openai` SDK as its client (`providerGateway` registers the suite's hooks), and the
 * bodies an SDK sent, to compare with what a pass-through upstream received.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach } from 'node:test';
import OpenAI, { type ClientOptions } from 'openai';
import { MASTER_KEY, startTestGateway, type TestGateway } from './gateway.js';

// ---- config ----

/** Gateway errors reach the test as they are: no retries, and no cooldown after failures. */
export const NO_RETRIES = `router_settings:
  num_retries: 0
  allowed_fails: 1000
`;

/** A config: the model_list entries, `extra` top-level sections, the master key, no hot reload. */
export function gatewayConfig(deployments: readonly string[], extra = ''): string {
  return `model_list:
${deployments.join('\n')}
${extra}general_settings:
  master_key: ${MASTER_KEY}
ailb_settings:
  hot_reload: false
`;
}

/** One model_list entry: public name `name`, these litellm_params (each value written as JSON, which YAML reads as such). */
export function deployment(name: string, params: Readonly<Record<string, string | number | boolean>>): string {
  const lines = Object.entries(params).map(([key, value]) => `      ${key}: ${JSON.stringify(value)}`);
  return `  - model_name: ${JSON.stringify(name)}
    litellm_params:
${lines.join('\n')}`;
}

/** Upstream timeouts (s) short enough that a test fails soon when an upstream does not answer. */
export const TEST_TIMEOUTS = { timeout: 5, stream_timeout: 5 };

/** One model_list entry for `model` at `apiBase` with `apiKey`, its timeouts TEST_TIMEOUTS. */
export function keyedDeployment(name: string, model: string, apiBase: string, apiKey: string): string {
  return deployment(name, { model, api_base: apiBase, api_key: apiKey, ...TEST_TIMEOUTS });
}

// ---- clients ----

/** The bodies a client sent, in order, kept by its `fetch`. */
export class SentBodies {
  readonly bodies: string[] = [];

  /** A fetch that keeps each string body before sending it. */
  readonly fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (typeof init?.body === 'string') this.bodies.push(init.body);
    return fetch(url, init);
  };

  /** The last body with `model` changed from `from` to `to`: what a pass-through upstream gets. */
  lastWithModel(from: string, to: string): string {
    return this.bodies[this.bodies.length - 1].replace(`"model":"${from}"`, `"model":"${to}"`);
  }
}

/** The `openai` SDK on the gateway's /v1 with the master key, no retries; `options` add to those. */
export function openaiClient(gw: TestGateway, options: ClientOptions = {}): OpenAI {
  return new OpenAI({ apiKey: MASTER_KEY, baseURL: `${gw.url}/v1`, maxRetries: 0, ...options });
}

// ---- a gateway in front of one mock upstream ----

/** What providerGateway needs of a mock (test/support/mocks/recording-server.ts). */
export interface MockUpstream<Recorded> {
  readonly requests: Recorded[];
  start(): Promise<string>;
  stop(): Promise<void>;
}

export interface ProviderGatewayOptions {
  /** Event-loop threads (the test gateway's default when absent). */
  readonly threads?: number;
  /** More options for the SDK client (a fetch that keeps what it sends). */
  readonly client?: ClientOptions;
  /** Runs once the mock listens, before the gateway starts (environment the gateway reads then). */
  readonly beforeGateway?: (apiBase: string) => void;
}

export interface ProviderGateway<Recorded> {
  readonly gw: TestGateway;
  readonly client: OpenAI;
  /** The mock's api_base. */
  readonly apiBase: string;
  /** The one request the upstream received in this test (there must be exactly one). */
  only(): Recorded;
}

/**
 * Registers the suite's hooks: before its tests the mock starts, then a gateway on `config(api_base)`
 * and the SDK client; after them both stop; before each test the mock's recorded requests are
 * cleared. Call it in a `describe` body; read the gateway and client inside tests.
 */
export function providerGateway<Recorded>(
  upstream: MockUpstream<Recorded>,
  config: (apiBase: string) => string,
  options: ProviderGatewayOptions = {},
): ProviderGateway<Recorded> {
  let started: { gw: TestGateway; client: OpenAI; apiBase: string } | null = null;
  const current = () => {
    assert.ok(started !== null, 'the gateway starts before the suite’s tests');
    return started;
  };
  before(async () => {
    const apiBase = await upstream.start();
    options.beforeGateway?.(apiBase);
    const gw = await startTestGateway(config(apiBase), options.threads === undefined ? {} : { threads: options.threads });
    started = { gw, client: openaiClient(gw, options.client), apiBase };
  });
  after(async () => {
    await started?.gw.stop();
    await upstream.stop();
  });
  beforeEach(() => {
    upstream.requests.length = 0;
  });
  return {
    get gw() {
      return current().gw;
    },
    get client() {
      return current().client;
    },
    get apiBase() {
      return current().apiBase;
    },
    only() {
      assert.equal(upstream.requests.length, 1, 'one upstream request');
      return upstream.requests[0];
    },
  };
}
