/**
 * Store notifications (cache invalidations between instances). Two implementations behind one
 * interface: in-process delivery for PGlite (one process owns the database), and PostgreSQL
 * LISTEN/NOTIFY on the schema's channel for servers (pg-events.ts).
 */

/** NOTIFY payloads must be shorter than 8000 bytes; the same limit holds on PGlite so code that works there works on PostgreSQL. */
export const MAX_PAYLOAD_BYTES = 7999;

export type Listener = (payload: string) => void;

export interface StoreEvents {
  notify(payload: string): Promise<void>;
  /** Resolves once `listener` will receive every later notify; the result stops it. */
  listen(listener: Listener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export function checkPayload(payload: string): void {
  const bytes = Buffer.byteLength(payload);
  if (bytes > MAX_PAYLOAD_BYTES) throw new RangeError(`store notify payload is ${bytes} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
}

/** Calls each listener; one that throws is reported and does not stop the others. */
export function deliver(listeners: Iterable<Listener>, payload: string, onNotice?: (line: string) => void): void {
  for (const listener of listeners) {
    try {
      listener(payload);
    } catch (error) {
      onNotice?.(`a store listener threw: ${(error as Error).message}`);
    }
  }
}

/** In-process events: notify calls every listener of this store before it resolves. */
export function createLocalEvents(onNotice?: (line: string) => void): StoreEvents {
  const listeners = new Set<Listener>();
  return {
    async notify(payload) {
      checkPayload(payload);
      deliver([...listeners], payload, onNotice);
    },
    async listen(listener) {
      const entry: Listener = (payload) => listener(payload); // its own identity, so the same function may listen twice
      listeners.add(entry);
      return async () => {
        listeners.delete(entry);
      };
    },
    async close() {
      listeners.clear();
    },
  };
}
