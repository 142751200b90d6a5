/**
 * The spend-log writer's disk overflow: append-only JSON-lines files in one directory, one row a
 * line, each append fsync'd before it resolves, so a row the writer moved out of memory survives
 * a crash. Files are named `spend-logs-<ms>-<pid>-<seq>.jsonl` (oldest sorts first) and hold at
 * most `rowsPerFile` rows; the writer reads a sealed file back, commits its rows, then removes it.
 * Rows the database refused as data go to `spend-logs-rejected.jsonl` for an operator, never back
 * into the queue.
 *
 * One writer per directory: the operations here are serialised within this process only.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { inspect } from 'node:util';
import type { SpendLogRecord } from '../store/types.js';

const SPILL_FILE = /^spend-logs-\d{15}-\d+-\d{6}\.jsonl$/;
export const REJECTED_FILE = 'spend-logs-rejected.jsonl';

export interface SpillRead {
  readonly rows: SpendLogRecord[];
  /** Lines that are not a JSON object (a line cut short by a crash mid-append). */
  readonly bad: string[];
}

/** One JSON line per row; a row that cannot be serialised (a BigInt, a cycle) is written inspected. */
function toLines(rows: readonly unknown[]): string {
  try {
    return rows.map((row) => JSON.stringify(row)).join('\n') + '\n';
  } catch {
    return rows.map((row) => {
      try {
        return JSON.stringify(row);
      } catch {
        return JSON.stringify({ unserialisable: inspect(row, { depth: 4 }) });
      }
    }).join('\n') + '\n';
  }
}

export class SpillFiles {
  private current: { readonly file: string; readonly handle: FileHandle; rows: number } | null = null;
  private lock: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private madeDir = false;

  constructor(
    readonly dir: string,
    private readonly rowsPerFile: number,
  ) {}

  /** Runs `work` after every operation started before it. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.lock.then(work);
    this.lock = result.catch(() => undefined);
    return result;
  }

  private nextName(): string {
    return `spend-logs-${String(Date.now()).padStart(15, '0')}-${process.pid}-${String(++this.seq % 1_000_000).padStart(6, '0')}.jsonl`;
  }

  private async ensureDir(): Promise<void> {
    if (this.madeDir) return;
    await mkdir(this.dir, { recursive: true });
    this.madeDir = true;
  }

  /** Makes a new file's directory entry durable too. */
  private async syncDir(): Promise<void> {
    const handle = await open(this.dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async seal(): Promise<void> {
    const current = this.current;
    this.current = null;
    if (current !== null) await current.handle.close();
  }

  /** Appends the rows and fsyncs; resolves once they are on disk. */
  append(rows: readonly SpendLogRecord[]): Promise<void> {
    return this.serial(async () => {
      if (this.current !== null && this.current.rows >= this.rowsPerFile) await this.seal();
      if (this.current === null) {
        await this.ensureDir();
        const file = path.join(this.dir, this.nextName());
        this.current = { file, handle: await open(file, 'a'), rows: 0 };
        await this.syncDir();
      }
      await this.current.handle.appendFile(toLines(rows));
      await this.current.handle.sync();
      this.current.rows += rows.length;
    });
  }

  /** Writes the rows to a file of their own, synchronously (for rows enqueued after the writer closed). */
  appendSync(rows: readonly SpendLogRecord[]): void {
    mkdirSync(this.dir, { recursive: true });
    const fd = openSync(path.join(this.dir, this.nextName()), 'a');
    try {
      writeSync(fd, toLines(rows));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** The oldest spill file, sealing the one being appended to so that it is complete; null when none. */
  oldest(): Promise<string | null> {
    return this.serial(async () => {
      await this.seal();
      let names: string[];
      try {
        names = await readdir(this.dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
      const first = names.filter((name) => SPILL_FILE.test(name)).sort()[0];
      return first === undefined ? null : path.join(this.dir, first);
    });
  }

  async read(file: string): Promise<SpillRead> {
    const rows: SpendLogRecord[] = [];
    const bad: string[] = [];
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (line === '') continue;
      try {
        const row: unknown = JSON.parse(line);
        if (typeof row === 'object' && row !== null && !Array.isArray(row)) rows.push(row as SpendLogRecord);
        else bad.push(line);
      } catch {
        bad.push(line);
      }
    }
    return { rows, bad };
  }

  /** Removes a file whose rows are committed (already gone is fine). */
  remove(file: string): Promise<void> {
    return this.serial(async () => {
      await unlink(file).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    });
  }

  /** Keeps rows (or raw lines) the database refused, with the reason, for an operator. */
  reject(rows: readonly unknown[], reason: string): Promise<void> {
    return this.serial(async () => {
      await this.ensureDir();
      const handle = await open(path.join(this.dir, REJECTED_FILE), 'a');
      try {
        await handle.appendFile(toLines(rows.map((row) => ({ rejected_at: new Date().toISOString(), reason, row }))));
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }

  /** Closes the file being appended to, after the operations in progress. */
  close(): Promise<void> {
    return this.serial(() => this.seal());
  }
}
