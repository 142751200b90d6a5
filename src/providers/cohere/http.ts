/**
 * Where Cohere calls go and with which headers: `POST {api_base}/v2/chat` and `/v2/embed`,
 * `Authorization: Bearer <key>` (../http.ts, made once per deployment).
 *
 * LiteLLM configs sometimes write the endpoint itself as api_base (`https://api.cohere.com/v2/chat`)
 * or a versioned base (`…/v1`, `…/v2`); such a tail is removed so the v2 path is appended once.
 */
import { bearerChatEmbedEndpoint } from '../http.js';

const VERSIONED_TAIL = /\/v[12](\/(chat|embed))?$/;

export const cohereEndpoint = bearerChatEmbedEndpoint((basePath, endpoint) => `${basePath.replace(VERSIONED_TAIL, '')}/v2/${endpoint}`);
