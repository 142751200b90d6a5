/**
 * The gateway's log: one line per event on stderr, plain text by default, JSON lines with
 * AILB_LOG_FORMAT=json. Startup lines (listeners, config summary) go to stdout.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(env: NodeJS.ProcessEnv = process.env, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const json = env.AILB_LOG_FORMAT === 'json';
  const threshold = ORDER[(env.AILB_LOG_LEVEL as LogLevel) in ORDER ? (env.AILB_LOG_LEVEL as LogLevel) : 'info'];
  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    if (json) {
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }) + '\n');
      return;
    }
    let line = `ailb ${level}: ${message}`;
    if (fields !== undefined) {
      for (const [key, value] of Object.entries(fields)) line += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    }
    write(line + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
