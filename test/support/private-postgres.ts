/**
 * A throwaway PostgreSQL server of a test's own, for tests that crash and restart the database:
 * `initdb` into a fresh temp dir (trust auth), a postmaster listening only on 127.0.0.1:<free
 * port> with its unix socket in that dir and fsync on. `kill()` is a crash (SIGKILL to the
 * postmaster and its backends, nothing flushed, no shutdown checkpoint); `restart()` starts it
 * again on the same data dir and port, so crash recovery replays the WAL; `stop()` is a clean
 * shutdown and removes the dir. PostgreSQL refuses to run as root, so under root the server runs
 * as the `postgres` OS user, which then owns the dir.
 *
 * Absent binaries (initdb, postgres) skip the test with a visible reason, except under
 * AILB_REQUIRE_SERVICES=1, where absence fails the run (as test/support/postgres.ts does).
 *
 *   const skip = await privatePostgresSkip();
 *   const pg = await startPrivatePostgres();   // pg.url
 *   await pg.kill(); await pg.restart(); await pg.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { servicesRequired } from './postgres.js';
import { freePort } from './redis.js';

/** Where the binaries are looked for, first match wins: PG_BIN, /usr/local/bin, then PATH. */
function binDirs(): string[] {
  const dirs = [process.env.PG_BIN, '/usr/local/bin', ...(process.env.PATH ?? '').split(path.delimiter)];
  return dirs.filter((dir): dir is string => dir !== undefined && dir !== '');
}

