/**
 * Gateway instances as separate `ailb start` processes (each with its own native counters, as
 * separate machines would have), on one PostgreSQL schema, for the multi-instance tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep } from './mock-openai.js';
import { postgresUrl } from './postgres.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface Instance {
  readonly child: ChildProcess;
  readonly url: string;
  /** The `ready in N ms` the process printed. */
  readonly readyMs: number;
  readonly output: () => string;
}

/** Starts `ailb start` with two threads on a free port; `env` is added to the process's. */
export async function startInstance(configPath: string, schema: string, dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<Instance> {
  const child = spawn(process.execPath, [CLI, 'start', '--config', configPath, '--port', '0', '--host', '127.0.0.1', '--threads', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATABASE_URL: postgresUrl(), AILB_DATABASE_SCHEMA: schema, AILB_DATA_DIR: dataDir, ...env },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; i < 1200; i++) {
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
    const ready = /ready in (\d+) ms/.exec(output);
    if (port && ready) return { child, url: `http://127.0.0.1:${port[1]}`, readyMs: Number(ready[1]), output: () => output };
    if (child.exitCode !== null) break;
    await sleep(25);
  }
  child.kill('SIGKILL');
  throw new Error(`gateway did not start:\n${output}`);
}

/** SIGTERM, then waits for the process to exit. */
export async function stopInstance(instance: Instance): Promise<void> {
  if (instance.child.exitCode !== null) return;
  const exited = new Promise((resolve) => instance.child.once('exit', resolve));
  instance.child.kill('SIGTERM');
  await exited;
}
