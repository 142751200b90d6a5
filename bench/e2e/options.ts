/**
 * The benchmark's knobs, read once from the environment and validated: a bad value stops the run
 * before anything starts, naming the variable.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: this file runs as dist/bench/e2e/options.js. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export const CONTENDER_NAMES = ['direct', 'nginx', 'ailb', 'ailb-nocount', 'ailb-vkey', 'ailb-10', 'ailb-full', 'ailb-full-pg', 'ailb-anthropic', 'floor', 'portkey'] as const;
export type ContenderName = (typeof CONTENDER_NAMES)[number];

export interface E2eOptions {
  /** Seconds of each measured wrk run (c=1 and c=N alike). */
  durationS: number;
  /** Seconds of load sent to a fresh contender before measuring, at c=N and then again at c=1. */
  warmupS: number;
  /** Connections of the throughput run. */
  connections: number;
  /** wrk's --timeout: a slower response is an error (wrk's default of 2 s is below a slow gateway's c=64 tail). */
  wrkTimeoutS: number;
  /** Longest wait, before each trial, for other work on the machine to stop (0: no wait). */
  quietWaitS: number;
  /** Fresh starts of every contender; rounds alternate the contender order. */
  rounds: number;
  contenders: readonly ContenderName[];
  upstream: 'auto' | 'nginx' | 'uws';
  /** Core that runs the proxy under test. */
  proxyCpu: number;
  /** Core shared by the load generator, the upstream and this orchestrator. */
  loadCpu: number;
  outDir: string;
}

export class OptionsError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new OptionsError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

export function readOptions(env: NodeJS.ProcessEnv = process.env): E2eOptions {
  const contendersRaw = env.BENCH_CONTENDERS ?? '';
  const contenders =
    contendersRaw.trim() === ''
      ? CONTENDER_NAMES
      : contendersRaw.split(',').map((name) => {
          const trimmed = name.trim();
          if (!(CONTENDER_NAMES as readonly string[]).includes(trimmed)) {
            throw new OptionsError(`BENCH_CONTENDERS: unknown contender '${trimmed}' (known: ${CONTENDER_NAMES.join(', ')})`);
          }
          return trimmed as ContenderName;
        });
  const upstream = env.BENCH_UPSTREAM ?? 'auto';
  if (upstream !== 'auto' && upstream !== 'nginx' && upstream !== 'uws') {
    throw new OptionsError(`BENCH_UPSTREAM must be auto, nginx or uws, got '${upstream}'`);
  }
  return {
    durationS: integer(env, 'BENCH_DURATION_S', 10, 1, 600),
    warmupS: integer(env, 'BENCH_WARMUP_S', 2, 0, 600),
    connections: integer(env, 'BENCH_CONNECTIONS', 64, 1, 10000),
    wrkTimeoutS: integer(env, 'BENCH_WRK_TIMEOUT_S', 10, 1, 60),
    rounds: integer(env, 'BENCH_ROUNDS', 3, 1, 20),
    quietWaitS: integer(env, 'BENCH_QUIET_WAIT_S', 15, 0, 3600),
    contenders,
    upstream,
    proxyCpu: integer(env, 'BENCH_PROXY_CPU', 0, 0, 4095),
    loadCpu: integer(env, 'BENCH_LOAD_CPU', 1, 0, 4095),
    outDir: env.BENCH_OUT_DIR ?? path.join(REPO_ROOT, 'bench', 'out'),
  };
}
