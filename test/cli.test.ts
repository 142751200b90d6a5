/**
 * The `ailb` command as a user runs it, in a child process: help, version, bad flags, bad config,
 * start and serve, hot reload (good and bad edits), and SIGTERM with a stream in flight.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MockOpenAI, sleep } from './support/mock-openai.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const KEY = 'sk-cli-test-master';
/** One embedded store for every start in this file: the first start creates it (several seconds), later ones reopen it. */
const DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 'ailb-cli-data-'));
process.on('exit', () => rmSync(DATA_DIR, { recursive: true, force: true }));

function run(args: string[], cwd = os.tmpdir()) {
  return spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 10_000, env: { ...process.env, PORT: '' } });
}

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

async function startCli(configPath: string): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'start', '--config', configPath, '--port', '0', '--host', '127.0.0.1', '--threads', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AILB_DATA_DIR: DATA_DIR, DATABASE_URL: '' },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 2400; i++) {
    const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
    if (match && /ready in/.test(output)) return { child, port: Number(match[1]), output: () => output, exited };
    if (child.exitCode !== null) break;
    await sleep(25);
  }
  child.kill('SIGKILL');
  throw new Error(`gateway did not start:\n${output}`);
}

function configYaml(apiBase: string, models: string[]): string {
  return `model_list:
${models.map((m) => `  - model_name: ${m}\n    litellm_params:\n      model: openai/${m}\n      api_base: ${apiBase}\n      api_key: sk-up`).join('\n')}
general_settings:
  master_key: ${KEY}
ailb_settings:
  drain_timeout_s: 10
`;
}

/** Replaces a file the way editors do: write a temp file, rename over. */
function replaceFile(file: string, text: string): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

async function modelIds(port: number): Promise<string[]> {
  const response = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } });
  const body = (await response.json()) as { data: { id: string }[] };
  return body.data.map((m) => m.id).sort();
}

describe('ailb command line', () => {
  const upstream = new MockOpenAI();
  let apiBase = '';
  let dir = '';

  before(async () => {
    apiBase = await upstream.start();
    dir = mkdtempSync(path.join(os.tmpdir(), 'ailb-cli-'));
  });

  after(async () => {
    await upstream.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('--help and --version', () => {
    const help = run(['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /ailb start \[--config FILE\] \[--port N\] \[--host H\] \[--threads N\]/);
    const version = run(['--version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  test('unknown flags and commands exit 2 with a message', () => {
    const flag = run(['start', '--bogus']);
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /bogus/);
    const command = run(['serve']);
    assert.equal(command.status, 2);
    assert.match(command.stderr, /unknown command 'serve'/);
    const port = run(['start', '--port', 'eighty']);
    assert.equal(port.status, 2);
    assert.match(port.stderr, /--port must be an integer/);
  });

  test('an invalid config exits 1 naming the file, line and key', () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, `model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/a\n      rpm: lots\n`);
    const result = run(['start', '--config', file, '--port', '0']);
    assert.equal(result.status, 1);
    assert.ok(result.stderr.includes(file), result.stderr);
    assert.match(result.stderr, /:5:\d+/);
    assert.match(result.stderr, /model_list\[0\]\.litellm_params\.rpm/);
  });

  test('an unreadable config exits 1 naming the file', () => {
    const result = run(['start', '--config', path.join(dir, 'missing.yaml')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /missing\.yaml/);
  });

  test('start serves the configured models and reloads on change', async () => {
    const file = path.join(dir, 'reload.yaml');
    writeFileSync(file, configYaml(apiBase, ['alpha']));
    const gw = await startCli(file);
    try {
      assert.match(gw.output(), /thread 0 listening/);
      assert.match(gw.output(), /thread 1 listening/);
      assert.match(gw.output(), /1 deployment\(s\) in 1 model group\(s\); 2 thread\(s\); ready in \d+ ms/);
      assert.deepEqual(await modelIds(gw.port), ['alpha']);

      replaceFile(file, configYaml(apiBase, ['alpha', 'beta']));
      let ids: string[] = [];
      for (let i = 0; i < 100; i++) {
        ids = await modelIds(gw.port);
        if (ids.length === 2) break;
        await sleep(30);
      }
      assert.deepEqual(ids, ['alpha', 'beta']);

      // An invalid edit is refused: the running config stays and the log says why.
      replaceFile(file, configYaml(apiBase, ['alpha']).replace('api_key: sk-up', 'api_key: sk-up\n      weight: -1'));
      for (let i = 0; i < 100 && !/config change ignored/.test(gw.output()); i++) await sleep(30);
      assert.match(gw.output(), /config change ignored.*weight/s);
      assert.deepEqual(await modelIds(gw.port), ['alpha', 'beta']);
    } finally {
      gw.child.kill('SIGTERM');
      assert.equal(await gw.exited, 0);
    }
  });

  test('SIGTERM lets a stream in flight finish, then exits 0', async () => {
    const file = path.join(dir, 'drain.yaml');
    writeFileSync(file, configYaml(apiBase, ['alpha']));
    const gw = await startCli(file);
    upstream.enqueue({ kind: 'stream', chunks: 10, intervalMs: 60 });
    const response = await fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: '{"model":"alpha","messages":[{"role":"user","content":"hi"}],"stream":true}',
    });
    assert.equal(response.status, 200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.ok(!first.done);
    gw.child.kill('SIGTERM');
    let text = Buffer.from(first.value!).toString();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
      }
    } catch (error) {
      throw new Error(`stream cut after ${JSON.stringify(text)}; gateway output:\n${gw.output()}`, { cause: error });
    }
    assert.match(text, /piece9/);
    assert.match(text, /data: \[DONE\]/);
    const started = performance.now();
    assert.equal(await gw.exited, 0);
    assert.ok(performance.now() - started < 5000, 'exited promptly after the stream');
    // New connections are refused once draining started.
    await assert.rejects(fetch(`http://127.0.0.1:${gw.port}/health/liveliness`));
  });
});
