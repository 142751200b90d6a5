/**
 * What the adapters' upstream requests share: header blocks, the deployment's api_base path, and
 * values made once per deployment.
 *
 * - `headerBlock` writes `name: value` CRLF lines. Values from config (api_key, extra_headers) had
 *   CR and LF refused when the deployment was loaded (src/pipeline/runtime.ts); values made per
 *   call (tokens, signatures) had not, so every value is checked here: a line break in one would
 *   let it write headers of its own.
 * - `perDeployment` keeps what depends on the deployment alone (paths, header blocks): made on a
 *   deployment's first call instead of on every call. Keyed by the deployment object, which a
 *   config reload replaces, so nothing outlives its config.
 */
import type { ModelDeployment } from '../config/types.js';
import { GatewayError } from '../errors.js';

export type HeaderLine = readonly [name: string, value: string];

const LINE_BREAK = /[\r\n]/;

/** The content type of every adapter's request body. */
export const JSON_CONTENT_TYPE: HeaderLine = ['content-type', 'application/json'];

/**
 * Header lines after Host, each ending in CRLF, in the order given. A value with CR or LF is
 * refused (upstream_auth_failed, naming `owner` and the header).
 */
export function headerBlock(headers: Iterable<HeaderLine>, owner: string): string {
  let block = '';
  for (const [name, value] of headers) {
    if (LINE_BREAK.test(value)) throw new GatewayError('upstream_auth_failed', `${owner}: header '${name}' has a CR or LF in its value`);
    block += `${name}: ${value}\r\n`;
  }
  return block;
}

/** The deployment's api_key in header `name` after `scheme` (`Bearer `); null when it has no key. */
export function keyHeader(deployment: ModelDeployment, name: string, scheme = ''): HeaderLine | null {
  const key = deployment.apiKey;
  return key === null || key === '' ? null : [name, scheme + key];
}

function ownerOf(deployment: ModelDeployment): string {
  return `${deployment.provider} deployment ${deployment.id}`;
}

/** `make(deployment)`, made on the deployment's first call and kept for its later ones. */
export function perDeployment<T>(make: (deployment: ModelDeployment) => T): (deployment: ModelDeployment) => T {
  const made = new WeakMap<ModelDeployment, T>();
  return (deployment) => {
    let value = made.get(deployment);
    if (value === undefined) {
      value = make(deployment);
      made.set(deployment, value);
    }
    return value;
  };
}

const extraHeaderLines = perDeployment((deployment) => headerBlock(Object.entries(deployment.extraHeaders), ownerOf(deployment)));

/**
 * The usual block: JSON content type, the credential when there is one, then the deployment's
 * extra headers (their lines made once per deployment).
 */
export function jsonHeaderBlock(deployment: ModelDeployment, credential: HeaderLine | null): string {
  const lines = credential === null ? [JSON_CONTENT_TYPE] : [JSON_CONTENT_TYPE, credential];
  return headerBlock(lines, ownerOf(deployment)) + extraHeaderLines(deployment);
}

/** The path of an api_base, without trailing slashes (`''` for a bare origin). */
export function apiBasePath(apiBase: string): string {
  return new URL(apiBase).pathname.replace(/\/+$/, '');
}

/** The path of the deployment's api_base (apiBasePath), made once per deployment. */
export const basePathOf: (deployment: ModelDeployment) => string = perDeployment((deployment) => apiBasePath(deployment.apiBase));

/** A deployment's chat and embeddings paths, and the header block both send. */
export interface ChatEmbedEndpoint {
  readonly chatPath: string;
  readonly embedPath: string;
  /** JSON content, `Authorization: Bearer <api_key>` when the deployment has a key, its extra headers. */
  readonly headerBlock: string;
}

/**
 * Per deployment, for providers with a bearer key and one path each for chat and embeddings:
 * `pathOf` places an endpoint under the api_base path (without trailing slashes).
 */
export function bearerChatEmbedEndpoint(pathOf: (basePath: string, endpoint: 'chat' | 'embed') => string): (deployment: ModelDeployment) => ChatEmbedEndpoint {
  return perDeployment((deployment) => {
    const basePath = basePathOf(deployment);
    return {
      chatPath: pathOf(basePath, 'chat'),
      embedPath: pathOf(basePath, 'embed'),
      headerBlock: jsonHeaderBlock(deployment, keyHeader(deployment, 'authorization', 'Bearer ')),
    };
  });
}

/** A request body: the value as JSON text. */
export function jsonBody(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}
