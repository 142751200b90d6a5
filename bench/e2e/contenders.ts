/**
 * The contenders: what each one is, whether it is installed here, how to start a fresh instance
 * of it with one worker on the proxy core, and which headers a client sends it. Every contender
 * forwards to the same zero-delay upstream.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, spawnChild, waitReady, type Child } from './children.js';
import { MASTER_KEY, MODEL, UPSTREAM_KEY } from './fixtures.js';
import { findNginx, nginxVersion, proxyConfig, startNginx } from './nginx.js';
import { REPO_ROOT, type ContenderName } from './options.js';

export interface Environment {
  upstreamPort: number;
  proxyCpu: number | null;
  /** A directory of its own for this instance. */
  workDir: string;
}

export interface Running {
  port: number;
  /** Process group of the contender, for its CPU use (null for direct, which has no process). */
  pgid: number | null;
  /** Milliseconds from spawn until it accepted connections (null for direct). */
  startMs: number | null;
  /** What the process said about its own start, when it says something. */
  startNote: string | null;
  stop(): Promise<void>;
}

export interface Contender {
  readonly name: ContenderName;
  readonly label: string;
  /** Null when installed; otherwise why it cannot run here. */
  missing(): string | null;
  version(): string;
  /** Headers a client sends this contender, besides Content-Type. */
  headers(env: Environment): Record<string, string>;
  start(env: Environment): Promise<Running>;
}

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { version?: string };

async function startTimed(child: Child, port: number, timeoutMs: number, ready?: () => boolean): Promise<Running> {
  const started = performance.now();
  try {
    await waitReady(child, port, timeoutMs, ready);
  } catch (error) {
    await child.stop(1000);
    throw error;
  }
  return { port, pgid: child.pid, startMs: performance.now() - started, startNote: null, stop: () => child.stop() };
}

const direct: Contender = {
  name: 'direct',
  label: 'direct (no proxy)',
  missing: () => null,
  version: () => '-',
  headers: () => ({ Authorization: `Bearer ${UPSTREAM_KEY}` }),
  start: async (env) => ({ port: env.upstreamPort, pgid: null, startMs: null, startNote: null, stop: async () => {} }),
};

const nginxBinary = findNginx();

const nginx: Contender = {
  name: 'nginx',
  label: 'nginx proxy_pass',
  missing: () => (nginxBinary === null ? 'not installed (no nginx binary)' : null),
  version: () => (nginxBinary === null ? '-' : nginxVersion(nginxBinary)),
  headers: () => ({ Authorization: `Bearer ${UPSTREAM_KEY}` }),
  async start(env) {
    const port = await freePort();
    const started = performance.now();
    const child = await startNginx('nginx proxy', nginxBinary as string, env.workDir, proxyConfig(env.workDir, port, env.upstreamPort), port, env.proxyCpu);
    return { port, pgid: child.pid, startMs: performance.now() - started, startNote: null, stop: () => child.stop() };
  },
};

const AILB_CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli.js');

/** The gateway's config: one model group on the upstream, a master key, nothing reloading. */
export function ailbConfig(upstreamPort: number, countPromptTokens = true, deployments = 1, spendLogs = false, provider: 'openai' | 'anthropic' = 'openai'): string {
  // Several deployments of one model group (ids set: identical entries would share a derived id):
  // the router picks among them (simple-shuffle). An anthropic deployment translates every call
  // (OpenAI chat in, Anthropic Messages upstream, chat.completion back).
  const apiBase = provider === 'openai' ? `http://127.0.0.1:${upstreamPort}/v1` : `http://127.0.0.1:${upstreamPort}`;
  const entry = (i: number) => `  - model_name: ${MODEL}
    litellm_params: { model: ${provider}/${MODEL}, api_base: "${apiBase}", api_key: ${UPSTREAM_KEY} }
    model_info: { id: bench-${i}, input_cost_per_token: 0.0000025, output_cost_per_token: 0.00001 }
`;
  return `model_list:
${Array.from({ length: deployments }, (_, i) => entry(i)).join('')}general_settings: { master_key: ${MASTER_KEY}, disable_spend_logs: ${!spendLogs} }
ailb_settings: { hot_reload: false, count_prompt_tokens: ${countPromptTokens} }
`;
}

/**
 * The embedded store every AILB trial of this run shares: the first start creates it (several
 * seconds, once), later fresh processes reopen it, as a restarted gateway does.
 */
const SHARED_DATA_DIR = path.join(os.tmpdir(), `ailb-bench-data-${process.pid}`);
process.on('exit', () => rmSync(SHARED_DATA_DIR, { recursive: true, force: true }));

