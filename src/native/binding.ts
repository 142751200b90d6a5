// The only module that loads the native addon (build/Release/ailb_native.node). Each component's
// wrapper in this folder (scan.ts, …) declares the functions it uses and reaches them through
// `nativeBinding`; nothing outside src/native/ touches the binary.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ADDON_PATH = join('build', 'Release', 'ailb_native.node');

/** Nearest directory at or above `from` that holds a package.json: the package root. */
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`ailb native: no package.json above ${from}`);
  }
}

// Resolved from the package root rather than from this file, so the same code works compiled
// (dist/src/native/) and from sources.
function loadBinding(): Record<string, unknown> {
  const file = join(packageRoot(dirname(fileURLToPath(import.meta.url))), ADDON_PATH);
  if (!existsSync(file)) {
    throw new Error(`ailb native addon is not built: ${file} is missing (run "npm run build")`);
  }
  return createRequire(import.meta.url)(file) as Record<string, unknown>;
}


/** The loaded addon's exports; wrappers cast it to the interface of the functions they use. */
export const nativeBinding: Record<string, unknown> = loadBinding();

/** Version of the loaded addon. */
export const nativeVersion: string = nativeBinding.version as string;
