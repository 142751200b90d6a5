/**
 * `npm run bench`: the end-to-end gateway benchmark, then every micro-benchmark — a top-level
 * bench/<name>.ts, built to dist/bench/<name>.js — each in a child process of its own.
 * BENCH_ONLY=e2e, BENCH_ONLY=<name> or a comma-separated list runs just those.
 * Exit status: 0 when everything that ran was valid, 1 otherwise, 2 for a bad setting.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanup, runChild } from './e2e/children.js';
import { runE2e } from './e2e/main.js';
import { REPO_ROOT } from './e2e/options.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE_DIR = path.join(REPO_ROOT, 'bench');

/** Micro-benchmarks by name: the sources, so that a stale build of a deleted one never runs. */
function microBenchmarks(): string[] {
  return readdirSync(SOURCE_DIR)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && file !== 'run.ts')
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

/** Runs `node dist/bench/<name>.js` with the terminal to itself. */
async function runMicro(name: string, required: boolean): Promise<number> {
  const file = path.join(HERE, `${name}.js`);
  if (!existsSync(file)) {
    process.stderr.write(`bench: ${name}: ${path.relative(process.cwd(), file)} is not built${required ? '' : ', skipped'}\n`);
    return required ? 1 : 0;
  }
  process.stderr.write(`bench: ${name}: node ${path.relative(process.cwd(), file)}\n`);
  const raw = process.env.BENCH_MICRO_TIMEOUT_S ?? '900';
  const timeoutS = /^\d+$/.test(raw) && Number(raw) > 0 ? Number(raw) : 900;
  const result = await runChild(name, process.execPath, [file], { cpu: null, timeoutMs: timeoutS * 1000, inheritOutput: true });
  if (result.timedOut) process.stderr.write(`bench: ${name}: stopped after ${timeoutS} s\n`);
  else if (result.code !== 0) process.stderr.write(`bench: ${name}: exited with ${result.code}\n`);
  return result.code === 0 && !result.timedOut ? 0 : 1;
}

async function main(): Promise<number> {
  const known = ['e2e', ...microBenchmarks()];
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
  const unknown = only.filter((part) => !known.includes(part));
  if (unknown.length > 0) {
    process.stderr.write(`bench: BENCH_ONLY: unknown '${unknown.join(', ')}' (known: ${known.join(', ')})\n`);
    return 2;
  }
  installCleanup();
  const parts = only.length === 0 ? known : known.filter((part) => only.includes(part));
  let status = 0;
  for (const part of parts) {
    const code = part === 'e2e' ? await runE2e() : await runMicro(part, only.includes(part));
    status = Math.max(status, code);
  }
  return status;
}

process.exitCode = await main();
