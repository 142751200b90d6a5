/**
 * Control-plane events over Redis pub/sub: a second road for cache invalidations between
 * instances, for deployments where PostgreSQL LISTEN/NOTIFY does not reach every instance (a
 * transaction-pooling PgBouncer drops LISTEN) or where instances share Redis anyway.
 *
 * A subscriber needs a connection of its own (Redis puts it in subscribe mode). Both connections
 * reconnect on their own; an 'error' event is logged, never thrown. Events published while an
 * instance is disconnected are lost (pub/sub keeps nothing), as with NOTIFY: the key caches'
 * safety TTL bounds how long a missed invalidation can matter.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';

export interface RedisEvents {
  publish(payload: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Subscribes to `channel` and calls `onPayload` for every message, this instance's own included.
 * Returns at once: when Redis is down the subscription is made whenever it comes up, so a
 * gateway never waits on Redis to start. `subscribed` resolves once it is made.
 */
export function openRedisEvents(
  url: string,
  channel: string,
  log: Logger,
  onPayload: (payload: string) => void,
): RedisEvents & { readonly subscribed: Promise<void> } {
  const options = { maxRetriesPerRequest: 2, enableOfflineQueue: true };
  const publisher = new Redis(url, options);
  const subscriber = new Redis(url, options);
  let lastError = '';
  for (const [role, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (error: Error) => {
      // ioredis retries by itself; log each new kind of failure once, not every retry.
      if (error.message === lastError) return;
      lastError = error.message;
      log.warn(`redis ${role}: ${error.message}`);
    });
    client.on('ready', () => {
      if (lastError !== '') log.info(`redis ${role} connected again`);
      lastError = '';
    });
  }
  subscriber.on('message', (from: string, payload: string) => {
    if (from === channel) onPayload(payload);
  });
  // ioredis re-subscribes by itself after a reconnect.
  const subscribed = subscriber.subscribe(channel).then(
    () => undefined,
    (error: Error) => log.warn(`redis subscriber: could not subscribe to ${channel}: ${error.message}`),
  );
  return {
    subscribed,
    async publish(payload) {
      await publisher.publish(channel, payload);
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