function findBinary(name: string): string | null {
  for (const dir of binDirs()) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

let identity: { uid: number; gid: number } | null | undefined;

/** The uid and gid the server runs as: none when not root, else the `postgres` user's (throws when there is none). */
function serverIdentity(): { uid: number; gid: number } | null {
  if (identity !== undefined) return identity;
  if (process.getuid?.() !== 0) return (identity = null);
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  return (identity = { uid: id('-u'), gid: id('-g') });
}

/** null when initdb and postgres are there (and, under root, the postgres user), else why not. */
function unavailableReason(): string | null {
  const missing = ['initdb', 'postgres'].filter((name) => findBinary(name) === null);
  if (missing.length > 0) return `PostgreSQL server binaries not found (${missing.join(', ')}) in ${binDirs().slice(0, 2).join(', ')} or PATH; set PG_BIN or install them`;
  try {
    serverIdentity();
  } catch {
    return 'running as root and there is no `postgres` OS user to run a private PostgreSQL server as';
  }
  return null;
}

/**
 * The `skip` option for tests that need a private server: false when one can be started, the
 * reason when not. Throws instead under AILB_REQUIRE_SERVICES=1.
 */
export async function privatePostgresSkip(): Promise<string | false> {
  const reason = unavailableReason();
  if (reason === null) return false;
  if (servicesRequired()) throw new Error(`AILB_REQUIRE_SERVICES=1 but ${reason}`);
  return reason;
}

export interface PrivatePostgres {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  /** The server's output so far (its last 64 KB, over every start), for failure messages. */
  output(): string;
  /** SIGKILL to the postmaster and its backends: a crash. Resolves once the postmaster has exited. */
  kill(): Promise<void>;
  /** Starts the server again on the same data dir and port (crash recovery runs); resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Clean shutdown (fast), then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_LIMIT = 64 * 1024;

/** Runs a binary as the server's user, with its output captured; rejects with that output on failure. */
function runAs(file: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...(serverIdentity() ?? {}) });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(file)} exited with ${code}: ${output}`))));
  });
}

/** Resolves once `SELECT 1` succeeds (startup and crash recovery answer 57P03 until done). */
async function waitUntilReady(url: string, exited: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (exited()) throw new Error(`the private PostgreSQL server exited while starting (${(error as Error).message}):\n${output()}`);
      if (Date.now() > deadline) throw new Error(`the private PostgreSQL server did not accept connections within ${READY_TIMEOUT_MS} ms (${(error as Error).message}):\n${output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/** initdb into a fresh temp dir, then starts the server on a free port and waits until it answers. */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const initdb = findBinary('initdb');
  const postgres = findBinary('postgres');
  if (initdb === null || postgres === null) throw new Error(unavailableReason() ?? 'PostgreSQL binaries not found');
  const owner = serverIdentity();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-private-pg-'));
  if (owner !== null) chownSync(dir, owner.uid, owner.gid);
  const dataDir = path.join(dir, 'data');
  // --no-sync: only initdb's own final fsync is skipped; a process crash keeps the page cache, and the server itself runs with fsync on.
  await runAs(initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], dir).catch((error: Error) => {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const args = [
    '-D', dataDir,
    '-p', String(port),
    '-c', 'listen_addresses=127.0.0.1',
    '-c', `unix_socket_directories=${dir}`,
    '-c', 'fsync=on',
    '-c', 'synchronous_commit=on',
    '-c', 'full_page_writes=on',
    '-c', 'logging_collector=off',
  ];

  let output = '';
  const record = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > OUTPUT_LIMIT) output = output.slice(-OUTPUT_LIMIT);
  };
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let removed = false;
  // Should the test process end without stop(), the server must not outlive it.
  const killOnExit = () => {
    if (child !== null && child.exitCode === null && child.signalCode === null) crash(child);
  };
  process.once('exit', killOnExit);

  async function launch(): Promise<void> {
    const started = spawn(postgres!, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], ...(owner ?? {}) });
    started.stdout!.on('data', record);
    started.stderr!.on('data', record);
    let gone = false;
    exited = new Promise<void>((resolve) => {
      started.once('exit', () => resolve());
      started.once('error', (error) => {
        record(Buffer.from(`could not start postgres: ${error.message}\n`));
        resolve();
      });
    }).then(() => {
      gone = true;
    });
    child = started;
    await waitUntilReady(url, () => gone, () => output);
  }

  function running(): ChildProcess | null {
    return child !== null && child.exitCode === null && child.signalCode === null ? child : null;
  }

  await launch().catch(async (error: unknown) => {
    const alive = running();
    if (alive !== null) crash(alive);
    await exited;
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });

  return {
    port,
    url,
    output: () => output,
    async kill() {
      const alive = running();
      if (alive === null) throw new Error('the private PostgreSQL server is not running');
      crash(alive);
      await exited;
    },
    async restart() {
      if (running() !== null) throw new Error('the private PostgreSQL server is still running: kill() it first');
      await launch();
    },
    async stop() {
      if (removed) return;
      removed = true;
      const alive = running();
      if (alive !== null) {
        alive.kill('SIGINT'); // fast shutdown: ends sessions, writes a checkpoint
        const timer = setTimeout(() => crash(alive), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** A process's fields after its name in /proc/<pid>/stat (state, ppid, …); null when it cannot be read. */
function statFields(pid: number | string): string[] | null {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Spins (at most 1 s) until SIGSTOP has taken effect: a signal is delivered asynchronously. */
function waitUntilStopped(pid: number): void {
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    const state = statFields(pid)?.[0];
    if (state === undefined || state === 'T' || state === 't' || state === 'Z') return;
  }
}

/** The pids whose parent is `parent`, from /proc (Linux); none where /proc cannot be read. */
function childrenOf(parent: number): number[] {
  const children: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    if (Number(statFields(entry)?.[1]) === parent) children.push(Number(entry));
  }
  return children;
}

/**
 * A crash: SIGKILL to every backend and then to the postmaster. Each backend calls setsid(), so a
 * process-group kill would miss them; and a backend that outlives the postmaster even briefly
 * hears of its death (PR_SET_PDEATHSIG) and ends its session politely, after the statement at
 * hand. The postmaster is stopped (SIGSTOP) first, so it forks none behind the list's back.
 */
function crash(child: ChildProcess): void {
  const postmaster = child.pid;
  if (postmaster === undefined) return; // never started
  signal(postmaster, 'SIGSTOP');
  waitUntilStopped(postmaster);
  for (const pid of childrenOf(postmaster)) signal(pid, 'SIGKILL');
  signal(postmaster, 'SIGKILL');
}
