/**
 * The SigV4 signature of Bedrock requests, checked against a second implementation written here
 * from the AWS documentation with node:crypto (and proved on AWS's published examples first):
 * the model id's `:` is %3A on the wire and %253A in the canonical request (non-S3 services
 * encode the path twice), the signed headers are the ones sent, and the session token is signed.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { signedHeaders } from '../../../src/providers/bedrock/sigv4.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

interface Reference {
  readonly canonicalRequest: string;
  readonly signature: string;
}

const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** SigV4 as the AWS General Reference describes it ("Create a signed AWS API request"). */
function referenceSignature(input: {
  method: string;
  wirePath: string;
  query: string;
  headers: Record<string, string>;
  body: string | Buffer;
  amzDate: string;
  region: string;
  service: string;
  secret: string;
}): Reference {
  const query = [...new URLSearchParams(input.query)]
    .map(([k, v]) => [uriEncode(k), uriEncode(v)])
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = Object.keys(input.headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${input.headers[n].trim().replace(/\s+/g, ' ')}\n`).join('');
  // Every service but S3: each segment of the (already encoded) path is encoded again.
  const canonicalUri = input.wirePath.split('/').map(uriEncode).join('/');
  const canonicalRequest = [input.method, canonicalUri, query, canonicalHeaders, names.join(';'), sha256(input.body)].join('\n');
  const day = input.amzDate.slice(0, 8);
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${input.secret}`, day);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  return { canonicalRequest, signature: createHmac('sha256', key).update(stringToSign).digest('hex') };
}

describe('the reference implementation', () => {
  test("reproduces AWS's documented IAM ListUsers example", () => {
    const ref = referenceSignature({
      method: 'GET',
      wirePath: '/',
      query: 'Action=ListUsers&Version=2010-05-08',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', host: 'iam.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
      body: '',
      amzDate: '20150830T123600Z',
      region: 'us-east-1',
      service: 'iam',
      secret: SECRET,
    });
    assert.equal(sha256(ref.canonicalRequest), 'f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
    assert.equal(ref.signature, '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
  });

  test("reproduces the SigV4 test suite's get-vanilla-query-order-key-case", () => {
    const ref = referenceSignature({
      method: 'GET',
      wirePath: '/',
      query: 'Param2=value2&Param1=value1',
      headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' },
      body: '',
      amzDate: '20150830T123600Z',
      region: 'us-east-1',
      service: 'service',
      secret: SECRET,
    });
    assert.equal(ref.signature, 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500');
  });
});

describe('signedHeaders', () => {
  const date = new Date('2024-06-20T12:34:56Z');
  const body = Buffer.from('{"messages":[{"role":"user","content":[{"text":"hi"}]}]}');
  const wirePath = '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse';

  test('signs a Converse request as the reference does, with the path encoded twice', async () => {
    const headers = await signedHeaders({
      apiBase: 'https://bedrock-runtime.us-east-1.amazonaws.com',
      path: wirePath,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET, sessionToken: null },
      date,
    });
    const bodyHash = sha256(body);
    assert.deepEqual(Object.keys(headers).sort(), ['accept', 'authorization', 'content-type', 'host', 'x-amz-content-sha256', 'x-amz-date']);
    assert.equal(headers.host, 'bedrock-runtime.us-east-1.amazonaws.com');
    assert.equal(headers['x-amz-date'], '20240620T123456Z');
    assert.equal(headers['x-amz-content-sha256'], bodyHash);
    const ref = referenceSignature({
      method: 'POST',
      wirePath,
      query: '',
      headers: { accept: 'application/json', 'content-type': 'application/json', host: headers.host, 'x-amz-content-sha256': bodyHash, 'x-amz-date': '20240620T123456Z' },
      body,
      amzDate: '20240620T123456Z',
      region: 'us-east-1',
      service: 'bedrock',
      secret: SECRET,
    });
    assert.match(ref.canonicalRequest, /^POST\n\/model\/anthropic\.claude-3-5-sonnet-20240620-v1%253A0\/converse\n/);
    assert.equal(
      headers.authorization,
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240620/us-east-1/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=${ref.signature}`,
    );
  });

  test('signs the host with its port as the upstream pool sends it, and the session token', async () => {
    const headers = await signedHeaders({
      apiBase: 'http://127.0.0.1:8123',
      path: '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream',
      headers: { 'content-type': 'application/json' },
      body,
      region: 'eu-west-3',
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: SECRET, sessionToken: 'session-token-1' },
      date,
    });
    assert.equal(headers.host, '127.0.0.1:8123');
    assert.equal(headers['x-amz-security-token'], 'session-token-1');
    const ref = referenceSignature({
      method: 'POST',
      wirePath: '/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse-stream',
      query: '',
      headers: { 'content-type': 'application/json', host: '127.0.0.1:8123', 'x-amz-content-sha256': sha256(body), 'x-amz-date': '20240620T123456Z', 'x-amz-security-token': 'session-token-1' },
      body,
      amzDate: '20240620T123456Z',
      region: 'eu-west-3',
      service: 'bedrock',
      secret: SECRET,
    });
    assert.match(headers.authorization, /Credential=ASIAEXAMPLE\/20240620\/eu-west-3\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, /);
    assert.ok(headers.authorization.endsWith(`Signature=${ref.signature}`));
  });

  test('refuses credentials with a line break (they would split the request head)', async () => {
    await assert.rejects(
      signedHeaders({ apiBase: 'https://x.example', path: '/', headers: {}, body, region: 'us-east-1', credentials: { accessKeyId: 'AKID\r\nx: y', secretAccessKey: SECRET, sessionToken: null } }),
      (error: any) => error.code === 'upstream_auth_failed',
    );
  });
});
