/**
 * A PGlite database made once per machine and PGlite version, saved as a dumpDataDir() tarball,
 * that test stores start from: creating a PGlite database takes several seconds, loading one takes
 * a fraction of that. Concurrent test processes may each make it; the rename makes the last one
 * win whole, never half-written.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

// This file runs as dist/test/support/pglite-template.js; the package does not export its package.json.
const PACKAGE_JSON = new URL('../../../node_modules/@electric-sql/pglite/package.json', import.meta.url);
const VERSION = (JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string }).version;

let made: Promise<string> | null = null;

/** Path of the template tarball, making it first when this machine has none. */
export function pgliteTemplate(): Promise<string> {
  made ??= (async () => {
    const file = path.join(os.tmpdir(), `ailb-pglite-template-${VERSION}.tar`);
    if (existsSync(file)) return file;
    const db = await PGlite.create('memory://');
    const dump = await db.dumpDataDir('none');
    await db.close();
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, Buffer.from(await dump.arrayBuffer()));
    renameSync(temp, file);
    return file;
  })();
  return made;
}
