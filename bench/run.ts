/**
 * `npm run bench`: the end-to-end gateway benchmark, then the micro-benchmarks that are built
 * (each in a child process of its own). BENCH_ONLY=e2e or BENCH_ONLY=scanner runs just one.
 * Exit status: 0 when everything that ran was valid, 1 otherwise, 2 for a bad setting.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCleanup, runChild } from './e2e/children.js';
import { runE2e } from './e2e/main.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PARTS = ['e2e', 'scanner'] as const;
type Part = (typeof PARTS)[number];

/** Micro-benchmarks run as `node dist/bench/<name>.js`, with the whole terminal to themselves. */
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
  return result.code === 0 && !result.timedOut ? 0 : 1;
}

async function main(): Promise<number> {
  const only = process.env.BENCH_ONLY ?? '';
  if (only !== '' && !(PARTS as readonly string[]).includes(only)) {
    process.stderr.write(`bench: BENCH_ONLY must be one of ${PARTS.join(', ')}, got '${only}'\n`);
    return 2;
  }
  installCleanup();
  const parts: readonly Part[] = only === '' ? PARTS : [only as Part];
  let status = 0;
  for (const part of parts) {
    const code = part === 'e2e' ? await runE2e() : await runMicro(part, only === part);
    status = Math.max(status, code);
  }
  return status;
}

process.exitCode = await main();
