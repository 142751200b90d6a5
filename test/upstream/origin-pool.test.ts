/**
 * The upstream client against real local servers: keep-alive reuse, a server that closes idle
 * connections (retried once), errors, timeouts, backpressure, abort, and TLS.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OriginPool, UpstreamTimeoutError, type ExchangeHandler } from '../../src/upstream/origin-pool.js';

interface Result {
  status: number;
  headers: Record<string, string>;
  body: string;
  error: Error | null;
}

function exchange(pool: OriginPool, body: string, idleTimeoutMs = 2000, path = '/v1/x'): Promise<Result> {
  return new Promise((resolve) => {
    const result: Result = { status: 0, headers: {}, body: '', error: null };
    const chunks: Buffer[] = [];
    const handler: ExchangeHandler = {
      onHead(status, headers) {
        result.status = status;
        result.headers = headers;
      },
      onBody(chunk) {
        chunks.push(Buffer.from(chunk));
        return true;
      },
      onComplete() {
        result.body = Buffer.concat(chunks).toString();
        resolve(result);
      },
      onError(error) {
        result.error = error;
        result.body = Buffer.concat(chunks).toString();
        resolve(result);
      },
    };
    pool.request({ path, headerBlock: 'content-type: application/json\r\nauthorization: Bearer k\r\n', body: Buffer.from(body), idleTimeoutMs }, handler);
  });
}

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

describe('OriginPool over plain HTTP', () => {
  const connections = new Set<net.Socket>();
  let server: http.Server;
  let origin: string;
  let mode = 'echo';

  before(async () => {
    server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const body = Buffer.concat(parts).toString();
        if (mode === 'hang') return;
        if (mode === 'stream') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          let i = 0;
          const timer = setInterval(() => {
            res.write(`data: ${i}\n\n`);
            if (++i === 5) {
              clearInterval(timer);
              res.end();
            }
          }, 5);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'x-path': req.url ?? '', 'x-auth': req.headers.authorization ?? '' });
        res.end(JSON.stringify({ echo: body, length: req.headers['content-length'] }));
      });
    });
    server.keepAliveTimeout = 200;
    server.on('connection', (socket) => {
      connections.add(socket);
      socket.on('close', () => connections.delete(socket));
    });
    origin = await listen(server);
  });

  after(async () => {
    for (const socket of connections) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('sends path, headers and body; reuses the connection', async () => {
    mode = 'echo';
    const pool = new OriginPool(origin);
    const first = await exchange(pool, '{"a":"é"}');
    assert.equal(first.error, null);
    assert.equal(first.status, 200);
    assert.equal(first.headers['x-path'], '/v1/x');
    assert.equal(first.headers['x-auth'], 'Bearer k');
    assert.deepEqual(JSON.parse(first.body), { echo: '{"a":"é"}', length: String(Buffer.byteLength('{"a":"é"}')) });
    const before = connections.size;
    for (let i = 0; i < 5; i++) assert.equal((await exchange(pool, 'x')).status, 200);
    assert.equal(connections.size, before, 'no new connection for sequential requests');
    await pool.close();
  });

  test('concurrent requests get their own answers', async () => {
    mode = 'echo';
    const pool = new OriginPool(origin, { maxConnections: 4 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => exchange(pool, `body-${i}`)));
    results.forEach((r, i) => assert.equal(JSON.parse(r.body).echo, `body-${i}`));
    await pool.close();
  });

  test('a connection the server closed while idle is replaced without failing the request', async () => {
    mode = 'echo';
    const pool = new OriginPool(origin);
    assert.equal((await exchange(pool, 'one')).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 400)); // past the server's keep-alive timeout
    const second = await exchange(pool, 'two');
    assert.equal(second.error, null);
    assert.equal(JSON.parse(second.body).echo, 'two');
    await pool.close();
  });

  test('an idle connection is closed once keepAliveMs has passed, and a later request opens a new one', async () => {
    mode = 'echo';
    // Well under the server's own 200 ms keep-alive timeout, so the close can only be ours.
    const pool = new OriginPool(origin, { keepAliveMs: 40 });
    const mine = new Set<net.Socket>();
    const track = (socket: net.Socket) => mine.add(socket);
    server.on('connection', track);
    try {
      assert.equal((await exchange(pool, 'one')).status, 200);
      assert.equal(mine.size, 1);
      const [socket] = mine;
      const deadline = Date.now() + 150;
      while (!socket.destroyed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.ok(socket.destroyed, 'the idle connection was not closed');
      assert.equal((await exchange(pool, 'two')).status, 200);
      assert.equal(mine.size, 2, 'the second request did not open a new connection');
    } finally {
      server.off('connection', track);
      await pool.close();
    }
  });

  test('a stream arrives in pieces and completes', async () => {
    mode = 'stream';
    const pool = new OriginPool(origin);
    const result = await exchange(pool, '{}');
    assert.equal(result.body, 'data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n');
    await pool.close();
  });

  test('no data within the idle timeout is an UpstreamTimeoutError', async () => {
    mode = 'hang';
    const pool = new OriginPool(origin);
    const started = performance.now();
    const result = await exchange(pool, '{}', 150);
    assert.ok(result.error instanceof UpstreamTimeoutError);
    assert.ok(performance.now() - started < 1000);
    await pool.close();
  });

  test('abort reports nothing more and the pool still works', async () => {
    mode = 'hang';
    const pool = new OriginPool(origin);
    let heard = false;
    const ex = pool.request(
      { path: '/', headerBlock: '', body: Buffer.from('{}'), idleTimeoutMs: 0 },
      { onHead: () => (heard = true), onBody: () => true, onComplete: () => (heard = true), onError: () => (heard = true) },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    ex.abort(new Error('client went away'));
    mode = 'echo';
    assert.equal((await exchange(pool, 'after')).status, 200);
    assert.equal(heard, false);
    await pool.close();
  });

  test('a refused connection is an error with its code', async () => {
    const probe = net.createServer();
    const deadOrigin = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const pool = new OriginPool(deadOrigin);
    const result = await exchange(pool, '{}');
    assert.equal((result.error as NodeJS.ErrnoException | null)?.code, 'ECONNREFUSED');
    await pool.close();
  });
});

test('backpressure: onBody returning false pauses reading until resume', async () => {
  const big = 'x'.repeat(4 * 1024 * 1024);
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(big);
  });
  const origin = await listen(server);
  const pool = new OriginPool(origin);
  let received = 0;
  let paused = 0;
  await new Promise<void>((resolve, reject) => {
    const ex = pool.request(
      { path: '/', headerBlock: '', body: Buffer.alloc(0), idleTimeoutMs: 5000 },
      {
        onHead: () => {},
        onBody: (chunk) => {
          received += chunk.length;
          paused++;
          setTimeout(() => ex.resume(), 1);
          return false;
        },
        onComplete: () => resolve(),
        onError: reject,
      },
    );
  });
  assert.equal(received, big.length);
  assert.ok(paused > 1);
  await pool.close();
  server.close();
});

describe('OriginPool over TLS', () => {
  let dir: string;
  let server: https.Server;
  let origin: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    server = https.createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ secure: true, url: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://localhost:${(server.address() as net.AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test('an untrusted certificate is refused', async () => {
    const pool = new OriginPool(origin);
    const result = await exchange(pool, '{}');
    assert.match(String((result.error as NodeJS.ErrnoException | null)?.code), /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
    await pool.close();
  });

  test('a trusted certificate works (NODE_EXTRA_CA_CERTS in a child process)', async () => {
    const script = `
      import { OriginPool } from ${JSON.stringify(new URL('../../src/upstream/origin-pool.js', import.meta.url).href)};
      const pool = new OriginPool(${JSON.stringify(origin)});
      const chunks = [];
      pool.request({ path: '/tls', headerBlock: '', body: Buffer.from('{}'), idleTimeoutMs: 2000 }, {
        onHead: (s) => chunks.push(String(s) + ' '), onBody: (c) => { chunks.push(c.toString()); return true; },
        onComplete: () => { console.log(chunks.join('')); pool.close(); }, onError: (e) => { console.log('ERR ' + e.message); pool.close(); },
      });`;
    // Asynchronously: the server lives in this process and must keep answering.
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem') },
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(stdout.trim(), '200 {"secure":true,"url":"/tls"}');
  });
});
