/**
 * Microsoft Entra ID access tokens for Azure OpenAI, by the OAuth 2.0 client credentials grant
 * (`POST {authority}/{tenant}/oauth2/v2.0/token` with client_id, client_secret and scope).
 *
 * A token is cached per tenant, client, secret and scope until shortly before it expires, and
 * concurrent calls that find no usable token share one token request. A failed request is not
 * cached: the next call asks again. Failures reject with GatewayError('upstream_auth_failed').
 *
 * The cache lives in this module, so each event-loop thread keeps its own (one token request per
 * thread and expiry period).
 */
import { createHash } from 'node:crypto';
import { GatewayError } from '../../errors.js';

export interface ClientCredentials {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
}

/** Azure's public cloud; AZURE_AUTHORITY_HOST (as the Azure SDKs read it) points elsewhere (sovereign clouds, tests). */
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';

/** Tokens are renewed this long before they expire (at most half their lifetime). */
const RENEW_BEFORE_MS = 5 * 60_000;
/** A token endpoint that has not answered in this time has failed. */
const TOKEN_TIMEOUT_MS = 10_000;

interface CachedToken {
  readonly token: string;
  readonly renewAt: number;
}

const tokens = new Map<string, CachedToken>();
const inFlight = new Map<string, Promise<string>>();

/** A bearer token for `credentials`: the cached one while fresh, else a new one (one request for concurrent callers). */
export function entraToken(credentials: ClientCredentials, env: NodeJS.ProcessEnv): Promise<string> {
  const key = cacheKey(credentials);
  const cached = tokens.get(key);
  if (cached !== undefined && Date.now() < cached.renewAt) return Promise.resolve(cached.token);
  let pending = inFlight.get(key);
  if (pending === undefined) {
    pending = requestToken(credentials, authorityHost(env))
      .then((granted) => {
        tokens.set(key, granted);
        return granted.token;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

/** The secret is part of the key (hashed, so the map holds no secrets): a rotated secret gets its own token. */
function cacheKey(c: ClientCredentials): string {
  const secret = createHash('sha256').update(c.clientSecret).digest('hex');
  return `${c.tenantId}\n${c.clientId}\n${secret}\n${c.scope}`;
}

function authorityHost(env: NodeJS.ProcessEnv): string {
  const host = env.AZURE_AUTHORITY_HOST;
  return (host !== undefined && host !== '' ? host : DEFAULT_AUTHORITY_HOST).replace(/\/+$/, '');
}

async function requestToken(c: ClientCredentials, authority: string): Promise<CachedToken> {
  const url = `${authority}/${encodeURIComponent(c.tenantId)}/oauth2/v2.0/token`;
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret, scope: c.scope });
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    throw new GatewayError('upstream_auth_failed', `Microsoft Entra ID token request to ${authority} failed: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) {
    throw new GatewayError('upstream_auth_failed', `Microsoft Entra ID refused the token request for client ${c.clientId} (HTTP ${response.status}): ${entraErrorText(text)}`);
  }
  return grantedToken(text);
}

/** The token and when to renew it, from a token response (`access_token`, `expires_in` in seconds). */
function grantedToken(text: string): CachedToken {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  const answer = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const token = answer.access_token;
  const lifetimeS = Number(answer.expires_in);
  if (typeof token !== 'string' || token === '' || !Number.isFinite(lifetimeS) || lifetimeS <= 0) {
    throw new GatewayError('upstream_auth_failed', 'Microsoft Entra ID answered the token request without access_token and expires_in');
  }
  const lifetimeMs = lifetimeS * 1000;
  return { token, renewAt: Date.now() + lifetimeMs - Math.min(RENEW_BEFORE_MS, lifetimeMs / 2) };
}

/** Entra's `error_description` (or `error`), else the start of the body. */
function entraErrorText(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const described = body.error_description ?? body.error;
    if (typeof described === 'string' && described !== '') return described;
  } catch {
    // not JSON: the text itself says what went wrong
  }
  return text.slice(0, 500) || '(empty body)';
}
