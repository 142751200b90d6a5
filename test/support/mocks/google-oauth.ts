/**
 * A mock of Google's OAuth 2.0 token endpoint for service accounts: it holds a generated RSA key
 * pair, hands out a service-account key file whose `token_uri` points at itself, and answers the
 * JWT-bearer grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=<JWT>`)
 * with an access token — after checking that the assertion is an RS256 JWT signed with that key,
 * issued by the account, for the cloud-platform scope, not expired. Every exchange is recorded.
 */
import { generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TokenExchange {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  /** The signature checked out against the account's public key. */
  readonly signatureValid: boolean;
  readonly grantType: string | null;
  /** The access token answered, or null when the exchange was refused. */
  readonly accessToken: string | null;
}

export const CLIENT_EMAIL = 'ailb-test@ailb-test-project.iam.gserviceaccount.com';
export const PROJECT_ID = 'ailb-test-project';
const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export class MockGoogleOAuth {
  readonly exchanges: TokenExchange[] = [];
  /** Lifetime of the tokens answered, seconds. */
  expiresInS = 3600;
  /** Refuse the next this many exchanges with 400 invalid_grant. */
  refuseNext = 0;
  /** Wait this long before answering each exchange. */
  latencyMs = 0;
  private readonly privateKeyPem: string;
  private readonly publicKey: KeyObject;
  private server: http.Server | null = null;
  private url = '';

  constructor() {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    this.publicKey = pair.publicKey;
  }

  /** Starts the server; returns its token URL. */
  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/token`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A service-account key file (as an object) for the generated key, exchanging tokens here. */
  serviceAccount(): Record<string, string> {
    return {
      type: 'service_account',
      project_id: PROJECT_ID,
      private_key_id: 'mock-key-1',
      private_key: this.privateKeyPem,
      client_email: CLIENT_EMAIL,
      client_id: '100000000000000000001',
      auth_uri: 'https://accounts.google.com/o/oauth2/auth',
      token_uri: this.url,
      universe_domain: 'googleapis.com',
    };
  }

  /** The access tokens answered so far, in order. */
  tokensIssued(): string[] {
    return this.exchanges.map((e) => e.accessToken).filter((t): t is string => t !== null);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      setTimeout(() => this.answer(form, res), this.latencyMs);
    });
  }

  private answer(form: URLSearchParams, res: http.ServerResponse): void {
    const assertion = form.get('assertion') ?? '';
    const checked = this.check(assertion);
    const problem = checked.problem ?? (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer' ? null : 'unsupported grant_type');
    const refused = problem !== null || this.refuseNext > 0;
    if (this.refuseNext > 0) this.refuseNext--;
    const accessToken = refused ? null : `ya29.mock-token-${this.exchanges.length + 1}`;
    this.exchanges.push({ header: checked.header, claims: checked.claims, signatureValid: checked.signatureValid, grantType: form.get('grant_type'), accessToken });
    if (accessToken === null) {
      send(res, 400, { error: 'invalid_grant', error_description: problem ?? 'Invalid JWT Signature.' });
      return;
    }
    send(res, 200, { access_token: accessToken, expires_in: this.expiresInS, token_type: 'Bearer' });
  }

  /** Decodes and verifies a JWT assertion; `problem` says why it is not acceptable. */
  private check(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown>; signatureValid: boolean; problem: string | null } {
    const [head = '', body = '', signature = ''] = jwt.split('.');
    const header = decodeSegment(head);
    const claims = decodeSegment(body);
    const signatureValid = verify('RSA-SHA256', Buffer.from(`${head}.${body}`), this.publicKey, Buffer.from(signature, 'base64url'));
    const now = Math.floor(Date.now() / 1000);
    let problem: string | null = null;
    if (header.alg !== 'RS256' || !signatureValid) problem = 'Invalid JWT Signature.';
    else if (claims.iss !== CLIENT_EMAIL) problem = 'Invalid issuer';
    else if (typeof claims.scope !== 'string' || !claims.scope.split(' ').includes(CLOUD_PLATFORM_SCOPE)) problem = 'Invalid scope';
    else if (typeof claims.exp !== 'number' || claims.exp <= now) problem = 'Invalid JWT: Token must be a short-lived token';
    return { header, claims, signatureValid, problem };
  }
}

function decodeSegment(segment: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
