/**
 * The runtime floor: what AILB's data path would cost with an empty pipeline. One uWS.js app
 * (the gateway's front end) relays each POST body unchanged through the gateway's own upstream
 * client (src/upstream/origin-pool.ts) and writes the answer back with its content type, nothing
 * else: no auth, no scan, no routing, no counting, no headers of its own.
 *
 * Why it is a contender: it separates what the Node.js + uWS.js architecture costs per request
 * from what the pipeline adds. AILB cannot be faster than this on one core; the gap between the
 * two is the pipeline's cost.
 *
 * Usage (run by the benchmark as a child): node dist/bench/e2e/runtime-floor.js PORT UPSTREAM_PORT
 */
import { OriginPool, type ExchangeHandler } from '../../src/upstream/origin-pool.js';
import { loadUws } from '../../src/server/uws.js';
import { statusLine } from '../../src/server/uws-sink.js';

const port = Number(process.argv[2]);
const upstreamPort = Number(process.argv[3]);
if (![port, upstreamPort].every((p) => Number.isInteger(p) && p > 0 && p <= 65535)) {
  process.stderr.write('usage: runtime-floor.js PORT UPSTREAM_PORT\n');
  process.exit(2);
}

const uws = loadUws();
const pool = new OriginPool(`http://127.0.0.1:${upstreamPort}`);
const HEADER_BLOCK = 'content-type: application/json\r\n';

uws
  .App()
  .post('/*', (res, req) => {
    const path = req.getUrl();
    const state = { aborted: false };
    res.onAborted(() => {
      state.aborted = true;
    });
    let body = Buffer.allocUnsafe(Number(req.getHeader('content-length')) || 16 * 1024);
    let length = 0;
    res.onData((chunk, isLast) => {
      const bytes = new Uint8Array(chunk);
      if (length + bytes.length > body.length) {
        const grown = Buffer.allocUnsafe(2 * (length + bytes.length));
        body.copy(grown, 0, 0, length);
        body = grown;
      }
      body.set(bytes, length);
      length += bytes.length;
      if (!isLast) return;
      const chunks: Buffer[] = [];
      let status = 502;
      let contentType = 'application/json';
      const handler: ExchangeHandler = {
        onHead(code, headers) {
          status = code;
          contentType = headers['content-type'] ?? contentType;
        },
        onBody(piece) {
          chunks.push(Buffer.from(piece));
          return true;
        },
        onComplete() {
          if (state.aborted) return;
          res.cork(() => {
            res.writeStatus(statusLine(status));
            res.writeHeader('content-type', contentType);
            res.end(Buffer.concat(chunks));
          });
        },
        onError() {
          if (state.aborted) return;
          res.cork(() => {
            res.writeStatus(statusLine(502));
            res.end();
          });
        },
      };
      pool.request({ path, headerBlock: HEADER_BLOCK, body: body.subarray(0, length), idleTimeoutMs: 0 }, handler);
    });
  })
  .listen('127.0.0.1', port, (socket) => {
    if (!socket) {
      process.stderr.write(`runtime-floor: could not listen on ${port}\n`);
      process.exit(1);
    }
  });
