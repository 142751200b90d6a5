/**
 * Child processes of the benchmark: every one is pinned to a core, runs in its own process group
 * (so nginx workers and other grandchildren go with it), has its output drained (a full pipe
 * would stall it mid-measurement) and is killed when this process leaves, however it leaves.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

const OUTPUT_TAIL_BYTES = 16 * 1024;

export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  hasExited(): boolean;
  /** The last 16 KiB of stdout and stderr together. */
  output(): string;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Child>();
let cleanupInstalled = false;

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** Kills every live child's process group at once; safe to call from an 'exit' handler. */
export function killAllNow(): void {
  for (const child of live) signalGroup(child.pid, 'SIGKILL');
  live.clear();
}

/**
 * Makes sure no child outlives this process: on normal exit, on SIGINT/SIGTERM/SIGHUP and on an
 * uncaught error. Idempotent.
 */
export function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping every child process\n`);
      killAllNow();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`bench: ${error.stack ?? String(error)}\n`);
    killAllNow();
    process.exit(1);
  });
}

let tasksetChecked: boolean | null = null;

export function hasTaskset(): boolean {
  if (tasksetChecked === null) {
    tasksetChecked = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;
  }
  return tasksetChecked;
}

/** Pins every thread of this process to `cpu` (no-op without taskset). */
export function pinSelf(cpu: number): boolean {
  if (!hasTaskset()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' }).status === 0;
}

export interface SpawnOptions {
  /** Core to pin to; null runs unpinned. */
  cpu: number | null;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Share this process's stdout and stderr instead of collecting the output. */
  inheritOutput?: boolean;
}

export function spawnChild(name: string, command: string, args: readonly string[], options: SpawnOptions): Child {
  installCleanup();
  const pinned = options.cpu !== null && hasTaskset();
  const file = pinned ? 'taskset' : command;
  const argv = pinned ? ['-c', String(options.cpu), command, ...args] : [...args];
  const proc: ChildProcess = spawn(file, argv, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: options.inheritOutput === true ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let tail = '';
  const collect = (chunk: Buffer) => {
    tail += chunk.toString('utf8');
    if (tail.length > OUTPUT_TAIL_BYTES * 2) tail = tail.slice(-OUTPUT_TAIL_BYTES);
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    proc.on('error', (error) => {
      tail += `\n[spawn error: ${error.message}]`;
      done = true;
      live.delete(child);
      resolve('spawn-error');
    });
    proc.on('exit', (code, signal) => {
      done = true;
      live.delete(child);
      // The leader is gone; take any member of its group that is still around with it.
      if (proc.pid !== undefined) signalGroup(proc.pid, 'SIGKILL');
      resolve(code ?? signal ?? 'unknown');
    });
  });
  const child: Child = {
    name,
    pid: proc.pid ?? -1,
    exited,
    hasExited: () => done,
    output: () => tail.slice(-OUTPUT_TAIL_BYTES),
    async stop(graceMs = 5000) {
      if (done || proc.pid === undefined) return;
      signalGroup(proc.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(proc.pid as number, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  if (proc.pid !== undefined) live.add(child);
  return child;
}

/** Runs a child to completion, killing it after `timeoutMs`. */
export async function runChild(
  name: string,
  command: string,
  args: readonly string[],
  options: SpawnOptions & { timeoutMs: number },
): Promise<{ code: number | string; output: string; timedOut: boolean }> {
  const child = spawnChild(name, command, args, options);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.stop(2000);
  }, options.timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, output: child.output(), timedOut };
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One request on a fresh connection (no pooling, so nothing lingers into the measurement). */
export function httpRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | null,
  timeoutMs = 5000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method, path, headers, agent: false, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(body ?? undefined);
  });
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until `port` accepts connections and `ready()` (if given) says yes. Fails with the child's
 * output if it exits first or `timeoutMs` passes.
 */
export async function waitReady(child: Child, port: number, timeoutMs: number, ready?: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) {
      throw new Error(`${child.name} exited before it was ready (code ${await child.exited}):\n${indent(child.output())}`);
    }
    if ((ready === undefined || ready()) && (await tcpAccepts(port))) return;
    await sleep(50);
  }
  throw new Error(`${child.name} was not ready on port ${port} within ${timeoutMs} ms:\n${indent(child.output())}`);
}

export function indent(text: string): string {
  const lines = text.trimEnd().split('\n').slice(-20);
  return lines.map((line) => `    ${line}`).join('\n');
}

const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system) used so far by every live process in group `pgid`, from /proc;
 * null off Linux. Taken before and after a run, it gives the contender's own CPU cost per request,
 * which other work on the machine disturbs far less than latency or throughput.
 */
export function groupCpuSeconds(pgid: number): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  let ticks = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state ppid pgrp … utime(14) stime(15).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / TICKS_PER_SECOND;
}
