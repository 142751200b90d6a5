/**
 * Where Ollama calls go and with which headers (../http.ts, made once per deployment): the native
 * API at the server root (`POST {api_base}/api/chat`, `/api/embed`), `Authorization: Bearer <key>`
 * only when a key is configured (a local server takes anonymous calls; a hosted or proxied one may
 * want a key).
 *
 * An api_base written for Ollama's OpenAI-compatible API (`http://host:11434/v1`), or as an
 * endpoint (`…/api`, `…/api/chat`, as LiteLLM accepts), names the same server: that tail is
 * removed so the native path is appended once.
 */
import { bearerChatEmbedEndpoint } from '../http.js';

const ENDPOINT_TAIL = /\/(v1|api(\/(chat|embed))?)$/;

export const ollamaEndpoint = bearerChatEmbedEndpoint((basePath, endpoint) => `${basePath.replace(ENDPOINT_TAIL, '')}/api/${endpoint}`);
