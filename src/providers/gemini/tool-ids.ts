/**
 * Tool call ids for Gemini function calls. Gemini's calls carry no id (the model answers by
 * function name), so the gateway makes one. Thinking models attach a `thoughtSignature` to a call
 * that must be sent back with it in the next turn (Gemini 3 refuses the turn otherwise); an OpenAI
 * client keeps only the id, so the signature rides in the id after `__thought__`, the separator
 * LiteLLM uses, and a conversation moved between LiteLLM and this gateway keeps working.
 */
import { randomBytes } from 'node:crypto';

const SIGNATURE_SEPARATOR = '__thought__';

/** A new tool call id (`call_` and 24 hex digits), carrying `signature` when there is one. */
export function newToolCallId(signature: string | undefined): string {
  const id = `call_${randomBytes(12).toString('hex')}`;
  return signature === undefined || signature === '' ? id : `${id}${SIGNATURE_SEPARATOR}${signature}`;
}

/** The thought signature carried in a tool call id, or undefined. */
export function signatureInToolCallId(id: string): string | undefined {
  const at = id.indexOf(SIGNATURE_SEPARATOR);
  if (at < 0) return undefined;
  const signature = id.slice(at + SIGNATURE_SEPARATOR.length);
  return signature === '' ? undefined : signature;
}
