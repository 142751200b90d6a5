/**
 * Messages between the main thread and the event-loop threads (structured clone over the
 * worker's parentPort). A closed union: each side switches on `type`.
 */
import type { GatewayConfig } from '../config/types.js';
import type { AdminRequest, AdminResponse, InvalidationScope } from '../control/types.js';
import type { LookupKind } from '../pipeline/auth/key-cache.js';
import type { SpendRowBatch } from '../spend/spend-recorder.js';

export interface WorkerInit {
  readonly config: GatewayConfig;
  readonly host: string;
  readonly port: number;
  readonly threadIndex: number;
  readonly version: string;
  /** Whether the main thread runs a store: virtual keys and management routes are served. */
  readonly controlPlane: boolean;
}

export type MainToWorker =
  | { readonly type: 'config'; readonly config: GatewayConfig }
  | { readonly type: 'drain'; readonly timeoutMs: number }
  | { readonly type: 'metrics-snapshot'; readonly id: number }
  | { readonly type: 'metrics-text'; readonly id: number; readonly text: string }
  | { readonly type: 'config-reload-result'; readonly ok: boolean }
  | { readonly type: 'admin-response'; readonly id: number; readonly response: AdminResponse }
  | { readonly type: 'auth-record'; readonly id: number; readonly record: unknown; readonly error: string | null }
  | { readonly type: 'auth-invalidate'; readonly id: number; readonly scope: InvalidationScope }
  | { readonly type: 'store-status'; readonly connected: boolean };

export type WorkerToMain =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'listen-failed'; readonly message: string }
  | { readonly type: 'metrics-request'; readonly id: number }
  | { readonly type: 'metrics-snapshot'; readonly id: number; readonly snapshot: object[] }
  | { readonly type: 'drained'; readonly abandoned: number }
  | { readonly type: 'internal-error'; readonly callId: string; readonly message: string }
  | { readonly type: 'admin-request'; readonly id: number; readonly request: AdminRequest }
  | { readonly type: 'auth-lookup'; readonly id: number; readonly kind: LookupKind; readonly key: string }
  | { readonly type: 'auth-invalidated'; readonly id: number }
  /**
   * Spend-log rows of finished requests (layout: src/spend/spend-recorder.ts): at most one
   * message per thread every ~100 ms or 512 rows, never one per request.
   */
  | { readonly type: 'spend-rows'; readonly batch: SpendRowBatch };
