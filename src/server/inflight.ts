/**
 * The requests one event-loop thread is serving (for draining), as an array with swap-remove.
 *
 * Why not a Set: V8 rebuilds a Set's hash table as entries come and go, and each table it leaves
 * behind keeps a link to its successor (for live iterators) and the entries it held. Once one of
 * those dead tables has been promoted to old space, a scavenge treats what it points to as live:
 * every later table, and through them nearly every request, survived into old space until the next
 * mark-compact. Measured on the benchmark (c=64, one thread): ~2 MB promoted per scavenge with a
 * Set, ~0.8 MB without, and scavenge pauses of 12–16 ms fell to 5–8 ms.
 *
 * Contract: a context is in at most one list; `slot` is its index while in, -1 otherwise.
 */
export interface InflightEntry {
  inflightSlot: number;
}

export class InflightList<T extends InflightEntry> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(entry: T): void {
    entry.inflightSlot = this.items.length;
    this.items.push(entry);
  }

  /** Removes `entry` when it is in the list; O(1), order not kept. */
  delete(entry: T): void {
    const slot = entry.inflightSlot;
    if (slot < 0) return;
    entry.inflightSlot = -1;
    const last = this.items.pop()!;
    if (last !== entry) {
      this.items[slot] = last;
      last.inflightSlot = slot;
    }
  }

  /** A copy of the entries, safe to iterate while entries are removed. */
  snapshot(): T[] {
    return this.items.slice();
  }
}
