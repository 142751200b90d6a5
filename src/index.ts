/**
 * Programmatic entry: embed the gateway in another Node process.
 *
 *   const { config } = resolveConfig({ cwd: process.cwd(), env: process.env });
 *   const gateway = await Gateway.start({ config, host: '127.0.0.1', port: 4000, threads: 2, version, log: createLogger() });
 */
export { Gateway, type GatewayOptions } from './server/gateway.js';
export { loadConfigFile, resolveConfig, loadConfigFromEnvironment, ConfigError } from './config/load.js';
export type { GatewayConfig, ModelDeployment } from './config/types.js';
export { ERRORS, GatewayError, type ErrorCode } from './errors.js';
export { createLogger, type Logger } from './log.js';
