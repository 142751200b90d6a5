/**
 * Encryption of model credentials at rest (the litellm_params of deployments added with
 * /model/new): AES-256-GCM under a key derived from the salt key.
 *
 * The secret is AILB_SALT_KEY, else LITELLM_SALT_KEY, else the master key, as in LiteLLM. Changing
 * it makes every stored model's credentials unreadable: those models are then skipped (with an
 * error naming each) until the old salt key is restored or the models are added again. Set a salt
 * key before adding models if the master key may be rotated.
 *
 * Envelope: `v1:` + base64url(iv[12] | ciphertext | tag[16]). The version prefix lets a later
 * scheme be added without guessing which one a stored value used.
 */
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';

export interface SecretBox {
  /** A fresh envelope for `plaintext` (a random IV each call, so equal inputs never look equal). */
  encrypt(plaintext: string): string;
  /** The plaintext; throws SecretBoxError for a wrong key, a tampered value or an unknown format. */
  decrypt(envelope: string): string;
}

export class SecretBoxError extends Error {
  readonly code = 'secret_undecryptable';

  constructor(detail: string) {
    super(`cannot decrypt stored model credentials: wrong AILB_SALT_KEY or corrupted data (${detail})`);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/**
 * scrypt, not a fast KDF: the salt key may be a human-chosen string. The salt is fixed (it only
 * separates this use from any other use of the same secret); the cost is paid once per secret.
 */
const KDF_SALT = 'ailb/model-credentials/v1';
const derivedKeys = new Map<string, Buffer>();

function deriveKey(secret: string): Buffer {
  let key = derivedKeys.get(secret);
  if (key === undefined) {
    key = scryptSync(secret, KDF_SALT, 32, { N: 16384, r: 8, p: 1 });
    derivedKeys.set(secret, key);
  }
  return key;
}

export function createSecretBox(secret: string): SecretBox {
  if (secret === '') throw new Error('the secret for model credentials must not be empty');
  const key = deriveKey(secret);
  return {
    encrypt(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return VERSION + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    decrypt(envelope) {
      if (!envelope.startsWith(VERSION)) throw new SecretBoxError('unknown envelope format');
      const bytes = Buffer.from(envelope.slice(VERSION.length), 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES) throw new SecretBoxError('envelope too short');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('authentication failed');
      }
    },
  };
}

/**
 * The secret model credentials are encrypted with: AILB_SALT_KEY, else LITELLM_SALT_KEY, else the
 * master key (empty values count as unset). Throws when there is none of them.
 */
export function secretFromEnvironment(env: NodeJS.ProcessEnv, masterKey: string | null): string {
  for (const value of [env.AILB_SALT_KEY, env.LITELLM_SALT_KEY, masterKey]) {
    if (value !== undefined && value !== null && value !== '') return value;
  }
  throw new Error(
    'storing model credentials needs a secret to encrypt them with: set AILB_SALT_KEY (or LITELLM_SALT_KEY), or a master key',
  );
}
