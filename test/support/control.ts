/**
 * A real ControlPlane over a real store (PGlite in memory, or PostgreSQL in a schema of its own),
 * driven in-process with AdminRequests: what the management-route tests use below the HTTP layer.
 * (The HTTP end-to-end tests start a whole gateway instead, see gateway.ts.)
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parseConfigText } from '../../src/config/load.js';
import type { GatewayConfig } from '../../src/config/types.js';
import { ControlPlane } from '../../src/control/control-plane.js';
import type { AdminMethod, AdminRouteDef, InvalidationScope } from '../../src/control/types.js';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { MASTER_KEY } from './gateway.js';
import { pgliteTemplate } from './pglite-template.js';

export type Backend = 'pglite' | 'postgres';

export const POSTGRES_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestControlPlane {
  readonly cp: ControlPlane;
  readonly store: Store;
  /** Every invalidation the control plane asked for, in order. */
  readonly invalidations: InvalidationScope[];
  /** The clock the control plane reads; tests may move it. */
  clock: Date;
  call(method: AdminMethod, path: string, options?: { key?: string; body?: unknown; query?: Record<string, string>; changedBy?: string }): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

const DEFAULT_YAML = `model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", api_key: sk-upstream }
general_settings:
  master_key: ${MASTER_KEY}
`;

export async function startControlPlane(backend: Backend, routes: readonly AdminRouteDef[], yaml = DEFAULT_YAML): Promise<TestControlPlane> {
  const schema = `t_cp_${randomBytes(6).toString('hex')}`;
  const store = await openStore({
    databaseUrl: backend === 'postgres' ? POSTGRES_URL : null,
    dataDir: 'memory://',
    schema,
    pgliteInitialDataDir: backend === 'pglite' ? await pgliteTemplate() : undefined,
  });
  const config: GatewayConfig = parseConfigText(yaml, 'test-config.yaml', { ...process.env }).config;
  const invalidations: InvalidationScope[] = [];
  let callCount = 0;
  const handle: TestControlPlane = {
    cp: null as unknown as ControlPlane,
    store,
    invalidations,
    clock: new Date(),
    async call(method, path, options = {}) {
      const response = await handle.cp.handle({
        method,
        path,
        query: options.query ?? {},
        body: options.body === undefined ? '' : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
        presentedKey: options.key ?? MASTER_KEY,
        changedBy: options.changedBy ?? null,
        clientIp: '127.0.0.1',
        callId: `test-call-${++callCount}`,
      });
      return { status: response.status, json: JSON.parse(response.body) };
    },
    async close() {
      await store.close();
      if (backend === 'postgres') {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    },
  };
  (handle as { cp: ControlPlane }).cp = new ControlPlane({
    store,
    config: () => config,
    log: createLogger({ AILB_LOG_LEVEL: 'error' }, () => {}),
    routes,
    invalidate: async (scope) => {
      invalidations.push(scope);
    },
    reloadModels: async () => {},
    now: () => handle.clock,
    allowMissingRoutes: true,
  });
  return handle;
}
