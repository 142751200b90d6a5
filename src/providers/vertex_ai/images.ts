/**
 * Image generation on Vertex AI: Google's models (`publishers/google`) with the gemini adapter's
 * bodies and answers (src/providers/gemini/images.ts) — Imagen (`imagen-*`, `imagegeneration@*`)
 * through `:predict`, Gemini's image models through `:generateContent`.
 *
 * The adapter gives the function that places a method and body on the deployment's publisher
 * path with its access token (index.ts), so paths and auth stay in one place. The body is made
 * first: a request the model cannot take is refused before any token exchange.
 */
import { googleImageCall, googleImageResponse } from '../gemini/images.js';
import type { ImagesTranslation, UpstreamRequest, UpstreamTarget } from '../types.js';

/** Sends `body` to the target's Google model method (`:predict`, `:generateContent`) with its token. */
export type AuthorizedGoogleRequest = (target: UpstreamTarget, method: string, body: unknown) => Promise<UpstreamRequest>;

export function vertexImages(authorized: AuthorizedGoogleRequest): ImagesTranslation {
  return {
    request: (req, target) => {
      const call = googleImageCall(req, target, 'vertex_ai');
      return authorized(target, call.method, call.body);
    },
    response: (body, target) => googleImageResponse(body, target.upstreamModel, 'Vertex AI'),
  };
}
