/**
 * Redis for integration tests: where it is, whether it answers, one key prefix per test file,
 * and a throwaway redis-server on a free port for tests that stop and restart it. Absent Redis
 * skips the tests with a visible reason, except under AILB_REQUIRE_SERVICES=1 (.ci/run), where
 * absence fails the run. Mirrors test/support/postgres.ts.
 *
 *   const skip = await redisSkip();
 *   describe('on Redis', { skip }, () => { ... });
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';

/** `REDIS_URL`, else the local test server. */
export function redisUrl(): string {
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** Whether missing services must fail the tests instead of skipping them. */
function servicesRequired(): boolean {
  return process.env.AILB_REQUIRE_SERVICES === '1';
}

let reachable: Promise<string | null> | null = null;

/** null when Redis answers PING within 2 s, else why not (checked once per process). */
function unreachableReason(): Promise<string | null> {
  reachable ??= (async () => {
    const client = new Redis(redisUrl(), {
      lazyConnect: true,
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    let cause = '';
    client.on('error', (error: Error) => (cause = error.message));
    try {
      await client.connect();
      await client.ping();
      return null;
    } catch (error) {
      return `Redis is not reachable at ${redisUrl()} (${cause || (error as Error).message}); set REDIS_URL or start it`;
    } finally {
      client.disconnect();
    }
  })();
  return reachable;
}

/**
 * The `skip` option for Redis tests: false when Redis answers, the reason when it does not.
 * Throws instead under AILB_REQUIRE_SERVICES=1.
 */
export async function redisSkip(): Promise<string | false> {
  const reason = await unreachableReason();
  if (reason === null) return false;
  if (servicesRequired()) throw new Error(`AILB_REQUIRE_SERVICES=1 but ${reason}`);
  return reason;
}

/** A fresh key prefix, `<prefix>_<16 hex>`, unique across concurrent test processes. */
export function uniquePrefix(prefix = 'test'): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}

/**
 * Deletes every key that starts with `prefix` or with `{prefix}` (the hash-tagged form the
 * counter store uses), with SCAN + DEL, so nothing else on the server is touched.
 */
export async function deleteByPrefix(prefix: string, url = redisUrl()): Promise<number> {
  if (!/^[A-Za-z0-9_:.-]+$/.test(prefix)) throw new Error(`not a test key prefix: ${prefix}`);
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  let deleted = 0;
  try {
    for (const pattern of [`${prefix}*`, `{${prefix}}*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) deleted += await client.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    client.disconnect();
  }
  return deleted;
}

/** A port nothing listens on right now (bound to 0, then closed). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A redis-server of a test's own (no persistence) on `port`; stop() ends it and waits. */
export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server --port <port> --save "" --appendonly no` and waits until it answers. */
export async function startRedisServer(port: number): Promise<OwnRedis> {
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => child.once('error', reject));
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 5_000;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    client.on('error', () => undefined);
    try {
      await Promise.race([client.connect().then(() => client.ping()), failed]);
      break;
    } catch (error) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not start: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      client.disconnect();
    }
  }
  return {
    port,
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
