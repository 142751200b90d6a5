/**
 * AWS Signature Version 4 for Bedrock runtime requests (service `bedrock`), with
 * @smithy/signature-v4, the AWS SDK's signer.
 *
 * Contract: `signedHeaders` signs every header it is given plus `host` (the api_base's host and
 * port, byte for byte what the upstream pool writes in its Host line) and returns them with the
 * signer's own: `x-amz-date`, `x-amz-content-sha256` (the body's SHA-256), `x-amz-security-token`
 * for temporary credentials, and `authorization`. `path` is the path as sent on the wire (each
 * segment percent-encoded once); the signer encodes it again for the canonical request, as
 * SigV4 requires for every service but S3.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { GatewayError } from '../../errors.js';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | null;
}

export const SIGNING_SERVICE = 'bedrock';

export interface SigningInput {
  /** The deployment's api_base: scheme, host and port of the request. */
  readonly apiBase: string;
  readonly path: string;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** The signing time (default: now). */
  readonly date?: Date;
}

/**
 * Signers by credential and region. A signer caches its derived signing keys (one per day), so
 * reusing it saves four HMACs per request. Bounded: cleared when a rotation of keys fills it.
 */
const signers = new Map<string, SignatureV4>();
const MAX_SIGNERS = 64;

function signerFor(credentials: AwsCredentials, region: string): SignatureV4 {
  const key = [region, credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken ?? ''].join('\n');
  let signer = signers.get(key);
  if (signer === undefined) {
    if (signers.size >= MAX_SIGNERS) signers.clear();
    signer = new SignatureV4({
      service: SIGNING_SERVICE,
      region,
      sha256: Sha256,
      credentials: {
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        ...(credentials.sessionToken !== null ? { sessionToken: credentials.sessionToken } : {}),
      },
    });
    signers.set(key, signer);
  }
  return signer;
}

/** The request's headers, signed (see the header); lower-case names, `host` included. */
export async function signedHeaders(input: SigningInput): Promise<Record<string, string>> {
  refuseLineBreaks(input.credentials);
  const url = new URL(input.apiBase);
  try {
    const signed = await signerFor(input.credentials, input.region).sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port !== '' ? { port: Number(url.port) } : {}),
        path: input.path,
        query: {},
        headers: { ...input.headers, host: url.host },
        body: input.body,
      },
      input.date !== undefined ? { signingDate: input.date } : {},
    );
    return signed.headers;
  } catch (error) {
    throw new GatewayError('upstream_auth_failed', `Signing the Bedrock request failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Credentials go into header lines: a line break in one would split the request head. */
function refuseLineBreaks(credentials: AwsCredentials): void {
  for (const value of [credentials.accessKeyId, credentials.secretAccessKey, credentials.sessionToken ?? '']) {
    if (/[\r\n]/.test(value)) throw new GatewayError('upstream_auth_failed', 'The AWS credentials contain a line break.');
  }
}
