/**
 * Zero-delay upstream for machines without nginx: answers POST /v1/chat/completions with the fixed
 * completion (and POST /v1/messages with the same answer in Anthropic's format) as soon as the
 * request body has arrived, on native uWS.
 *
 * Usage (run by the benchmark as a child): node dist/bench/e2e/uws-upstream.js PORT
 */
import { loadUws } from '../../src/server/uws.js';
import { ANTHROPIC_RESPONSE_BODY, CHAT_PATH, MESSAGES_PATH, RESPONSE_BODY } from './fixtures.js';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  process.stderr.write('usage: uws-upstream.js PORT\n');
  process.exit(2);
}

const uws = loadUws();
const body = Buffer.from(RESPONSE_BODY);

/** Answers with `answer` once the request body has fully arrived, as a real upstream would. */
function answerWith(answer: Buffer) {
  return (res: import('uWebSockets.js').HttpResponse) => {
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    res.onData((_chunk, isLast) => {
      if (!isLast || aborted) return;
      res.cork(() => {
        res.writeHeader('content-type', 'application/json');
        res.end(answer);
      });
    });
  };
}

uws
  .App()
  .post(CHAT_PATH, answerWith(body))
  .post(MESSAGES_PATH, answerWith(Buffer.from(ANTHROPIC_RESPONSE_BODY)))
  .any('/*', (res) => {
    res.cork(() => res.writeStatus('404 Not Found').end());
  })
  .listen('127.0.0.1', port, (socket) => {
    if (!socket) {
      process.stderr.write(`uws-upstream: cannot listen on 127.0.0.1:${port}\n`);
      process.exit(1);
    }
    process.stdout.write(`uws-upstream: listening on 127.0.0.1:${port}\n`);
  });
