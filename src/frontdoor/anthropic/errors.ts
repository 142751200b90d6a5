/**
 * Errors of the Anthropic front door: the error body in Anthropic's envelope
 * (`{"type":"error","error":{"type","message"}}`, https://docs.anthropic.com/en/api/errors). The
 * request readers' `invalid_body` errors are the front doors' shared ones (../read.ts).
 */
import type { GatewayError } from '../../errors.js';

export function anthropicErrorBody(error: GatewayError): string {
  return error.toAnthropicBody();
}
