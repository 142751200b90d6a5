/**
 * Hot reload: watches a config file and hands over each valid new version.
 */

import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfigFile, type LoadResult } from './load.js';

export interface ConfigWatcher {
  /** Stops watching; no callback runs after it returns. */
  close(): void;
}

export interface WatchOptions {
  /** Environment the reloaded config reads (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Quiet time after the last change before reloading, ms (default 100). */
  readonly debounceMs?: number;
}

/**
 * Calls `onChange` with each new valid config (and its warnings) and `onError` with the ConfigError of an invalid
 * one (the caller logs it and keeps serving with the config it has).
 *
 * The directory is watched, not the file: editors save by writing a new file and renaming it over
 * the old one, and Kubernetes swaps a ConfigMap by replacing a symlink in the directory, so a
 * watch on the file itself would stay on the replaced inode. Any event in the directory schedules
 * a reload; the file's text is compared with the last one seen, so events for other files or
 * saves without changes hand over nothing.
 */
export function watchConfig(
  path: string,
  onChange: (result: LoadResult) => void,
  onError: (err: Error) => void,
  options: WatchOptions = {},
): ConfigWatcher {
  const file = resolve(path);
  const env = options.env ?? process.env;
  const debounceMs = options.debounceMs ?? 100;
  let lastText = readTextOrNull(file);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  const reload = (): void => {
    timer = null;
    if (closed) return;
    const text = readTextOrNull(file);
    if (text !== null && text === lastText) return;
    lastText = text;
    let result: LoadResult;
    try {
      result = loadConfigFile(file, env);
    } catch (err) {
      onError(err as Error);
      return;
    }
    onChange(result);
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(reload, debounceMs);
  };

  const watcher: FSWatcher = watch(dirname(file), { persistent: false }, schedule);
  watcher.on('error', (err) => {
    if (!closed) onError(err);
  });

  return {
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      watcher.close();
    },
  };
}

/** The file's text, or null while it is missing or unreadable (mid-rename, deleted). */
function readTextOrNull(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
