/**
 * Masks secrets in records before they are written to the audit log or answered: raw keys,
 * passwords and provider credentials never leave the control plane in clear.
 */

const SECRET_NAME = /(^|_)(password|password_hash|api_key|secret|secret_key|secret_access_key|access_key_id|session_token|credentials?|litellm_params_encrypted|new_key|master_key)$/i;

export const REDACTED = '***';

/** A deep copy of `value` with secret-named fields and raw `sk-` keys masked. */
export function redact(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('sk-') && value.length > 12 ? `sk-...${value.slice(-4)}` : value;
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_NAME.test(name) && field !== null && field !== undefined) out[name] = REDACTED;
    else if (name === 'key' && typeof field === 'string') out[name] = redact(field);
    else out[name] = redact(field);
  }
  return out;
}
