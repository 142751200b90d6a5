/** What the figures were measured on, for the report header and the JSON document. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { REPO_ROOT } from './options.js';

export interface Machine {
  date: string;
  arch: string;
  cpuModel: string;
  cores: number;
  kernel: string;
  node: string;
  commit: string | null;
}

function cpuModel(): string {
  try {
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    const line = /^model name\s*:\s*(.+)$/m.exec(cpuinfo);
    if (line !== null) return line[1].trim();
  } catch {
    // Not Linux: fall through to what Node knows.
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function gitCommit(): string | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() === '' ? '' : ' (with local changes)'}`;
}

export function describeMachine(now: Date): Machine {
  return {
    date: now.toISOString(),
    arch: os.machine(),
    cpuModel: cpuModel(),
    // Not availableParallelism(): that shrinks to 1 once this process has pinned itself.
    cores: os.cpus().length,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    commit: gitCommit(),
  };
}

function cpuTimes(): Map<string, { idle: number; total: number }> {
  const times = new Map<string, { idle: number; total: number }>();
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^(cpu\d+)\s+(.+)$/.exec(line);
    if (match === null) continue;
    const fields = match[2].trim().split(/\s+/).map(Number);
    // user nice system idle iowait irq softirq steal …: idle time is idle + iowait.
    times.set(match[1], { idle: fields[3] + (fields[4] ?? 0), total: fields.slice(0, 8).reduce((a, b) => a + b, 0) });
  }
  return times;
}

/**
 * How busy each core was over `ms` while the benchmark itself sat idle: anything above a few
 * percent is other work on the machine, which makes the next figures noisy. Null off Linux.
 */
export async function backgroundBusy(ms: number): Promise<number[] | null> {
  let before;
  try {
    before = cpuTimes();
  } catch {
    return null;
  }
  await new Promise((resolve) => setTimeout(resolve, ms));
  const after = cpuTimes();
  const busy: number[] = [];
  for (const [cpu, end] of after) {
    const start = before.get(cpu);
    if (start === undefined) continue;
    const total = end.total - start.total;
    busy[Number(cpu.slice(3))] = total > 0 ? 1 - (end.idle - start.idle) / total : 0;
  }
  return busy;
}

/** Above this share of a core, other work is running (the benchmark itself is idle meanwhile). */
export const BUSY_THRESHOLD = 0.1;

/**
 * Samples background load every 0.5 s until no core is busier than BUSY_THRESHOLD or `maxWaitS`
 * has passed; resolves with the last sample (null off Linux).
 */
export async function waitForQuiet(maxWaitS: number): Promise<number[] | null> {
  const deadline = Date.now() + maxWaitS * 1000;
  for (;;) {
    const busy = await backgroundBusy(500);
    if (busy === null || Math.max(...busy) <= BUSY_THRESHOLD || Date.now() >= deadline) return busy;
  }
}
