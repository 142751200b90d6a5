/**
 * Where the config comes from: a LiteLLM-format YAML file, or the environment when there is none.
 * The entry points for the CLI and for hot reload.
 */

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildConfig, type LoadResult } from './build.js';
import { environmentModelList } from './env-models.js';
import { ConfigError, NO_LOCATION } from './issues.js';
import { parseYamlSource } from './yaml-source.js';

export { ConfigError, formatConfigIssue } from './issues.js';
export type { LoadResult } from './build.js';

/** How messages name a config built from the environment. */
export const ENVIRONMENT_SOURCE = 'environment';

/** File names looked for in the working directory, in order, when no path is given. */
export const DISCOVERED_FILE_NAMES: readonly string[] = ['ailb.yaml', 'config.yaml'];

/**
 * Loads and validates a config file. Throws ConfigError when the file cannot be read, is not
 * valid YAML, or has invalid values; warnings (unknown keys, missing API keys) come back beside
 * the config. On success the file's environment_variables are exported into `env`.
 */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const source = resolve(path);
  return parseConfigText(readConfigText(source), source, env);
}

/** Validates config text as if read from the file `source` (an absolute path). */
export function parseConfigText(text: string, source: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  const parsed = parseYamlSource(text);
  if (!parsed.ok) throw new ConfigError(source, parsed.issues);
  return buildConfig({ raw: parsed.value, source, label: source, locator: parsed.locator, env });
}

function readConfigText(source: string): string {
  try {
    return readFileSync(source, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(source, [{ path: '', message: `cannot read the config file (${reason})`, line: null, column: null }]);
  }
}

/**
 * A config without a file: every OpenAI-compatible provider whose API key variable is set
 * contributes its well-known models and a `<provider>/*` wildcard; the master key and database
 * URL come from their variables; everything else takes its default.
 */
export function loadConfigFromEnvironment(env: NodeJS.ProcessEnv = process.env): LoadResult {
  return buildConfig({
    raw: { model_list: environmentModelList(env) },
    source: null,
    label: ENVIRONMENT_SOURCE,
    locator: NO_LOCATION,
    env,
  });
}

export interface ResolveOptions {
  /** The `--config` argument, relative to `cwd`. */
  readonly configPath?: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/**
 * The config file to use, or null for the environment: `--config`, else `AILB_CONFIG`, else
 * `./ailb.yaml`, else `./config.yaml` (each only when present). An explicit path is returned even
 * when missing, so that loading it reports the problem instead of silently using another source.
 */
export function discoverConfigPath(opts: ResolveOptions): string | null {
  if (opts.configPath !== undefined && opts.configPath !== '') return resolve(opts.cwd, opts.configPath);
  const fromEnv = opts.env.AILB_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(opts.cwd, fromEnv);
  for (const name of DISCOVERED_FILE_NAMES) {
    const candidate = resolve(opts.cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

/** Loads the config from the source discoverConfigPath chooses. */
export function resolveConfig(opts: ResolveOptions): LoadResult {
  const path = discoverConfigPath(opts);
  return path === null ? loadConfigFromEnvironment(opts.env) : loadConfigFile(path, opts.env);
}
