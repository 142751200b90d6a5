/**
 * Messages between the main thread and the event-loop threads (structured clone over the
 * worker's parentPort). A closed union: each side switches on `type`.
 */
import type { GatewayConfig } from '../config/types.js';

export interface WorkerInit {
  readonly config: GatewayConfig;
  readonly host: string;
  readonly port: number;
  readonly threadIndex: number;
  readonly version: string;
}

export type MainToWorker =
  | { readonly type: 'config'; readonly config: GatewayConfig }
  | { readonly type: 'drain'; readonly timeoutMs: number }
  | { readonly type: 'metrics-snapshot'; readonly id: number }
  | { readonly type: 'metrics-text'; readonly id: number; readonly text: string }
  | { readonly type: 'config-reload-result'; readonly ok: boolean };

export type WorkerToMain =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'listen-failed'; readonly message: string }
  | { readonly type: 'metrics-request'; readonly id: number }
  | { readonly type: 'metrics-snapshot'; readonly id: number; readonly snapshot: object[] }
  | { readonly type: 'drained'; readonly abandoned: number }
  | { readonly type: 'internal-error'; readonly callId: string; readonly message: string };
