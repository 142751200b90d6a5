import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type LoadResult } from '../../src/config/load.js';
import { watchConfig } from '../../src/config/watch.js';

const config = (drain: number): string => `ailb_settings: {drain_timeout_s: ${drain}}\n`;

/** Replaces the file the way editors save: write a sibling, then rename it over the original. */
function saveByRename(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.hrtime.bigint()}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Collects watcher callbacks and lets a test wait for the next one. */
function recorder() {
  const events: Array<{ kind: 'change'; result: LoadResult } | { kind: 'error'; err: Error }> = [];
  let wake: (() => void) | null = null;
  const push = (e: (typeof events)[number]) => {
    events.push(e);
    wake?.();
  };
  return {
    events,
    onChange: (result: LoadResult) => push({ kind: 'change', result }),
    onError: (err: Error) => push({ kind: 'error', err }),
    /** Resolves once `count` events have arrived, or rejects after `ms`. */
    async waitFor(count: number, ms = 3000): Promise<void> {
      const deadline = Date.now() + ms;
      while (events.length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for event ${count}; have ${events.length}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('an edited config is reloaded; an invalid edit reports an error and a later fix reloads again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ailb-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, config(1));

  const rec = recorder();
  const watcher = watchConfig(path, rec.onChange, rec.onError, { env: {}, debounceMs: 30 });
  t.after(() => watcher.close());

  saveByRename(path, config(2));
  await rec.waitFor(1);
  const first = rec.events[0];
  assert.equal(first.kind, 'change');
  assert.equal(first.kind === 'change' && first.result.config.ailbSettings.drainTimeoutS, 2);

  saveByRename(path, 'ailb_settings: {drain_timeout_s: -5}\n');
  await rec.waitFor(2);
  const second = rec.events[1];
  assert.equal(second.kind, 'error');
  assert.ok(second.kind === 'error' && second.err instanceof ConfigError);
  assert.match(second.kind === 'error' ? second.err.message : '', /ailb_settings\.drain_timeout_s/);

  writeFileSync(path, config(3));
  await rec.waitFor(3);
  const third = rec.events[2];
  assert.equal(third.kind === 'change' && third.result.config.ailbSettings.drainTimeoutS, 3);
});

test('a burst of writes gives one reload, and saves without changes give none', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ailb-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, config(1));

  const rec = recorder();
  const watcher = watchConfig(path, rec.onChange, rec.onError, { env: {}, debounceMs: 80 });
  t.after(() => watcher.close());

  writeFileSync(path, config(1));
  writeFileSync(join(dir, 'other.txt'), 'unrelated');
  await sleep(300);
  assert.equal(rec.events.length, 0);

  for (let i = 5; i <= 8; i++) writeFileSync(path, config(i));
  await rec.waitFor(1);
  await sleep(300);
  assert.equal(rec.events.length, 1);
  const only = rec.events[0];
  assert.equal(only.kind === 'change' && only.result.config.ailbSettings.drainTimeoutS, 8);
});

test('no callback runs after close', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ailb-watch-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.yaml');
  writeFileSync(path, config(1));

  const rec = recorder();
  const watcher = watchConfig(path, rec.onChange, rec.onError, { env: {}, debounceMs: 20 });
  writeFileSync(path, config(2));
  watcher.close();
  await sleep(200);
  assert.equal(rec.events.length, 0);
});