/** The virtual key the `ailb-vkey` contender authenticates with (created through /key/generate). */
export const VIRTUAL_KEY = 'sk-bench-virtual-key-0123456789abcdefghijklmnopqrstuv';

interface AilbVariant {
  /** false measures what the prompt count costs. */
  readonly countPromptTokens: boolean;
  /** Authenticate with VIRTUAL_KEY (made with `keyFields`) instead of the master key. */
  readonly virtualKey: boolean;
  /** Deployments in the model group. */
  readonly deployments: number;
  /** Extra /key/generate fields for the virtual key (limits, budget). */
  readonly keyFields?: Record<string, unknown>;
  /** Write a spend-log row per request (off elsewhere: see README, "AILB config"). */
  readonly spendLogs?: boolean;
  /** The deployments' provider: anthropic measures the translating path. */
  readonly provider?: 'openai' | 'anthropic';
  /** The store: the embedded PGlite (default), or the PostgreSQL server at BENCH_DATABASE_URL. */
  readonly store?: 'pglite' | 'postgres';
}

/** The PostgreSQL server the `ailb-full-pg` contender stores in, and the schema it gets (dropped first). */
const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BENCH_SCHEMA = 'ailb_bench';
let schemaReset: Promise<void> | null = null;

/** Drops the benchmark schema once per run, so the first trial creates it and later ones reuse it. */
function resetBenchSchema(): Promise<void> {
  schemaReset ??= (async () => {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: BENCH_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${BENCH_SCHEMA} CASCADE`);
    } finally {
      await client.end();
    }
  })();
  return schemaReset;
}

/** AILB with one thread, in one of the variants above. */
function ailbContender(name: 'ailb' | 'ailb-nocount' | 'ailb-vkey' | 'ailb-10' | 'ailb-full' | 'ailb-full-pg' | 'ailb-anthropic', label: string, variant: AilbVariant): Contender {
  const key = variant.virtualKey ? (variant.keyFields === undefined ? VIRTUAL_KEY : FULL_KEY) : MASTER_KEY;
  return {
    name,
    label,
    missing: () => (existsSync(AILB_CLI) ? null : 'not built (no dist/src/cli.js; run npx tsc -p tsconfig.json)'),
    version: () => readJson(path.join(REPO_ROOT, 'package.json')).version ?? '?',
    headers: () => ({ Authorization: `Bearer ${key}` }),
    async start(env) {
      const port = await freePort();
      const configPath = path.join(env.workDir, 'config.yaml');
      writeFileSync(configPath, ailbConfig(env.upstreamPort, variant.countPromptTokens, variant.deployments, variant.spendLogs ?? false, variant.provider ?? 'openai'));
      const dataDir = SHARED_DATA_DIR;
      mkdirSync(dataDir, { recursive: true });
      const storeEnv: Record<string, string> = {};
      if (variant.store === 'postgres') {
        await resetBenchSchema();
        storeEnv.DATABASE_URL = BENCH_DATABASE_URL;
        storeEnv.AILB_DATABASE_SCHEMA = BENCH_SCHEMA;
      }
      const child = spawnChild(
        'ailb',
        process.execPath,
        [AILB_CLI, 'start', '--config', configPath, '--port', String(port), '--host', '127.0.0.1', '--threads', '1'],
        { cpu: env.proxyCpu, cwd: env.workDir, env: { ...process.env, AILB_DATA_DIR: dataDir, ...storeEnv } },
      );
      const readyLine = () => /ready in \d+ ms/.test(child.output());
      const running = await startTimed(child, port, 60_000, readyLine);
      const said = /ready in (\d+) ms/.exec(child.output());
      if (variant.virtualKey) await ensureVirtualKey(port, key, variant.keyFields ?? {});
      return { ...running, startNote: said === null ? null : `reports ready in ${said[1]} ms` };
    },
  };
}

/**
 * The key of the every-feature contender: rate limits, parallel limit and a budget that the run
 * never reaches, so every request reserves and settles on all of them, is priced, and is logged.
 */
export const FULL_KEY = 'sk-bench-full-key-0123456789abcdefghijklmnopqrstuvwx';
export const FULL_KEY_FIELDS = { rpm_limit: 1_000_000_000, tpm_limit: 1_000_000_000_000, max_parallel_requests: 100_000, max_budget: 1_000_000_000 };

/** Creates a virtual key in the shared store (an earlier trial may have created it already). */
async function ensureVirtualKey(port: number, key: string, fields: Record<string, unknown>): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/key/generate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key, key_alias: key === FULL_KEY ? 'bench-full' : 'bench', models: [MODEL], ...fields }),
  });
  if (response.status !== 200 && response.status !== 409) {
    throw new Error(`could not create the benchmark's virtual key: ${response.status} ${await response.text()}`);
  }
}

const ailb = ailbContender('ailb', 'AILB --threads 1', { countPromptTokens: true, virtualKey: false, deployments: 1 });
const ailbNoCount = ailbContender('ailb-nocount', 'AILB --threads 1, prompt counting off', { countPromptTokens: false, virtualKey: false, deployments: 1 });
const ailbVirtualKey = ailbContender('ailb-vkey', 'AILB --threads 1, virtual key', { countPromptTokens: true, virtualKey: true, deployments: 1 });
const ailbTen = ailbContender('ailb-10', 'AILB --threads 1, 10 deployments', { countPromptTokens: true, virtualKey: false, deployments: 10 });
const ailbFull = ailbContender('ailb-full', 'AILB --threads 1, every feature (virtual key with limits and budget, 10 deployments)', {
  countPromptTokens: true,
  virtualKey: true,
  deployments: 10,
  keyFields: FULL_KEY_FIELDS,
  spendLogs: true,
});

const ailbFullPostgres = ailbContender('ailb-full-pg', 'AILB --threads 1, every feature, store on PostgreSQL', {
  countPromptTokens: true,
  virtualKey: true,
  deployments: 10,
  keyFields: FULL_KEY_FIELDS,
  spendLogs: true,
  store: 'postgres',
});

const ailbAnthropic = ailbContender('ailb-anthropic', 'AILB --threads 1, translated (OpenAI chat in, Anthropic upstream)', {
  countPromptTokens: true,
  virtualKey: false,
  deployments: 1,
  provider: 'anthropic',
});

const FLOOR_SCRIPT = path.join(REPO_ROOT, 'dist', 'bench', 'e2e', 'runtime-floor.js');

/** uWS.js and the gateway's upstream client with no pipeline (runtime-floor.ts): AILB's ceiling. */
const floor: Contender = {
  name: 'floor',
  label: 'runtime floor (uWS.js + upstream client, no pipeline)',
  missing: () => (existsSync(FLOOR_SCRIPT) ? null : 'not built (no dist/bench/e2e/runtime-floor.js; run npx tsc -p tsconfig.json)'),
  version: () => readJson(path.join(REPO_ROOT, 'package.json')).version ?? '?',
  headers: () => ({ Authorization: `Bearer ${UPSTREAM_KEY}` }),
  async start(env) {
    const port = await freePort();
    const child = spawnChild('floor', process.execPath, [FLOOR_SCRIPT, String(port), String(env.upstreamPort)], { cpu: env.proxyCpu, cwd: env.workDir });
    return startTimed(child, port, 30_000);
  },
};

const PORTKEY_DIR = path.join(REPO_ROOT, 'node_modules', '@portkey-ai', 'gateway');
const PORTKEY_BIN = path.join(PORTKEY_DIR, 'build', 'start-server.js');

const portkey: Contender = {
  name: 'portkey',
  label: 'Portkey gateway',
  missing: () => (existsSync(PORTKEY_BIN) ? null : 'not installed (no node_modules/@portkey-ai/gateway)'),
  version: () => readJson(path.join(PORTKEY_DIR, 'package.json')).version ?? '?',
  // Portkey takes the provider and its base URL per request; the Authorization header is the
  // upstream key, forwarded as is. 127.0.0.1 is on its default list of trusted custom hosts.
  headers: (env) => ({
    Authorization: `Bearer ${UPSTREAM_KEY}`,
    'x-portkey-provider': 'openai',
    'x-portkey-custom-host': `http://127.0.0.1:${env.upstreamPort}/v1`,
  }),
  async start(env) {
    const port = await freePort();
    // It takes only --port=N (with '='); --headless leaves out the log UI. It has no host flag and
    // listens on every interface; the benchmark only talks to it on 127.0.0.1.
    const child = spawnChild('portkey', process.execPath, [PORTKEY_BIN, `--port=${port}`, '--headless'], {
      cpu: env.proxyCpu,
      cwd: env.workDir,
    });
    return startTimed(child, port, 30_000);
  },
};

export const CONTENDERS: Record<ContenderName, Contender> = {
  direct,
  nginx,
  ailb,
  'ailb-nocount': ailbNoCount,
  'ailb-vkey': ailbVirtualKey,
  'ailb-10': ailbTen,
  'ailb-full': ailbFull,
  'ailb-full-pg': ailbFullPostgres,
  'ailb-anthropic': ailbAnthropic,
  floor,
  portkey,
};
