/**
 * Config problems and where they are. Errors stop a load; warnings are returned beside the config
 * for the caller to log.
 */

import type { ConfigIssue } from './types.js';

/** 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Maps a config path (`model_list[1].litellm_params.rpm`) to where its key and its value were
 * written. A path with no entry of its own (a missing key, or one merged in from an alias) falls
 * back to the key of its nearest written ancestor.
 */
export interface Locator {
  find(path: string, at: 'key' | 'value'): Position | null;
}

/** For configs that come from no file (the environment). */
export const NO_LOCATION: Locator = { find: () => null };

/** "file:line:col: path: message", leaving out the parts that are unknown or empty. */
export function formatConfigIssue(source: string, issue: ConfigIssue): string {
  let where = source;
  if (issue.line !== null) {
    where += `:${issue.line}`;
    if (issue.column !== null) where += `:${issue.column}`;
  }
  return issue.path === '' ? `${where}: ${issue.message}` : `${where}: ${issue.path}: ${issue.message}`;
}

/** Thrown when a config cannot be loaded; `issues` holds every error found, not just the first. */
export class ConfigError extends Error {
  readonly code = 'config_invalid';
  readonly source: string;
  readonly issues: readonly ConfigIssue[];

  constructor(source: string, issues: readonly ConfigIssue[]) {
    const noun = issues.length === 1 ? 'error' : 'errors';
    const lines = issues.map((issue) => formatConfigIssue(source, issue));
    super(`invalid config ${source} (${issues.length} ${noun}):\n${lines.join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.issues = issues;
  }
}

/** Collects the errors and warnings of one load, placing each with the locator. */
export class IssueList {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  /** Paths whose `os.environ/` reference could not be resolved (already reported once). */
  private readonly unresolved = new Set<string>();

  constructor(private readonly locator: Locator) {}

  /** A bad value: placed at the value when written, else at the nearest written ancestor. */
  error(path: string, message: string, at: 'key' | 'value' = 'value'): void {
    if (this.unresolved.has(path)) return;
    this.errors.push(this.place(path, message, at));
  }

  /**
   * Reports a missing environment variable at `path`. Later errors about the same path (the value
   * is then absent) are dropped, so one mistake gives one message.
   */
  unresolvedEnv(path: string, message: string): void {
    this.errors.push(this.place(path, message, 'value'));
    this.unresolved.add(path);
  }

  /** Something the loader ignores or that will fail later: placed at the key by default. */
  warn(path: string, message: string, at: 'key' | 'value' = 'key'): void {
    this.warnings.push(this.place(path, message, at));
  }

  private place(path: string, message: string, at: 'key' | 'value'): ConfigIssue {
    const pos = this.locator.find(path, at);
    return { path, message, line: pos?.line ?? null, column: pos?.column ?? null };
  }
}

/** `parent.key`, or `key` at the top level. */
export function childPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

/** `parent[index]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}
