import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { gatewayV8Flags } from '../../src/server/v8-flags.js';

test('pretenuring is turned off unless the command line says otherwise', () => {
  assert.deepEqual(gatewayV8Flags([]), ['--no-allocation-site-pretenuring']);
  assert.deepEqual(gatewayV8Flags(['--max-old-space-size=4096', '--enable-source-maps']), ['--no-allocation-site-pretenuring']);
  for (const given of ['--allocation-site-pretenuring', '--no-allocation-site-pretenuring', '--allocation_site_pretenuring']) {
    assert.deepEqual(gatewayV8Flags([given]), [], given);
  }
});

test('setting the flags in a running process keeps it and its worker threads working', () => {
  // After the flags are set, a worker thread allocates short-lived objects through several
  // scavenges and a full GC, and the process exits normally.
  const script = `
    import { applyGatewayV8Flags } from ${JSON.stringify(new URL('../../src/server/v8-flags.js', import.meta.url).href)};
    import { Worker } from 'node:worker_threads';
    applyGatewayV8Flags([]);
    applyGatewayV8Flags([]);
    const worker = new Worker(\`
      const { parentPort } = await import('node:worker_threads');
      let kept = [];
      for (let i = 0; i < 300000; i++) { kept.push({ i, text: 'request ' + i }); if (kept.length > 64) kept = []; }
      parentPort.postMessage('done');
    \`, { eval: true });
    worker.on('message', (m) => { console.log(m); });
    worker.on('exit', (code) => { globalThis.gc?.(); process.exitCode = code; });
  `;
  const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout.trim(), 'done');
});
