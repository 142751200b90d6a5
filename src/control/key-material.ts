/**
 * Virtual key material: generation, digest and display name.
 *
 * A key is `sk-` + 32 random bytes in url-safe base64 (256 bits). The store keeps only the
 * SHA-256 hex digest. A fast hash is right here: the input is a uniformly random 256-bit secret,
 * so there is nothing to brute-force that a slow hash would protect, and authentication must cost
 * microseconds on every request. Slow hashing (scrypt) is kept for user passwords, which are not.
 */
import { hash, randomBytes } from 'node:crypto';
import type { KeyPatch, KeyRecord } from '../store/types.js';

export function generateRawKey(): string {
  return 'sk-' + randomBytes(32).toString('base64url');
}

export function hashKey(raw: string): string {
  return hash('sha256', raw, 'hex');
}

/**
 * The digest for a value given to a management route: a raw key (`sk-…`) is hashed; anything else
 * is taken to be the digest already, as LiteLLM does.
 */
export function tokenOf(keyOrHash: string): string {
  return keyOrHash.startsWith('sk-') ? hashKey(keyOrHash) : keyOrHash;
}

/** `sk-...abcd`: enough to recognise a key in a list, never enough to use it. */
export function keyDisplayName(raw: string): string {
  return `sk-...${raw.slice(-4)}`;
}

/**
 * A new key's record: every field at its default (no limits, every model, never expires), then
 * `fields` on top. Identity, rotation history and timestamps are not the caller's to set.
 */
export function newKeyRecord(raw: string, at: Date, actor: string | null, fields: KeyPatch = {}): KeyRecord {
  const iso = at.toISOString();
  return {
    token: hashKey(raw),
    key_name: keyDisplayName(raw),
    key_alias: null,
    user_id: null,
    team_id: null,
    models: [],
    max_budget: null,
    soft_budget: null,
    budget_duration: null,
    budget_reset_at: null,
    spend: 0,
    tpm_limit: null,
    rpm_limit: null,
    max_parallel_requests: null,
    model_rpm_limit: {},
    model_tpm_limit: {},
    model_max_budget: {},
    temp_budget_increase: null,
    temp_budget_expiry: null,
    metadata: {},
    tags: [],
    permissions: {},
    allowed_routes: [],
    allowed_ips: [],
    aliases: {},
    guardrails: [],
    blocked: false,
    expires: null,
    key_type: 'default',
    auto_rotate: false,
    rotation_interval: null,
    key_rotation_at: null,
    last_rotation_at: null,
    rotation_count: 0,
    budget_id: null,
    ...fields,
    previous_token: null,
    previous_token_expires: null,
    created_at: iso,
    updated_at: iso,
    created_by: actor,
    updated_by: actor,
  };
}
