/**
 * V8 flags the gateway sets for its process before the event-loop threads start. V8 flags are
 * process-wide, and each thread's isolate reads them from its creation on; Node.js takes them only
 * on its command line (not in NODE_OPTIONS, not per worker), so the gateway sets them itself and
 * `npm start`, the bin and the Dockerfile need nothing extra.
 *
 * `--no-allocation-site-pretenuring`: V8 watches which allocation sites' objects survive
 * scavenges and, once a thread's semi-spaces are at their maximum size (16 MB; a busy event-loop
 * thread gets there within seconds), "tenures" a site: its objects are then allocated straight into
 * old space. Under load it tenured the request path's own sites, so each request's short-lived
 * objects went to old space: ~0.5 MB promoted per scavenge, scavenges of 2–12 ms instead of under
 * 1 ms, and a mark-compact about once a second. Without it the same load promotes nothing, and
 * raising the semi-space maximum alone only delays the switch (docs/lifecycle.md#memory). A flag
 * given on the command line (`node --allocation-site-pretenuring …`) is left as given.
 */
import v8 from 'node:v8';

/** The flags to set, given the process's own command-line flags (process.execArgv). */
export function gatewayV8Flags(execArgv: readonly string[]): string[] {
  const pretenuringGiven = execArgv.some((arg) => /^--(no-)?allocation[-_]site[-_]pretenuring$/.test(arg));
  return pretenuringGiven ? [] : ['--no-allocation-site-pretenuring'];
}

/** Sets them; idempotent. Call before the first event-loop thread starts. */
export function applyGatewayV8Flags(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of gatewayV8Flags(execArgv)) v8.setFlagsFromString(flag);
}
