/**
 * Virtual key material: generation, digest and display name.
 *
 * A key is `sk-` + 32 random bytes in url-safe base64 (256 bits). The store keeps only the
 * SHA-256 hex digest. A fast hash is right here: the input is a uniformly random 256-bit secret,
 * so there is nothing to brute-force that a slow hash would protect, and authentication must cost
 * microseconds on every request. Slow hashing (scrypt) is kept for user passwords, which are not.
 */
import { createHash, randomBytes } from 'node:crypto';

export function generateRawKey(): string {
  return 'sk-' + randomBytes(32).toString('base64url');
}

export function hashKey(raw: string): string {
  return createHash('sha256').update(raw, 'utf8').digest('hex');
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
