/**
 * The zero-delay upstream every contender forwards to: nginx `return 200` when nginx exists, else
 * a native uWS server. It runs once for the whole benchmark, on the load core.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { freePort, spawnChild, waitReady, type Child } from './children.js';
import { RESPONSE_BODY } from './fixtures.js';
import { findNginx, nginxVersion, startNginx, upstreamConfig } from './nginx.js';
import { REPO_ROOT } from './options.js';

export interface Upstream {
  kind: string;
  port: number;
  child: Child;
}

const UWS_UPSTREAM = path.join(REPO_ROOT, 'dist', 'bench', 'e2e', 'uws-upstream.js');

export async function startUpstream(choice: 'auto' | 'nginx' | 'uws', workDir: string, cpu: number | null): Promise<Upstream> {
  const nginx = findNginx();
  if (choice === 'nginx' && nginx === null) throw new Error('BENCH_UPSTREAM=nginx but there is no nginx binary');
  const port = await freePort();
  if (nginx !== null && choice !== 'uws') {
    const child = await startNginx('upstream nginx', nginx, workDir, upstreamConfig(workDir, port, RESPONSE_BODY), port, cpu);
    return { kind: `nginx ${nginxVersion(nginx)}, return 200`, port, child };
  }
  if (!existsSync(UWS_UPSTREAM)) throw new Error(`no nginx and no ${path.relative(REPO_ROOT, UWS_UPSTREAM)} (build first)`);
  const child = spawnChild('upstream uws', process.execPath, [UWS_UPSTREAM, String(port)], { cpu });
  await waitReady(child, port, 10_000);
  return { kind: 'uWebSockets.js (native) server', port, child };
}
