/**
 * OAuth access tokens for Vertex AI, from a deployment's Google credential (credentials.ts).
 *
 * google-auth-library signs the service account's JWT assertion and exchanges it for an access
 * token (scope cloud-platform). The token is kept until five minutes before it expires: one
 * exchange per deployment and event-loop thread, and concurrent requests share the exchange in
 * flight. A failed exchange throws GatewayError('upstream_auth_failed') naming the service
 * account, and the next request tries again.
 *
 * The library sends every exchange to Google's endpoint whatever the key file says; a key whose
 * `token_uri` names another endpoint (a private Google universe, or a test server) has the
 * exchange redirected there.
 */
import { GoogleAuth, JWT, type AuthClient } from 'google-auth-library';
import type { ModelDeployment } from '../../config/types.js';
import { authFailure, credentialSource, type CredentialSource, type ServiceAccountKey } from './credentials.js';

const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Renew a token this long before it expires (google-auth-library's own margin, too). */
const REFRESH_MARGIN_MS = 5 * 60_000;
/** A token exchange that takes longer has failed. */
const EXCHANGE_TIMEOUT_MS = 10_000;
/** A token whose expiry the server did not say is renewed after this long. */
const UNKNOWN_LIFETIME_MS = 30 * 60_000;

export class VertexAuth {
  private client: AuthClient | null = null;
  private adc: GoogleAuth | null = null;
  private token: string | null = null;
  private renewAt = 0;
  private exchange: Promise<string> | null = null;

  constructor(private readonly source: CredentialSource) {}

  /** A valid access token: the kept one, the one being fetched, or a new one. */
  accessToken(): Promise<string> {
    if (this.token !== null && Date.now() < this.renewAt) return Promise.resolve(this.token);
    this.exchange ??= this.fetchToken().finally(() => {
      this.exchange = null;
    });
    return this.exchange;
  }

  /** The project the credential belongs to (the key's project_id, or what ADC finds), or null. */
  async projectId(): Promise<string | null> {
    if (this.source.kind === 'service-account') return this.source.key.project_id ?? null;
    try {
      return await this.applicationDefault().getProjectId();
    } catch {
      return null;
    }
  }

  private async fetchToken(): Promise<string> {
    try {
      const client = await this.authClient();
      const { token } = await client.getAccessToken();
      if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) throw new Error('the token endpoint answered without a usable access_token');
      const expiry = client.credentials.expiry_date;
      this.token = token;
      this.renewAt = typeof expiry === 'number' ? expiry - REFRESH_MARGIN_MS : Date.now() + UNKNOWN_LIFETIME_MS;
      return token;
    } catch (error) {
      throw authFailure(`could not get an access token for ${this.describe()}: ${(error as Error).message}`, error);
    }
  }

  private async authClient(): Promise<AuthClient> {
    if (this.client !== null) return this.client;
    this.client = this.source.kind === 'service-account' ? serviceAccountClient(this.source.key) : await this.applicationDefault().getClient();
    return this.client;
  }

  private applicationDefault(): GoogleAuth {
    this.adc ??= new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
    return this.adc;
  }

  private describe(): string {
    return this.source.kind === 'service-account' ? `service account ${this.source.key.client_email}` : 'Application Default Credentials';
  }
}

function serviceAccountClient(key: ServiceAccountKey): JWT {
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    keyId: key.private_key_id,
    scopes: [CLOUD_PLATFORM_SCOPE],
    eagerRefreshThresholdMillis: REFRESH_MARGIN_MS,
  });
  const tokenUri = key.token_uri ?? GOOGLE_TOKEN_URL;
  client.transporter.interceptors.request.add({
    resolved: async (options) => {
      options.timeout ??= EXCHANGE_TIMEOUT_MS;
      if (String(options.url) === GOOGLE_TOKEN_URL && tokenUri !== GOOGLE_TOKEN_URL) options.url = new URL(tokenUri);
      return options;
    },
  });
  return client;
}

/** VertexAuth per deployment (and credential, so an edited key in a reloaded config gets its own). */
const BY_DEPLOYMENT = new Map<string, VertexAuth>();

export function vertexAuthFor(deployment: ModelDeployment, env: NodeJS.ProcessEnv): VertexAuth {
  const key = `${deployment.id}\n${credentialDescriptor(deployment.litellmParams, env)}`;
  let auth = BY_DEPLOYMENT.get(key);
  if (auth === undefined) {
    auth = new VertexAuth(credentialSource(deployment.litellmParams, env));
    BY_DEPLOYMENT.set(key, auth);
  }
  return auth;
}

/** What names the credential, cheaply (no file read): the written value or the environment's path. */
function credentialDescriptor(params: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): string {
  const written = params.vertex_credentials;
  if (written !== undefined && written !== null && written !== '') return typeof written === 'string' ? written : JSON.stringify(written);
  return `env:${env.GOOGLE_APPLICATION_CREDENTIALS ?? ''}`;
}
