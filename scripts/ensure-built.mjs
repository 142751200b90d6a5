#!/usr/bin/env node
// Makes `npm start` and `npm test` work as the first commands on a fresh clone: installs the
// dependencies when node_modules is missing (which also builds the addon and the TypeScript),
// rebuilds the addon when its binary is missing, and compiles the TypeScript when asked to
// (`--compile`, used by `npm test`) or when dist/ is missing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const compile = process.argv.includes('--compile');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    process.stderr.write(`ailb: \`${command} ${args.join(' ')}\` failed\n`);
    process.exit(result.status ?? 1);
  }
}

const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ['npm', []];
if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  run(npm[0], [...npm[1], 'ci']);
} else {
  if (!existsSync(path.join(root, 'build', 'Release', 'ailb_native.node'))) run(npm[0], [...npm[1], 'run', 'build:native']);
  if (compile || !existsSync(path.join(root, 'dist', 'src', 'cli.js'))) run(npm[0], [...npm[1], 'run', 'build:ts']);
}
