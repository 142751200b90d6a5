/**
 * LISTEN/NOTIFY events on PostgreSQL. notify() is `SELECT pg_notify(channel, payload)` on the
 * pool; listening uses one dedicated connection per store, opened by the first listen() and
 * reopened (with backoff) whenever it drops until close(). Notifications sent while it is
 * reconnecting are lost: PostgreSQL keeps none for an absent listener.
 */
import pg from 'pg';
import { checkPayload, deliver, type Listener, type StoreEvents } from './events.js';
import { connectionConfig } from './postgres-backend.js';
import { quoteIdent, type SqlClient } from './sql.js';
import { closedError, translateError } from './errors.js';

export interface PgEventsOptions {
  readonly url: string;
  readonly schema: string;
  readonly channel: string;
  /** Runs NOTIFY (the store's pool). */
  readonly client: SqlClient;
  readonly onNotice?: (line: string) => void;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

export function createPgEvents(options: PgEventsOptions): StoreEvents {
  const { channel, onNotice } = options;
  const listeners = new Set<Listener>();
  let connection: pg.Client | null = null;
  /** Settles when the listening connection is up (first time) — reset when that first try fails. */
  let started: Promise<void> | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let retryMs = FIRST_RETRY_MS;
  let closed = false;

  async function connect(): Promise<void> {
    const client = new pg.Client(connectionConfig(options.url, options.schema));
    client.on('notification', (message) => {
      if (message.channel === channel) deliver([...listeners], message.payload ?? '', onNotice);
    });
    client.on('error', () => undefined); // 'end' follows and schedules the reconnect
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdent(channel)}`);
    } catch (error) {
      client.end().catch(() => undefined);
      throw translateError(error);
    }
    if (closed) {
      await client.end().catch(() => undefined);
      return;
    }
    client.on('end', () => {
      if (connection !== client || closed) return;
      connection = null;
      onNotice?.(`PostgreSQL: the store's LISTEN connection dropped; reconnecting`);
      scheduleReconnect();
    });
    connection = client;
    retryMs = FIRST_RETRY_MS;
  }

  function scheduleReconnect(): void {
    retryTimer = setTimeout(() => {
      retryTimer = null;
      if (closed) return;
      connect().catch((error: Error) => {
        onNotice?.(`PostgreSQL: reconnecting the store's LISTEN connection failed (${error.message}); retrying in ${retryMs} ms`);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
        scheduleReconnect();
      });
    }, retryMs);
    retryTimer.unref();
  }

  return {
    async notify(payload) {
      checkPayload(payload);
      await options.client.query('SELECT pg_notify($1, $2)', [channel, payload]);
    },
    async listen(listener) {
      if (closed) throw closedError();
      started ??= connect().catch((error: unknown) => {
        started = null;
        throw error;
      });
      await started;
      const entry: Listener = (payload) => listener(payload);
      listeners.add(entry);
      return async () => {
        listeners.delete(entry);
      };
    },
    async close() {
      closed = true;
      listeners.clear();
      if (retryTimer !== null) clearTimeout(retryTimer);
      const client = connection;
      connection = null;
      await client?.end().catch(() => undefined);
    },
  };
}
