/**
 * `os.environ/NAME` references and the file's own `environment_variables`.
 */

import { childPath, indexPath, type IssueList } from './issues.js';
import { isPlainObject } from './fields.js';

const ENV_REF_PREFIX = 'os.environ/';

/** A read-only view of variables: the process environment overlaid with the file's own. */
export type EnvLookup = (name: string) => string | undefined;

/** The variable a string refers to, or null when it is not an `os.environ/` reference. */
export function envRefName(value: string): string | null {
  return value.startsWith(ENV_REF_PREFIX) ? value.slice(ENV_REF_PREFIX.length).trim() : null;
}

/**
 * Reads `environment_variables` into strings (numbers and booleans are written as text, like
 * LiteLLM's `str(value)`). A value may itself be an `os.environ/` reference, resolved against the
 * process environment.
 */
export function readEnvironmentVariables(
  raw: unknown,
  env: NodeJS.ProcessEnv,
  issues: IssueList,
): Record<string, string> {
  const path = 'environment_variables';
  const out: Record<string, string> = {};
  if (raw === undefined || raw === null) return out;
  if (!isPlainObject(raw)) {
    issues.error(path, 'must be a map of variable names to values');
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    const p = childPath(path, name);
    if (typeof value === 'number' || typeof value === 'boolean') {
      out[name] = String(value);
    } else if (typeof value === 'string') {
      const resolved = resolveString(value, p, (n) => env[n], issues);
      if (resolved !== null) out[name] = resolved;
    } else {
      issues.error(p, 'must be a string, number or boolean');
    }
  }
  return out;
}

/**
 * A deep copy of `value` with every `os.environ/NAME` string replaced by the variable's value.
 * A variable that is not set is an error naming it and the path; its value becomes null.
 */
export function substituteEnvRefs(value: unknown, path: string, lookup: EnvLookup, issues: IssueList): unknown {
  if (typeof value === 'string') return resolveString(value, path, lookup, issues);
  if (Array.isArray(value)) {
    return value.map((item, i) => substituteEnvRefs(item, indexPath(path, i), lookup, issues));
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = substituteEnvRefs(item, childPath(path, key), lookup, issues);
    }
    return out;
  }
  return value;
}

function resolveString(value: string, path: string, lookup: EnvLookup, issues: IssueList): string | null {
  const name = envRefName(value);
  if (name === null) return value;
  if (name === '') {
    issues.unresolvedEnv(path, `'${value}' names no environment variable`);
    return null;
  }
  const resolved = lookup(name);
  if (resolved === undefined) {
    issues.unresolvedEnv(path, `environment variable ${name} is not set (referenced as os.environ/${name})`);
    return null;
  }
  return resolved;
}
