/**
 * Loads uWebSockets.js's native binary, refusing its silent pure-JS fallback.
 *
 * The package we depend on (`uWebSockets.js`, aliased to an unofficial build on npm) answers a
 * failed binary load by quietly switching to a Node `http` implementation that is many times
 * slower. A gateway that is suddenly 10× slower with no error is worse than one that does not
 * start, so we load the binary ourselves and fail loudly unless AILB_ALLOW_SLOW_SERVER=1.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Uws from 'uWebSockets.js';

const require = createRequire(import.meta.url);

export type UwsModule = typeof Uws;

export class UwsLoadError extends Error {}

let loaded: UwsModule | null = null;

export function loadUws(env: NodeJS.ProcessEnv = process.env): UwsModule {
  if (loaded !== null) return loaded;
  const packageDir = path.dirname(require.resolve('uWebSockets.js/package.json'));
  const binary = path.join(
    packageDir,
    'binaries',
    `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
  );
  try {
    loaded = require(binary) as UwsModule;
  } catch (error) {
    if (env.AILB_ALLOW_SLOW_SERVER !== '1') {
      throw new UwsLoadError(
        `the native uWebSockets.js binary for ${process.platform}-${process.arch} (Node ABI ${process.versions.modules}) ` +
          `did not load (${(error as Error).message.split('\n')[0]}); refusing to run on the slow JavaScript fallback. ` +
          'Use Node.js 16, 18 or 20 on glibc Linux, macOS or Windows, or set AILB_ALLOW_SLOW_SERVER=1 to run anyway.',
      );
    }
    process.emitWarning('uWebSockets.js native binary did not load; running on the slow JavaScript fallback');
    loaded = require('uWebSockets.js') as UwsModule;
  }
  return loaded;
}

/**
 * The binary's App has `close()` (closes the listen socket and every open connection), which the
 * bundled typings omit.
 */
export type ClosableApp = import('uWebSockets.js').TemplatedApp & { close(): void };
