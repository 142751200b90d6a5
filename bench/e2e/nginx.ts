/**
 * nginx in two roles: the zero-delay upstream (`return 200` with a fixed completion) and the
 * reverse-proxy contender. Each instance gets its own prefix directory with a generated config;
 * every path nginx writes (pid, error log, temp files) is inside it, so it runs as root or not.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnChild, waitReady, type Child } from './children.js';
import { ANTHROPIC_RESPONSE_BODY, CHAT_PATH, MESSAGES_PATH } from './fixtures.js';

const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx', '/usr/bin/nginx'];

/** The nginx binary, or null when there is none. */
export function findNginx(): string | null {
  for (const candidate of CANDIDATES) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found !== '' ? found : null;
}

export function nginxVersion(binary: string): string {
  // `nginx -v` writes "nginx version: nginx/1.22.1" to stderr.
  const result = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  return (result.stderr || result.stdout).trim().replace(/^nginx version:\s*(nginx\/)?/, '');
}

/** nginx string literals: `$` starts a variable and `'`/`\` need escaping; our bodies use none. */
function nginxLiteral(text: string): string {
  if (/[$'\\\n]/.test(text)) throw new Error('the upstream body must not contain $, \', \\ or newlines');
  return `'${text}'`;
}

function commonHead(prefix: string): string {
  // As root the workers would drop to `nobody`, who cannot use a 0700 temp dir; keep them root.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `${user}worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 8192; multi_accept on; }
`;
}

function httpHead(prefix: string): string {
  return `  access_log off;
  keepalive_timeout 75s;
  keepalive_requests 1000000;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
`;
}

export function upstreamConfig(prefix: string, port: number, responseBody: string): string {
  return `${commonHead(prefix)}http {
${httpHead(prefix)}  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location = ${CHAT_PATH} {
      default_type application/json;
      return 200 ${nginxLiteral(responseBody)};
    }
    location = ${MESSAGES_PATH} {
      default_type application/json;
      return 200 ${nginxLiteral(ANTHROPIC_RESPONSE_BODY)};
    }
    location / { return 404; }
  }
}
`;
}

export function proxyConfig(prefix: string, port: number, upstreamPort: number): string {
  return `${commonHead(prefix)}http {
${httpHead(prefix)}  upstream llm {
    server 127.0.0.1:${upstreamPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} reuseport backlog=4096;
    location / {
      proxy_pass http://llm;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/** Writes `config` into `prefix` and starts nginx in the foreground, pinned to `cpu`. */
export async function startNginx(name: string, binary: string, prefix: string, config: string, port: number, cpu: number | null): Promise<Child> {
  mkdirSync(path.join(prefix, 'tmp'), { recursive: true });
  const confPath = path.join(prefix, 'nginx.conf');
  writeFileSync(confPath, config);
  const child = spawnChild(name, binary, ['-p', prefix, '-c', confPath, '-e', path.join(prefix, 'error.log'), '-g', 'daemon off;'], { cpu });
  await waitReady(child, port, 10_000);
  return child;
}
