/**
 * Requests made by the adapter, sent over HTTP as the upstream pool sends them (request line,
 * `host`, the header block, content-length, body) to the mock Bedrock, which checks each SigV4
 * signature as AWS does: signed requests pass, and a changed body, another region, another key or
 * a missing session token are refused with 403 like AWS.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { converseRequest } from '../../../src/providers/bedrock/chat-request.js';
import type { UpstreamRequest } from '../../../src/providers/types.js';
import { MockBedrock, TEST_AWS_CREDENTIALS } from '../../support/mocks/bedrock.js';
import { bedrockDeployment, bedrockTarget, CLAUDE } from './targets.js';

interface RawAnswer {
  status: number;
  body: string;
}

/** Sends `request` the way src/upstream/origin-pool.ts writes it. */
function send(endpoint: string, request: UpstreamRequest): Promise<RawAnswer> {
  const url = new URL(endpoint);
  const head = `POST ${request.path} HTTP/1.1\r\nhost: ${url.host}\r\n${request.headerBlock}content-length: ${request.body.length}\r\nconnection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => socket.end(Buffer.concat([Buffer.from(head), request.body])));
    const parts: Buffer[] = [];
    socket.on('data', (chunk) => parts.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(parts).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      resolve({ status, body });
    });
  });
}

describe('signed requests against the mock Bedrock', () => {
  const mock = new MockBedrock();
  const sessionMock = new MockBedrock({ ...TEST_AWS_CREDENTIALS, sessionToken: 'FwoGZXIvYXdzEXAMPLE' }, 'eu-west-1');
  let endpoint: string;
  let sessionEndpoint: string;

  before(async () => {
    endpoint = await mock.start();
    sessionEndpoint = await sessionMock.start();
  });

  after(async () => {
    await mock.stop();
    await sessionMock.stop();
  });

  const requestFor = (params: Record<string, unknown> = {}, apiBase = endpoint) =>
    converseRequest({ model: CLAUDE, messages: [{ role: 'user', content: 'Hi' }] }, bedrockTarget({ deployment: bedrockDeployment({ aws_bedrock_runtime_endpoint: apiBase, ...params }, { apiBase }) }));

  test('a signed Converse request is accepted and answered', async () => {
    const answer = await send(endpoint, await requestFor());
    assert.equal(answer.status, 200, answer.body);
    assert.equal(mock.lastRequest().authError, null);
    assert.equal(mock.lastRequest().path, '/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse');
    assert.equal(mock.lastRequest().modelId, CLAUDE);
  });

  test('a body changed after signing is refused with 403', async () => {
    const request = await requestFor();
    const answer = await send(endpoint, { ...request, body: Buffer.from(request.body.toString('utf8').replace('Hi', 'Ho')) });
    assert.equal(answer.status, 403);
    assert.match(JSON.parse(answer.body).message, /^The request signature we calculated does not match/);
  });

  test('a path changed after signing (the colon not encoded) is refused', async () => {
    const request = await requestFor();
    const answer = await send(endpoint, { ...request, path: request.path.replace('%3A', ':') });
    assert.equal(answer.status, 403);
  });

  test('a request signed for another region, or with another key, is refused', async () => {
    assert.equal((await send(endpoint, await requestFor({ aws_region_name: 'us-west-2' }))).status, 403);
    assert.equal((await send(endpoint, await requestFor({ aws_secret_access_key: 'wrong-secret' }))).status, 403);
    assert.equal((await send(endpoint, await requestFor({ aws_access_key_id: 'AKIDOTHER' }))).status, 403);
  });

  test('temporary credentials: the session token is sent and signed', async () => {
    const params = { aws_region_name: 'eu-west-1', aws_session_token: 'FwoGZXIvYXdzEXAMPLE' };
    assert.equal((await send(sessionEndpoint, await requestFor(params, sessionEndpoint))).status, 200);
    assert.equal(sessionMock.lastRequest().headers['x-amz-security-token'], 'FwoGZXIvYXdzEXAMPLE');
    assert.equal((await send(sessionEndpoint, await requestFor({ aws_region_name: 'eu-west-1' }, sessionEndpoint))).status, 403);
  });
});
