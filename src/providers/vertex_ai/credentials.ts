/**
 * Where a Vertex AI deployment's Google credential comes from, as LiteLLM finds it:
 * litellm_params.vertex_credentials (a service-account key as a map, as JSON text, or as the path
 * of a JSON file), else the file named by GOOGLE_APPLICATION_CREDENTIALS, else Application Default
 * Credentials (the metadata server, gcloud's user login), which google-auth-library discovers.
 *
 * A key the config names must be a service account's (`"type": "service_account"`): other
 * credential types can make the library run commands or fetch URLs the file names, which a
 * gateway should not do on a config value's say-so. Those types still work through ADC.
 */
import { readFileSync } from 'node:fs';
import { GatewayError } from '../../errors.js';

/** The fields of a service-account key file the gateway uses. */
export interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
  readonly project_id?: string;
  /** Where tokens are exchanged (Google's, unless the key says otherwise). */
  readonly token_uri?: string;
}

export type CredentialSource =
  /** `key`: the service account; `cacheKey` identifies it among deployments. */
  | { readonly kind: 'service-account'; readonly key: ServiceAccountKey; readonly cacheKey: string }
  | { readonly kind: 'adc'; readonly cacheKey: 'adc' };

/** The deployment's credential source; throws upstream_auth_failed for a key that cannot be read. */
export function credentialSource(params: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): CredentialSource {
  const written = params.vertex_credentials;
  if (written !== undefined && written !== null && written !== '') return serviceAccount(parseWritten(written), 'vertex_credentials');
  const path = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (path !== undefined && path !== '') {
    const json = readJsonFile(path, 'GOOGLE_APPLICATION_CREDENTIALS');
    // Another credential type in the ADC file is the library's to read (see the header).
    if (json.type === 'service_account') return serviceAccount(json, 'GOOGLE_APPLICATION_CREDENTIALS');
  }
  return { kind: 'adc', cacheKey: 'adc' };
}

/** vertex_credentials: a map, JSON text, or a path to a JSON file. */
function parseWritten(value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value !== 'string') throw authFailure('vertex_credentials must be a service-account key (a map, JSON text or a file path)');
  const text = value.trim();
  if (text.startsWith('{')) return parseJson(text, 'vertex_credentials');
  return readJsonFile(text, 'vertex_credentials');
}

function readJsonFile(path: string, origin: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw authFailure(`${origin} names ${path}, which cannot be read (${(error as Error).message})`);
  }
  return parseJson(text, `${origin} (${path})`);
}

function parseJson(text: string, origin: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw authFailure(`${origin} is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw authFailure(`${origin} is not a JSON object`);
  return parsed as Record<string, unknown>;
}

function serviceAccount(json: Record<string, unknown>, origin: string): CredentialSource {
  if (json.type !== 'service_account') {
    throw authFailure(`${origin} must be a service-account key ("type": "service_account"), got type ${JSON.stringify(json.type ?? null)}`);
  }
  if (typeof json.client_email !== 'string' || typeof json.private_key !== 'string') {
    throw authFailure(`${origin} needs client_email and private_key`);
  }
  const key: ServiceAccountKey = {
    client_email: json.client_email,
    private_key: json.private_key,
    private_key_id: optionalString(json.private_key_id),
    project_id: optionalString(json.project_id),
    token_uri: optionalString(json.token_uri),
  };
  return { kind: 'service-account', key, cacheKey: `${key.client_email}\n${key.private_key_id ?? ''}\n${key.token_uri ?? ''}\n${key.private_key}` };
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function authFailure(message: string, cause?: unknown): GatewayError {
  return new GatewayError('upstream_auth_failed', `Vertex AI credentials: ${message}`, { cause });
}
