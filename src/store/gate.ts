/**
 * Counts a backend's work in progress so close() can let it finish, and refuses work after close
 * with `store_unavailable`. (Ending a pg Pool under a running query can leave that query
 * unanswered for ever.)
 */
import { closedError } from './errors.js';

export class WorkGate {
  private active = 0;
  private drained: (() => void) | null = null;
  private closed = false;

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw closedError();
    this.active++;
    try {
      return await work();
    } finally {
      if (--this.active === 0) this.drained?.();
    }
  }

  /** Refuses new work and resolves once the work in progress is done; false when already closed. */
  async close(): Promise<boolean> {
    if (this.closed) return false;
    this.closed = true;
    if (this.active > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    return true;
  }
}
