/**
 * Loading ioredis leaves String.prototype in V8's dictionary mode (its `class VerbatimString
 * extends String`), which makes every string method call in optimised code a generic lookup;
 * src/limits/redis-counters.ts, where the request threads load ioredis, turns it fast again. Each
 * case runs in a fresh process with V8's natives syntax, which can ask. Should the first case fail,
 * ioredis no longer does this and the statement in redis-counters.ts can go.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

/** Whether String.prototype has fast properties after `loading` runs in a fresh process. */
function fastAfter(loading: string): boolean {
  const script = `${loading}\nprocess.stdout.write(String(%HasFastProperties(String.prototype)));`;
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../../..', import.meta.url)) });
  return out.trim() === 'true';
}

const redisCounters = new URL('../../src/limits/redis-counters.js', import.meta.url).href;

test('ioredis alone leaves String.prototype in dictionary mode', () => {
  assert.equal(fastAfter("await import('ioredis');"), false);
});

test('loading the Redis counter store turns String.prototype fast again', () => {
  assert.equal(fastAfter(`await import(${JSON.stringify(redisCounters)});`), true);
});
