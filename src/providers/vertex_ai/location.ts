/**
 * Where a Vertex AI deployment's calls go: the location (litellm_params.vertex_location, else
 * VERTEXAI_LOCATION, else us-central1) picks the host — `{location}-aiplatform.googleapis.com`,
 * or `aiplatform.googleapis.com` for `global` — and the project (vertex_project, else
 * VERTEXAI_PROJECT, else the credential's own) fills the resource path.
 */
import { GatewayError } from '../../errors.js';
import { modelSegment } from '../gemini/http.js';
import type { VertexAuth } from './auth.js';

const DEFAULT_LOCATION = 'us-central1';
/** A location is part of the host name, so it must be a DNS label. */
const LOCATION = /^[a-z0-9][a-z0-9-]*$/i;

export function vertexLocation(params: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): string {
  const written = params.vertex_location;
  if (typeof written === 'string' && written !== '') return written;
  const fromEnv = env.VERTEXAI_LOCATION;
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_LOCATION;
}

/** The regional endpoint for the deployment's location; null when the location is not a valid name. */
export function vertexApiBase(params: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): string | null {
  const location = vertexLocation(params, env);
  if (!LOCATION.test(location)) return null;
  return location === 'global' ? 'https://aiplatform.googleapis.com' : `https://${location}-aiplatform.googleapis.com`;
}

export async function vertexProject(params: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv, auth: VertexAuth): Promise<string> {
  const written = params.vertex_project;
  if (typeof written === 'string' && written !== '') return written;
  const fromEnv = env.VERTEXAI_PROJECT;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const own = await auth.projectId();
  if (own !== null && own !== '') return own;
  throw new GatewayError('upstream_auth_failed', 'Vertex AI needs a project: set litellm_params.vertex_project or VERTEXAI_PROJECT, or use a credential that names one');
}

/** `/v1/projects/{project}/locations/{location}/publishers/{publisher}/models/{model}{method}`. */
export function publisherModelPath(project: string, location: string, publisher: 'google' | 'anthropic', model: string, method: string): string {
  const resource = `projects/${encodeURIComponent(project)}/locations/${encodeURIComponent(location)}`;
  return `/v1/${resource}/publishers/${publisher}/models/${modelSegment(model)}${method}`;
}
