#!/usr/bin/env node
/**
 * `ailb` command line: `ailb start [--config FILE] [--port N] [--host H] [--threads N]`,
 * `ailb --help`, `ailb --version`. Exit codes: 0 after a clean shutdown, 1 when the gateway could
 * not start (bad config, port taken…), 2 for a bad command line.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, resolveConfig } from './config/load.js';
import type { ConfigIssue, GatewayConfig } from './config/types.js';
import { watchConfig } from './config/watch.js';
import { ControlService } from './control/service.js';
import { createLogger, type Logger } from './log.js';
import { Gateway } from './server/gateway.js';

export const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const HELP = `MarchProxy AILB ${VERSION}: an LLM gateway for OpenAI and Anthropic clients.

Usage:
  ailb start [--config FILE] [--port N] [--host H] [--threads N]
  ailb --help
  ailb --version

Options for start:
  --config FILE   LiteLLM-format config.yaml (default: $AILB_CONFIG, ./ailb.yaml, ./config.yaml;
                  without one, models come from provider keys in the environment)
  --port N        port to listen on (default: $PORT or 4000)
  --host H        address to listen on (default: 0.0.0.0)
  --threads N     event-loop threads (default: CPU cores, ${os.availableParallelism()} here)

Environment:
  AILB_MASTER_KEY / LITELLM_MASTER_KEY   master key when the config sets none
  AILB_DATA_DIR                          embedded state directory (default ./.ailb; PGlite lives in pglite/)
  DATABASE_URL                           PostgreSQL instead of PGlite (or general_settings.database_url)
  AILB_DATABASE_SCHEMA                   PostgreSQL schema for the store (default public)
  AILB_SALT_KEY / LITELLM_SALT_KEY       key for stored model credentials (default: the master key)
  AILB_LOG_FORMAT=json, AILB_LOG_LEVEL   log format and level (debug, info, warn, error)
`;

class UsageError extends Error {}

interface StartOptions {
  configPath: string | undefined;
  port: number;
  host: string;
  threads: number;
}

type Command = { command: 'help' } | { command: 'version' } | { command: 'start'; options: StartOptions };

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        port: { type: 'string', short: 'p' },
        host: { type: 'string' },
        threads: { type: 'string', short: 't' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  if (positionals.length === 0) throw new UsageError('missing command (try `ailb start`)');
  if (positionals[0] !== 'start' || positionals.length > 1) throw new UsageError(`unknown command '${positionals.join(' ')}'`);
  return {
    command: 'start',
    options: {
      configPath: values.config,
      port: integerOption('--port', values.port ?? (env.PORT || '4000'), 0, 65535),
      host: values.host ?? '0.0.0.0',
      threads: integerOption('--threads', values.threads ?? String(os.availableParallelism()), 1, 256),
    },
  };
}

function integerOption(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  }
  return value;
}

function printIssues(log: Logger, issues: readonly ConfigIssue[], source: string | null): void {
  for (const issue of issues) {
    const where = source === null ? '' : `${source}${issue.line === null ? '' : `:${issue.line}${issue.column === null ? '' : `:${issue.column}`}`}: `;
    log.warn(`${where}${issue.path}: ${issue.message}`);
  }
}

function summary(config: GatewayConfig): string {
  const groups = new Set(config.modelList.map((m) => m.modelName));
  const source = config.source ?? 'environment (no config file)';
  return `config ${source}: ${config.modelList.length} deployment(s) in ${groups.size} model group(s)`;
}

async function start(options: StartOptions, log: Logger): Promise<number> {
  const startedAt = performance.now();
  let loaded;
  try {
    loaded = resolveConfig({ configPath: options.configPath, cwd: process.cwd(), env: process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`ailb: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const { config, warnings } = loaded;
  printIssues(log, warnings, config.source);
  if (config.generalSettings.masterKey === null) {
    log.warn('no master key set (general_settings.master_key or AILB_MASTER_KEY): every request is let in');
  }

  // The store opens while the event-loop threads start: each takes hundreds of ms.
  const control = ControlService.open({ config, dataDir: path.resolve(process.env.AILB_DATA_DIR || '.ailb'), env: process.env, log });
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({ config, host: options.host, port: options.port, threads: options.threads, version: VERSION, log, control });
  } catch (error) {
    const storeFailed = await control.then(() => false, () => true);
    process.stderr.write(`ailb: ${storeFailed ? 'could not open the store: ' : ''}${(error as Error).message}\n`);
    return 1;
  }
  const readyMs = performance.now() - startedAt;
  for (let i = 0; i < options.threads; i++) {
    process.stdout.write(`ailb: thread ${i} listening on http://${options.host}:${gateway.port}\n`);
  }
  const store = gateway.control!.store;
  process.stdout.write(`ailb: store ${store.backend} at ${store.location}\n`);
  process.stdout.write(`ailb: ${summary(gateway.currentConfig)}; ${options.threads} thread(s); ready in ${readyMs.toFixed(0)} ms\n`);

  const watcher =
    config.source !== null && config.ailbSettings.hotReload
      ? watchConfig(
          config.source,
          (next) => {
            gateway.reload(next.config);
            printIssues(log, next.warnings, next.config.source);
            log.info(`config reloaded: ${summary(next.config)}`);
          },
          (error) => {
            gateway.reloadRejected();
            log.error(`config change ignored, the running config stays: ${error.message}`);
          },
        )
      : null;

  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log.warn(`${signal} again: exiting without waiting`);
        process.exit(130);
      }
      log.info(`${signal}: draining (up to ${gateway.currentConfig.ailbSettings.drainTimeoutS} s)`);
      watcher?.close();
      void gateway.stop().then(() => {
        log.info('stopped');
        resolve(0);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

async function main(): Promise<void> {
  const log = createLogger();
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ailb: ${error.message}\n\n${HELP}`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  if (parsed.command === 'help') {
    process.stdout.write(HELP);
    return;
  }
  if (parsed.command === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  process.exitCode = await start(parsed.options, log);
}

void main();
