/**
 * The inference routes and how each maps onto an upstream.
 * A closed list: the HTTP front end registers exactly these, and metrics label by `name`.
 */
import { anthropicClientFormat } from '../frontdoor/anthropic/index.js';
import { openaiClientFormat } from '../frontdoor/openai/index.js';
import { responsesClientFormat } from '../frontdoor/responses/index.js';
import type { ClientFormat } from '../frontdoor/types.js';

export interface InferenceRoute {
  /** Label used in metrics and logs. */
  readonly name: 'chat_completions' | 'completions' | 'embeddings' | 'messages' | 'responses' | 'image_generation';
  /** What the route does, whatever the client's format: chat (OpenAI chat, Anthropic messages), legacy completions, embeddings, images. */
  readonly kind: 'chat' | 'completions' | 'embeddings' | 'images';
  /** Paths the gateway answers on. */
  readonly paths: readonly string[];
  /** Path appended to the deployment's api_base when the body passes through to an OpenAI-compatible upstream. */
  readonly upstreamPath: string;
  /** Whether the route may stream (`"stream": true`). */
  readonly canStream: boolean;
  /** The wire format clients speak on this route: its bodies, answers and error envelope. */
  readonly client: ClientFormat;
}

export const INFERENCE_ROUTES: readonly InferenceRoute[] = [
  { name: 'chat_completions', kind: 'chat', paths: ['/v1/chat/completions', '/chat/completions'], upstreamPath: '/chat/completions', canStream: true, client: openaiClientFormat },
  { name: 'completions', kind: 'completions', paths: ['/v1/completions', '/completions'], upstreamPath: '/completions', canStream: true, client: openaiClientFormat },
  { name: 'embeddings', kind: 'embeddings', paths: ['/v1/embeddings', '/embeddings'], upstreamPath: '/embeddings', canStream: false, client: openaiClientFormat },
  { name: 'image_generation', kind: 'images', paths: ['/v1/images/generations', '/images/generations'], upstreamPath: '/images/generations', canStream: false, client: openaiClientFormat },
  { name: 'messages', kind: 'chat', paths: ['/v1/messages'], upstreamPath: '/v1/messages', canStream: true, client: anthropicClientFormat },
  { name: 'responses', kind: 'chat', paths: ['/v1/responses', '/responses'], upstreamPath: '/responses', canStream: true, client: responsesClientFormat },
];
