/**
 * The inference routes and how each maps onto an OpenAI-compatible upstream.
 * A closed list: the HTTP front end registers exactly these, and metrics label by `name`.
 */

export interface InferenceRoute {
  /** Label used in metrics and logs. */
  readonly name: 'chat_completions' | 'completions' | 'embeddings';
  /** Paths the gateway answers on. */
  readonly paths: readonly string[];
  /** Path appended to the deployment's api_base. */
  readonly upstreamPath: string;
  /** Whether the route may stream (`"stream": true`). */
  readonly canStream: boolean;
}

export const INFERENCE_ROUTES: readonly InferenceRoute[] = [
  { name: 'chat_completions', paths: ['/v1/chat/completions', '/chat/completions'], upstreamPath: '/chat/completions', canStream: true },
  { name: 'completions', paths: ['/v1/completions', '/completions'], upstreamPath: '/completions', canStream: true },
  { name: 'embeddings', paths: ['/v1/embeddings', '/embeddings'], upstreamPath: '/embeddings', canStream: false },
];
