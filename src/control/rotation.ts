/**
 * The auto-rotate job: every `intervalMs` it regenerates each key whose auto_rotate schedule is
 * due (`key_rotation_at <= now`), with no grace period, and schedules the next rotation one
 * `rotation_interval` later.
 *
 * The new raw key is shown to nobody, as in LiteLLM, where an auto-rotated key is retrievable only
 * through a configured secret manager; here it goes to the optional `onRotated` hook (the place to
 * hand it to such a manager) and is otherwise dropped. It is never logged.
 *
 * Several instances on one PostgreSQL may run the job at once: the loser's `rotate` finds the old
 * token gone and returns null, so a key is rotated once per due time.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { KeyRecord, Store } from '../store/types.js';
import { addDuration } from './duration.js';
import { generateRawKey, hashKey, keyDisplayName } from './key-material.js';
import { redact } from './redact.js';
import type { InvalidationScope } from './types.js';

export interface RotationJobOptions {
  readonly store: Store;
  readonly intervalMs: number;
  readonly log: Logger;
  /** Invalidates the auth caches for the old token (the control plane's invalidate). */
  readonly invalidate: (scope: InvalidationScope) => Promise<void>;
  readonly now?: () => Date;
  /** Receives each new raw key and the rotated record; the only place the raw key goes. */
  readonly onRotated?: (rawKey: string, record: KeyRecord) => void | Promise<void>;
}

export interface RotationJob {
  /** Rotates every due key now; resolves with the rotated records (waits for a run in progress). */
  runOnce(): Promise<KeyRecord[]>;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

export function startRotationJob(options: RotationJobOptions): RotationJob {
  const now = options.now ?? (() => new Date());
  let running: Promise<KeyRecord[]> | null = null;
  let stopped = false;

  const runOnce = (): Promise<KeyRecord[]> => {
    if (running !== null) return running;
    running = rotateDue(options, now()).finally(() => {
      running = null;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (stopped || running !== null) return;
    runOnce().catch((error: unknown) => {
      options.log.error('key rotation run failed', { error: error instanceof Error ? error.message : String(error) });
    });
  }, options.intervalMs);
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      if (running !== null) await running.catch(() => []);
    },
  };
}

async function rotateDue(options: RotationJobOptions, at: Date): Promise<KeyRecord[]> {
  const { store, log } = options;
  const due = await store.keys.dueForRotation(at);
  const rotated: KeyRecord[] = [];
  for (const key of due) {
    try {
      const result = await rotateOne(options, key, at);
      if (result !== null) rotated.push(result);
    } catch (error) {
      // One key's failure must not stop the others; it stays due and is retried next run.
      log.error('key rotation failed', { token: key.token, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return rotated;
}

async function rotateOne(options: RotationJobOptions, key: KeyRecord, at: Date): Promise<KeyRecord | null> {
  const { store, log } = options;
  if (key.rotation_interval === null) {
    // auto_rotate without an interval cannot be scheduled; stop selecting it.
    log.warn('auto_rotate key has no rotation_interval; rotation switched off', { token: key.token });
    await store.keys.update(key.token, { key_rotation_at: null, updated_by: 'system' });
    return null;
  }
  const raw = generateRawKey();
  const token = hashKey(raw);
  const atIso = at.toISOString();
  const record = await store.transaction(async (tx) => {
    // rotate() itself counts the rotation and stamps last_rotation_at.
    const row = await tx.keys.rotate(key.token, {
      token,
      key_name: keyDisplayName(raw),
      graceUntil: null,
      patch: {
        key_rotation_at: addDuration(at, key.rotation_interval!, 'rotation_interval').toISOString(),
        updated_by: 'system',
      },
    });
    if (row === null) return null;
    await tx.audit.insert({
      id: randomUUID(),
      changed_at: atIso,
      changed_by: 'system',
      changed_by_api_key: 'system',
      changed_by_header: null,
      action: 'key.auto_rotate',
      target_type: 'key',
      target_id: token,
      before: redact(key) as Record<string, unknown>,
      after: redact(row) as Record<string, unknown>,
      call_id: `rotation-${randomUUID()}`,
    });
    return row;
  });
  if (record === null) return null;
  await options.invalidate({ kind: 'key', token: key.token });
  if (key.previous_token !== null) await options.invalidate({ kind: 'key', token: key.previous_token });
  log.info('key auto-rotated', { key_name: record.key_name, key_alias: record.key_alias, next_rotation_at: record.key_rotation_at });
  if (options.onRotated !== undefined) {
    try {
      await options.onRotated(raw, record);
    } catch (error) {
      log.error('onRotated hook failed', { token: record.token, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return record;
}
