/**
 * The SHA-256 digests (hex) of presented virtual keys, remembered by one event-loop thread. A
 * virtual key is found by its digest on every request (the key cache and the store know keys only
 * by digest), and hashing it again each time cost ~1.8 µs of a ~60 µs request.
 *
 * Contract: `of(key)` always equals `sha256(key)` in hex. A digest never changes, so nothing here
 * needs invalidating: revocation, expiry and rotation act on the key cache, which stays keyed by
 * digest. The memo is a Map keyed by the whole key string, so a key is matched exactly (a cheaper
 * hash as the Map key could let two keys share one digest). It holds the raw keys of recent
 * requests, as their request buffers do while they run; it is bounded, and cleared when it holds
 * `capacity` keys, so a stream of made-up keys costs one hash each, as without it.
 */
import { sha256 } from '../runtime.js';

export class KeyDigests {
  private readonly digests = new Map<string, string>();

  constructor(private readonly capacity = 10_000) {}

  of(key: string): string {
    let digest = this.digests.get(key);
    if (digest === undefined) {
      digest = sha256(key).toString('hex');
      if (this.digests.size >= this.capacity) this.digests.clear();
      this.digests.set(key, digest);
    }
    return digest;
  }

  get size(): number {
    return this.digests.size;
  }
}
