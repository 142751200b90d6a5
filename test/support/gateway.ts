/**
 * Starts a real gateway (event-loop threads and all) in the test process from a YAML config
 * written to a temp dir, the same way `ailb start --config` does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigFile } from '../../src/config/load.js';
import { createLogger, type Logger } from '../../src/log.js';
import { ControlService } from '../../src/control/service.js';
import { Gateway } from '../../src/server/gateway.js';
import { pgliteTemplate } from './pglite-template.js';
import { dropSchema, postgresUrl, uniqueSchema } from './postgres.js';

export const MASTER_KEY = 'sk-test-master-0123456789';

export interface TestGateway {
  readonly gateway: Gateway;
  /** e.g. http://127.0.0.1:12345 */
  readonly url: string;
  readonly configPath: string;
  readonly logs: string[];
  /** The control plane, when started with `store`. */
  readonly control: ControlService | null;
  stop(drainTimeoutMs?: number): Promise<void>;
}

export interface TestStoreOptions {
  readonly backend: 'pglite' | 'postgres';
  /** PostgreSQL schema to use (default: a fresh one, dropped on stop unless `keep`). */
  readonly schema?: string;
  /** PGlite directory (default: in memory). */
  readonly pgliteDir?: string;
  /** Leave the schema in place on stop (for restart tests). */
  readonly keep?: boolean;
  /** PostgreSQL server to use instead of `postgresUrl()` (a test's own server: its schema is not dropped on stop). */
  readonly databaseUrl?: string;
}

export async function startTestGateway(yaml: string, options: { threads?: number; store?: TestStoreOptions } = {}): Promise<TestGateway> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-test-'));
  const configPath = path.join(dir, 'config.yaml');
  writeFileSync(configPath, yaml);
  const { config } = loadConfigFile(configPath, { ...process.env });
  const logs: string[] = [];
  const log: Logger = createLogger({ AILB_LOG_LEVEL: 'debug' }, (line) => logs.push(line));
  const store = options.store;
  const schema = store?.backend === 'postgres' ? (store.schema ?? uniqueSchema('t_gw')) : undefined;
  const control =
    store === undefined
      ? null
      : await ControlService.open({ config, dataDir: dir, env: process.env, log, schema, databaseUrl: store.backend === 'postgres' ? (store.databaseUrl ?? postgresUrl()) : null, pgliteDir: store.pgliteDir ?? 'memory://', pgliteInitialDataDir: store.backend === 'pglite' ? await pgliteTemplate() : undefined, rotationIntervalMs: 500 });
  const gateway = await Gateway.start({ config, host: '127.0.0.1', port: 0, threads: options.threads ?? 2, version: 'test', log, control });
  return {
    gateway,
    url: `http://127.0.0.1:${gateway.port}`,
    configPath,
    logs,
    control,
    async stop(drainTimeoutMs = 2000) {
      await gateway.stop(drainTimeoutMs);
      if (schema !== undefined && store?.keep !== true && store?.databaseUrl === undefined) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A config with one OpenAI-compatible deployment per entry of `models` (public → upstream). */
export function openaiConfig(apiBase: string, models: Record<string, string> = { 'gpt-4o': 'gpt-4o-2024-08-06' }, extra = ''): string {
  const entries = Object.entries(models)
    .map(
      ([name, upstream]) => `  - model_name: ${JSON.stringify(name)}
    litellm_params:
      model: ${JSON.stringify(`openai/${upstream}`)}
      api_base: ${JSON.stringify(apiBase)}
      api_key: sk-upstream-secret
      timeout: 2
      stream_timeout: 2`,
    )
    .join('\n');
  return `model_list:
${entries}
general_settings:
  master_key: ${MASTER_KEY}
ailb_settings:
  hot_reload: false
${extra}`;
}

/** A JSON answer: status, headers and the parsed body. */
export interface JsonReply {
  status: number;
  headers: Headers;
  json: any;
}

/** POSTs `body` as JSON to the gateway's `route` with `key` as the bearer token. */
export async function postJson(gw: TestGateway, route: string, body: unknown, key: string): Promise<JsonReply> {
  const response = await fetch(`${gw.url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}
