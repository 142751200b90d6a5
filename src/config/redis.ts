/**
 * Where Redis is, when the deployment uses one: `REDIS_URL`, else LiteLLM's
 * router_settings (or litellm_settings) `redis_url` / `redis_host` + `redis_port` +
 * `redis_password`. Null when none is set: one instance needs no Redis.
 */
import type { GatewayConfig } from './types.js';

export function resolveRedisUrl(config: GatewayConfig, env: NodeJS.ProcessEnv): string | null {
  if (env.REDIS_URL) return env.REDIS_URL;
  const raw = config.routerSettings.raw;
  if (typeof raw.redis_url === 'string' && raw.redis_url !== '') return raw.redis_url;
  const host = raw.redis_host ?? env.REDIS_HOST;
  if (typeof host !== 'string' || host === '') return null;
  const port = raw.redis_port ?? env.REDIS_PORT ?? 6379;
  const password = raw.redis_password ?? env.REDIS_PASSWORD;
  const auth = typeof password === 'string' && password !== '' ? `:${encodeURIComponent(password)}@` : '';
  return `redis://${auth}${host}:${String(port)}`;
}
