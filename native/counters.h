// counters.h: the process-wide counter store behind rate limits, in-flight gauges and budgets,
// with all-or-nothing reservations across several counters (reserve, then settle or release).
//
// The N-API glue (glue/counters.cc) keeps one CounterStore for the whole process, so every
// thread that loads the addon shares it. This header knows nothing of N-API and can be
// instantiated any number of times (the unit tests make one per case).
//
// Units. Every amount, limit and usage is a non-negative integer of the caller's unit
// (requests, tokens, micro-dollars) no larger than kMaxAmount = 2^53 - 1, so each is exact
// in a JavaScript number. A limit of kMaxAmount means "unlimited" (usage is still counted).
//
// Keys. intern(name) maps a byte string to a small id (0, 1, 2, … in order of first use),
// stable for the store's lifetime and equal in every thread. Interning takes a mutex and may
// allocate; the per-request calls (reserve, settle, release, info) use ids only, take only
// the involved counters' spinlocks, and never allocate or throw.
//
// Kinds (configure(id, kind, limit, window_ms, now)):
//   * FixedWindow: usage in the window [k*W, (k+1)*W) for the current k = floor(now / W), i.e.
//     windows are aligned to the Unix epoch, not to the first request. At a window boundary
//     the count starts again from zero.
//   * SlidingWindow: the window is cut into sub-buckets of g = ceil(W / 20) ms, aligned to the
//     epoch; the count is the sum of the current sub-bucket and the 20 before it. A unit
//     therefore stops counting at the first sub-bucket boundary after (admission + 20*g): it
//     counts for more than 20*g >= W and at most 21*g ms. So any span of W ms never holds more
//     than `limit` admitted units (no over-admission against a true sliding window); the
//     price is that capacity comes back up to g (+ rounding: 20*g - W < 20 ms) late, i.e. at
//     most ~5% of W. The estimate is exact in the units it counts: nothing is interpolated.
//   * Gauge: a current value with a maximum (e.g. requests in flight). A reservation holds its
//     amount until it is settled or released; both give the amount back (actual amounts are
//     ignored for gauges). No window; reset() sets the value.
//   * Accumulator: spend with a maximum (a budget, e.g. in micro-dollars). No window: the
//     caller calls reset(id, start) at its budget period boundaries.
//
// Admission. A counter admits `amount` when current + amount <= limit, where current is the
// settled usage plus what open reservations hold. An amount of 0 is admitted unless the
// counter is already over its limit. reserve(ids, amounts, n, now) locks every counter
// involved (ascending id order, so two reservations never deadlock), brings each window up
// to `now`, and either records every amount (all counters admit) or changes nothing and
// reports the first refusing counter in the caller's order: its index, limit, remaining
// (limit - current, at least 0) and retry_ms, the ms from `now` until enough has expired for
// the amount to fit (-1 when time alone will not free it: gauges, accumulators, or an
// amount larger than the limit).
//
// Attribution. A reservation belongs to the window (sub-bucket) that was current when it was
// made. settle(handle, actual) replaces the reserved amounts by the actual ones in that
// window; release(handle) takes them out. If that window has already ended, the reserved
// amount left with it and settle/release change nothing for that counter: usage is never
// moved into a later window. settle may take a counter over its limit (the work has already
// happened); the next reserve then sees it and refuses until the window frees enough.
// reset() and a change of kind or window length also end the period of earlier reservations.
// Every handle must be settled or released exactly once; a second call (or a made-up handle)
// returns kUnknownHandle and changes nothing. Handles carry a 32-bit generation, so a stale
// handle is only mistaken for a live one after 2^32 reuses of its slot.
//
// Time. `now` is ms since the Unix epoch (Date.now()). A counter's window never moves back:
// a call whose `now` is older than the counter's current window (clock step, or another
// thread's slightly older Date.now()) is counted in the counter's current window.
//
// Ordering and consistency. Each counter is linearizable: every reserve, settle, release,
// reset and configure of it happens at one point in time while holding its lock. A reserve is
// atomic across all of its counters. settle and release lock one counter at a time, and
// info/snapshot read one counter at a time, so a reader may see a reservation settled in one
// counter and not yet in another; it never sees half of a reservation admitted.
//
// Overflow. Amounts, limits and `now` above kMaxAmount are rejected (kBadArgument). Usage that
// settle pushes beyond kMaxAmount saturates there (2^53 micro-dollars is 9 billion dollars;
// no realistic counter gets near it).
//
// Capacity. init() fixes the number of ids (at most kMaxCapacity = 2^20) and of reservations
// open at once (at most kMaxReservations = 2^20). Beyond them intern returns
// kCapacityExceeded and reserve returns kReservationsFull; nothing crashes. A reservation
// spans at most kMaxIdsPerReservation (32) counters, each id once. Memory: 128 bytes per
// interned id (allocated 1024 ids at a time), 21*16 bytes more per sliding-window counter,
// 8 bytes of hash table per id of capacity, and 788 bytes per reservation slot, of which 776
// are address space touched only when that many reservations are open at once.

#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

namespace ailb::counters {

inline constexpr int64_t kMaxAmount = (int64_t{1} << 53) - 1;
inline constexpr uint32_t kMaxCapacity = 1u << 20;
inline constexpr uint32_t kMaxReservations = 1u << 20;
inline constexpr uint32_t kDefaultCapacity = 1u << 20;
inline constexpr uint32_t kDefaultReservations = 1u << 16;
inline constexpr uint32_t kMaxIdsPerReservation = 32;
inline constexpr size_t kMaxNameBytes = 1024;
inline constexpr int64_t kMaxWindowMs = int64_t{1} << 40;  // about 35 years
inline constexpr int64_t kSlidingBuckets = 20;             // full sub-buckets before the current one
inline constexpr int64_t kSlidingSlots = kSlidingBuckets + 1;

// Results of every call; negative, so a reserve can return either a handle (>= 0) or one of
// these. The order is part of the N-API layout (src/native/counters.ts mirrors it).
enum Status : int32_t {
  kOk = 0,
  kRefused = -1,            // a counter would exceed its limit; the Refusal says which
  kNotOpen = -2,            // the store was not initialised (init / countersOpen)
  kBadArgument = -3,        // amount, limit, window, kind, now, name or count out of range
  kUnknownId = -4,          // the id was never interned
  kNotConfigured = -5,      // the id was interned but never configured
  kDuplicateId = -6,        // one reservation names the same id twice
  kTooManyIds = -7,         // more than kMaxIdsPerReservation ids
  kCapacityExceeded = -8,   // intern: the store already holds `capacity` ids
  kReservationsFull = -9,   // reserve: `reservations` reservations are open
  kUnknownHandle = -10,     // settle/release: not an open reservation
  kLengthMismatch = -11,    // settle: not one actual amount per reserved counter
  kOutOfMemory = -12,
  kAlreadyOpen = -13,       // init: already initialised with other sizes
};

inline const char* status_message(int32_t status) {
  switch (status) {
    case kOk: return "ok";
    case kRefused: return "limit reached";
    case kNotOpen: return "counter store is not open";
    case kBadArgument: return "argument out of range";
    case kUnknownId: return "unknown counter id";
    case kNotConfigured: return "counter is not configured";
    case kDuplicateId: return "counter id repeated in one reservation";
    case kTooManyIds: return "too many counters in one reservation";
    case kCapacityExceeded: return "counter store is full";
    case kReservationsFull: return "too many open reservations";
    case kUnknownHandle: return "unknown or finished reservation";
    case kLengthMismatch: return "actual amounts do not match the reservation";
    case kOutOfMemory: return "out of memory";
    case kAlreadyOpen: return "counter store is already open with other sizes";
    default: return "unknown status";
  }
}

enum Kind : int32_t {
  kUnconfigured = 0,
  kFixedWindow = 1,
  kSlidingWindow = 2,
  kGauge = 3,
  kAccumulator = 4,
};

// Why a reserve was refused. retry_ms: see "Admission" above.
struct Refusal {
  int32_t index;  // position in the caller's ids
  int64_t limit;
  int64_t remaining;
  int64_t retry_ms;
};

// One counter's state as of `now`. reset_ms: fixed window, ms until the window ends; sliding
// window, ms until everything counted now has expired (0 when nothing is counted); -1 for
// gauges and accumulators.
struct Info {
  int32_t kind;
  int64_t current;   // settled usage + open reservations: what the limit is checked against
  int64_t reserved;  // the part of current held by open reservations
  int64_t limit;
  int64_t remaining;
  int64_t window_ms;
  int64_t reset_ms;
};

namespace detail {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

// Test-and-test-and-set lock. Critical sections are a few dozen instructions, so spinning
// is cheaper than parking; after a while it yields in case the holder was preempted.
class SpinLock {
 public:
  void lock() {
    for (uint32_t spins = 0;;) {
      if (state_.exchange(1, std::memory_order_acquire) == 0) return;
      while (state_.load(std::memory_order_relaxed) != 0) {
        if (++spins < 128) {
          cpu_relax();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  void unlock() { state_.store(0, std::memory_order_release); }

 private:
  std::atomic<uint32_t> state_{0};
};

// Mutex for the cold paths (intern, configure, init) without <mutex>'s exceptions.
class ColdLock {
 public:
  explicit ColdLock(SpinLock& lock) : lock_(lock) { lock_.lock(); }
  ~ColdLock() { lock_.unlock(); }
  ColdLock(const ColdLock&) = delete;
  ColdLock& operator=(const ColdLock&) = delete;

 private:
  SpinLock& lock_;
};

struct Slot {
  int64_t current;
  int64_t reserved;
};

struct alignas(64) Counter {
  SpinLock lock;
  uint32_t epoch = 0;  // bumped by reset and by a change of kind or window length
  int32_t kind = kUnconfigured;
  int64_t limit = 0;
  int64_t window_ms = 0;
  int64_t bucket_ms = 0;  // fixed: W; sliding: ceil(W / 20); 0: no window
  int64_t head = 0;       // index (now / bucket_ms) of the current bucket; 0 without window
  int64_t current = 0;    // over all live buckets
  int64_t reserved = 0;
  Slot* ring = nullptr;   // sliding windows: kSlidingSlots slots, bucket b at b % kSlidingSlots
};

inline constexpr uint32_t kChunkBits = 10;
inline constexpr uint32_t kChunkSize = 1u << kChunkBits;
inline constexpr uint32_t kMaxChunks = kMaxCapacity / kChunkSize;

struct Chunk {
  Counter counters[kChunkSize];
  char* names[kChunkSize];
  uint32_t name_lengths[kChunkSize];
  uint32_t hashes[kChunkSize];
};

struct Entry {
  int32_t id;
  uint32_t epoch;
  int64_t bucket;
  int64_t amount;
};

struct Record {
  uint32_t count;
  Entry entries[kMaxIdsPerReservation];
};

inline constexpr uint32_t kHandleSlotBits = 20;  // log2(kMaxReservations)
inline constexpr uint64_t kGenerationMask = 0xffffffffu;

inline int64_t saturate(int64_t value) {
  return value < 0 ? 0 : value > kMaxAmount ? kMaxAmount : value;
}

inline uint32_t hash_name(const char* name, size_t length) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (size_t i = 0; i < length; ++i) {
    h ^= static_cast<uint8_t>(name[i]);
    h *= 1099511628211ull;
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}

}  // namespace detail

class CounterStore {
 public:
  CounterStore() = default;
  CounterStore(const CounterStore&) = delete;
  CounterStore& operator=(const CounterStore&) = delete;

  ~CounterStore() {
    const uint32_t chunks = (size_.load(std::memory_order_acquire) + detail::kChunkSize - 1) >>
                            detail::kChunkBits;
    for (uint32_t c = 0; c < chunks; ++c) {
      detail::Chunk* chunk = chunks_[c].load(std::memory_order_acquire);
      if (chunk == nullptr) continue;
      for (uint32_t i = 0; i < detail::kChunkSize; ++i) {
        std::free(chunk->names[i]);
        std::free(chunk->counters[i].ring);
      }
      chunk->~Chunk();
      std::free(chunk);
    }
    std::free(table_);
    std::free(records_);
    delete[] stamps_;
    delete[] next_;
  }

  // Sizes the store: `capacity` ids and `reservations` open reservations (0: the defaults).
  // Only the first call allocates; a later call returns kOk when its sizes are 0 or equal to
  // the store's, kAlreadyOpen otherwise.
  Status init(uint32_t capacity, uint32_t reservations) {
    if (capacity > kMaxCapacity || reservations > kMaxReservations) return kBadArgument;
    detail::ColdLock guard(cold_);
    if (open_.load(std::memory_order_relaxed)) {
      return (capacity == 0 || capacity == capacity_) &&
                     (reservations == 0 || reservations == reservation_capacity_)
                 ? kOk
                 : kAlreadyOpen;
    }
    const uint32_t cap = capacity == 0 ? kDefaultCapacity : capacity;
    const uint32_t res = reservations == 0 ? kDefaultReservations : reservations;
    uint32_t slots = 1;
    while (slots < 2 * cap) slots <<= 1;
    table_ = static_cast<uint32_t*>(std::calloc(slots, sizeof(uint32_t)));
    records_ = static_cast<detail::Record*>(std::calloc(res, sizeof(detail::Record)));
    stamps_ = new (std::nothrow) std::atomic<uint64_t>[res]();
    next_ = new (std::nothrow) std::atomic<uint32_t>[res]();
    if (table_ == nullptr || records_ == nullptr || stamps_ == nullptr || next_ == nullptr) {
      std::free(table_);
      std::free(records_);
      delete[] stamps_;
      delete[] next_;
      table_ = nullptr;
      records_ = nullptr;
      stamps_ = nullptr;
      next_ = nullptr;
      return kOutOfMemory;
    }
    table_mask_ = slots - 1;
    capacity_ = cap;
    reservation_capacity_ = res;
    // Free list 0 → 1 → … → res-1; links hold index + 1, 0 ends the list.
    for (uint32_t i = 0; i < res; ++i) {
      next_[i].store(i + 1 < res ? i + 2 : 0, std::memory_order_relaxed);
    }
    free_head_.store(1, std::memory_order_relaxed);
    open_.store(true, std::memory_order_release);
    return kOk;
  }

  bool is_open() const { return open_.load(std::memory_order_acquire); }
  uint32_t capacity() const { return capacity_; }
  uint32_t reservation_capacity() const { return reservation_capacity_; }
  // Number of interned ids; ids are 0 .. size()-1.
  uint32_t size() const { return size_.load(std::memory_order_acquire); }

  // The id of `name` (interned on first use), or a negative Status: kBadArgument for an empty
  // name or one over kMaxNameBytes, kCapacityExceeded, kOutOfMemory, kNotOpen.
  int32_t intern(const char* name, size_t length) {
    if (!is_open()) return kNotOpen;
    if (length == 0 || length > kMaxNameBytes) return kBadArgument;
    const uint32_t hash = detail::hash_name(name, length);
    detail::ColdLock guard(cold_);
    uint32_t slot = hash & table_mask_;
    for (; table_[slot] != 0; slot = (slot + 1) & table_mask_) {
      const uint32_t id = table_[slot] - 1;
      detail::Chunk* chunk = chunks_[id >> detail::kChunkBits].load(std::memory_order_relaxed);
      const uint32_t i = id & (detail::kChunkSize - 1);
      if (chunk->hashes[i] == hash && chunk->name_lengths[i] == length &&
          std::memcmp(chunk->names[i], name, length) == 0) {
        return static_cast<int32_t>(id);
      }
    }
    const uint32_t id = size_.load(std::memory_order_relaxed);
    if (id >= capacity_) return kCapacityExceeded;
    std::atomic<detail::Chunk*>& chunk_slot = chunks_[id >> detail::kChunkBits];
    detail::Chunk* chunk = chunk_slot.load(std::memory_order_relaxed);
    if (chunk == nullptr) {
      void* memory = std::aligned_alloc(alignof(detail::Chunk), sizeof(detail::Chunk));
      if (memory == nullptr) return kOutOfMemory;
      chunk = new (memory) detail::Chunk();
      chunk_slot.store(chunk, std::memory_order_release);
    }
    const uint32_t i = id & (detail::kChunkSize - 1);
    char* copy = static_cast<char*>(std::malloc(length + 1));
    if (copy == nullptr) return kOutOfMemory;
    std::memcpy(copy, name, length);
    copy[length] = '\0';
    chunk->names[i] = copy;
    chunk->name_lengths[i] = static_cast<uint32_t>(length);
    chunk->hashes[i] = hash;
    table_[slot] = id + 1;
    size_.store(id + 1, std::memory_order_release);  // publishes the name and the counter
    return static_cast<int32_t>(id);
  }

  // The interned name of id (NUL-terminated, valid for the store's lifetime), or null.
  const char* name(int32_t id, size_t* length) const {
    if (id < 0 || static_cast<uint32_t>(id) >= size()) return nullptr;
    const detail::Chunk* chunk = chunks_[id >> detail::kChunkBits].load(std::memory_order_acquire);
    const uint32_t i = static_cast<uint32_t>(id) & (detail::kChunkSize - 1);
    *length = chunk->name_lengths[i];
    return chunk->names[i];
  }

  // Sets id's kind, limit and window. Same kind and window: only the limit changes, usage and
  // open reservations are kept. Same window kind with another window length: everything
  // counted so far (settled and reserved) moves into the current bucket of the new window as
  // settled usage, and open reservations stop affecting this counter. Another kind: the
  // counter starts again from zero. window_ms is 1..kMaxWindowMs for windows, 0 otherwise.
  Status configure(int32_t id, int32_t kind, int64_t limit, int64_t window_ms, int64_t now) {
    detail::Counter* c = counter(id);
    if (c == nullptr) return is_open() ? kUnknownId : kNotOpen;
    const bool windowed = kind == kFixedWindow || kind == kSlidingWindow;
    if (kind < kFixedWindow || kind > kAccumulator || limit < 0 || limit > kMaxAmount ||
        now < 0 || now > kMaxAmount ||
        (windowed ? window_ms < 1 || window_ms > kMaxWindowMs : window_ms != 0)) {
      return kBadArgument;
    }
    // configure calls are serialised, so the ring is allocated at most once, outside the
    // counter's lock; it is never freed while the store lives.
    detail::ColdLock guard(cold_);
    if (kind == kSlidingWindow && c->ring == nullptr) {
      auto* ring = static_cast<detail::Slot*>(std::calloc(kSlidingSlots, sizeof(detail::Slot)));
      if (ring == nullptr) return kOutOfMemory;
      c->lock.lock();
      c->ring = ring;
      c->lock.unlock();
    }
    const int64_t bucket_ms =
        kind == kFixedWindow ? window_ms
        : kind == kSlidingWindow ? (window_ms + kSlidingBuckets - 1) / kSlidingBuckets
                                 : 0;
    c->lock.lock();
    if (c->kind == kind && c->window_ms == window_ms) {
      c->limit = limit;
    } else if (c->kind == kind) {  // a window kind with a new length
      advance(*c, now);
      const int64_t carried = c->current;
      clear(*c);
      set_geometry(*c, kind, limit, window_ms, bucket_ms, now);
      add_to_head(*c, carried, 0);
    } else {
      clear(*c);
      set_geometry(*c, kind, limit, window_ms, bucket_ms, now);
    }
    c->lock.unlock();
    return kOk;
  }

  // Reserves amounts[i] against ids[i] for i < n, all or nothing (see the header comment).
  // Returns a handle >= 0, kRefused (and fills *refusal) or another negative Status.
  // `after` (optional, n entries): on success, each counter's current (settled usage plus open
  // reservations) right after this reservation was added, read under the same locks, so
  // concurrent callers each see their own value (what x-ratelimit-remaining reports).
  int64_t reserve(const int32_t* ids, const int64_t* amounts, uint32_t n, int64_t now,
                  Refusal* refusal, int64_t* after = nullptr) {
    if (!is_open()) return kNotOpen;
    if (n == 0) return kBadArgument;
    if (n > kMaxIdsPerReservation) return kTooManyIds;
    if (now < 0 || now > kMaxAmount) return kBadArgument;
    detail::Counter* counters[kMaxIdsPerReservation];
    uint8_t order[kMaxIdsPerReservation];
    const uint32_t known = size();
    for (uint32_t i = 0; i < n; ++i) {
      if (amounts[i] < 0 || amounts[i] > kMaxAmount) return kBadArgument;
      if (ids[i] < 0 || static_cast<uint32_t>(ids[i]) >= known) return kUnknownId;
      counters[i] = at(ids[i]);
      // Insertion sort by id: n is small and usually already ascending.
      uint32_t j = i;
      for (; j > 0 && ids[order[j - 1]] > ids[i]; --j) order[j] = order[j - 1];
      if (j > 0 && ids[order[j - 1]] == ids[i]) return kDuplicateId;
      order[j] = static_cast<uint8_t>(i);
    }
    const uint32_t slot = pop_free();
    if (slot == kNoSlot) return kReservationsFull;

    for (uint32_t k = 0; k < n; ++k) counters[order[k]]->lock.lock();
    int64_t result = kOk;
    for (uint32_t i = 0; i < n; ++i) {
      detail::Counter& c = *counters[i];
      if (c.kind == kUnconfigured) {
        result = kNotConfigured;
        break;
      }
      advance(c, now);
      if (c.current + amounts[i] > c.limit) {
        if (refusal != nullptr) {
          refusal->index = static_cast<int32_t>(i);
          refusal->limit = c.limit;
          refusal->remaining = c.limit > c.current ? c.limit - c.current : 0;
          refusal->retry_ms = retry_ms(c, amounts[i], now);
        }
        result = kRefused;
        break;
      }
    }
    detail::Record& record = records_[slot];
    if (result == kOk) {
      record.count = n;
      for (uint32_t i = 0; i < n; ++i) {
        detail::Counter& c = *counters[i];
        add_to_head(c, amounts[i], amounts[i]);
        if (after != nullptr) after[i] = c.current;
        record.entries[i] = detail::Entry{ids[i], c.epoch, c.head, amounts[i]};
      }
    }
    for (uint32_t k = 0; k < n; ++k) counters[order[k]]->lock.unlock();
    if (result != kOk) {
      push_free(slot);
      return result;
    }
    const uint64_t generation = stamps_[slot].load(std::memory_order_relaxed) >> 1;
    stamps_[slot].store(generation << 1 | 1, std::memory_order_release);
    return static_cast<int64_t>(generation << detail::kHandleSlotBits | slot);
  }

  // Replaces the amounts of an open reservation by actual[i] (one per reserved id, in the
  // order of the reserve; null: settle at the reserved amounts) and closes it.
  Status settle(int64_t handle, const int64_t* actual, uint32_t n) {
    uint32_t slot;
    const Status claimed = claim(handle, &slot);
    if (claimed != kOk) return claimed;
    const detail::Record& record = records_[slot];
    bool valid = actual == nullptr || n == record.count;
    for (uint32_t i = 0; valid && actual != nullptr && i < n; ++i) {
      valid = actual[i] >= 0 && actual[i] <= kMaxAmount;
    }
    if (!valid) {
      // Reopen it unchanged: the caller may retry with correct amounts.
      stamps_[slot].store(static_cast<uint64_t>(handle) >> detail::kHandleSlotBits << 1 | 1,
                          std::memory_order_release);
      return n == record.count || actual == nullptr ? kBadArgument : kLengthMismatch;
    }
    for (uint32_t i = 0; i < record.count; ++i) {
      const detail::Entry& e = record.entries[i];
      finish(e, actual == nullptr ? e.amount : actual[i]);
    }
    push_free(slot);
    return kOk;
  }

  // Takes an open reservation's amounts out of every counter and closes it.
  Status release(int64_t handle) {
    uint32_t slot;
    const Status claimed = claim(handle, &slot);
    if (claimed != kOk) return claimed;
    const detail::Record& record = records_[slot];
    for (uint32_t i = 0; i < record.count; ++i) finish(record.entries[i], 0);
    push_free(slot);
    return kOk;
  }

  // Starts a new period: usage becomes `used` (settled, in the current window for window
  // kinds; the gauge's value for a gauge), and open reservations stop affecting the counter.
  Status reset(int32_t id, int64_t used, int64_t now) {
    detail::Counter* c = counter(id);
    if (c == nullptr) return is_open() ? kUnknownId : kNotOpen;
    if (used < 0 || used > kMaxAmount || now < 0 || now > kMaxAmount) return kBadArgument;
    c->lock.lock();
    Status status = kOk;
    if (c->kind == kUnconfigured) {
      status = kNotConfigured;
    } else {
      advance(*c, now);
      clear(*c);
      add_to_head(*c, used, 0);
    }
    c->lock.unlock();
    return status;
  }

  Status info(int32_t id, int64_t now, Info* out) {
    detail::Counter* c = counter(id);
    if (c == nullptr) return is_open() ? kUnknownId : kNotOpen;
    if (now < 0 || now > kMaxAmount) return kBadArgument;
    c->lock.lock();
    advance(*c, now);
    out->kind = c->kind;
    out->current = c->current;
    out->reserved = c->reserved;
    out->limit = c->limit;
    out->remaining = c->limit > c->current ? c->limit - c->current : 0;
    out->window_ms = c->window_ms;
    out->reset_ms = reset_ms(*c, now);
    c->lock.unlock();
    return c->kind == kUnconfigured ? kNotConfigured : kOk;
  }

 private:
  static constexpr uint32_t kNoSlot = 0xffffffffu;

  detail::Counter* at(int32_t id) const {
    detail::Chunk* chunk = chunks_[static_cast<uint32_t>(id) >> detail::kChunkBits].load(
        std::memory_order_acquire);
    return &chunk->counters[static_cast<uint32_t>(id) & (detail::kChunkSize - 1)];
  }

  detail::Counter* counter(int32_t id) const {
    if (id < 0 || static_cast<uint32_t>(id) >= size()) return nullptr;
    return at(id);
  }

  static void set_geometry(detail::Counter& c, int32_t kind, int64_t limit, int64_t window_ms,
                           int64_t bucket_ms, int64_t now) {
    c.kind = kind;
    c.limit = limit;
    c.window_ms = window_ms;
    c.bucket_ms = bucket_ms;
    c.head = bucket_ms == 0 ? 0 : now / bucket_ms;
  }

  // Zero usage; earlier reservations no longer match the epoch.
  static void clear(detail::Counter& c) {
    ++c.epoch;
    c.current = 0;
    c.reserved = 0;
    if (c.ring != nullptr) std::memset(c.ring, 0, kSlidingSlots * sizeof(detail::Slot));
  }

  static void add_to_head(detail::Counter& c, int64_t current, int64_t reserved) {
    if (c.kind == kSlidingWindow) {
      detail::Slot& s = c.ring[c.head % kSlidingSlots];
      s.current = detail::saturate(s.current + current);
      s.reserved += reserved;
    }
    c.current = detail::saturate(c.current + current);
    c.reserved += reserved;
  }

  // Moves the window forward to now's bucket, dropping what expired. Never moves back.
  static void advance(detail::Counter& c, int64_t now) {
    if (c.bucket_ms == 0) return;
    const int64_t bucket = now / c.bucket_ms;
    if (bucket <= c.head) return;
    if (c.kind == kSlidingWindow && bucket - c.head < kSlidingSlots) {
      for (int64_t b = c.head + 1; b <= bucket; ++b) {
        detail::Slot& s = c.ring[b % kSlidingSlots];
        c.current -= s.current;
        c.reserved -= s.reserved;
        s = detail::Slot{0, 0};
      }
    } else {
      c.current = 0;
      c.reserved = 0;
      if (c.ring != nullptr) std::memset(c.ring, 0, kSlidingSlots * sizeof(detail::Slot));
    }
    c.head = bucket;
  }

  // ms until enough has expired for `amount` to fit; -1 when expiry alone never makes room.
  static int64_t retry_ms(const detail::Counter& c, int64_t amount, int64_t now) {
    if (amount > c.limit) return -1;
    if (c.kind == kFixedWindow) return clamp_ms((c.head + 1) * c.bucket_ms - now);
    if (c.kind != kSlidingWindow) return -1;
    const int64_t need = c.current + amount - c.limit;
    int64_t freed = 0;
    for (int64_t b = c.head - kSlidingBuckets; b <= c.head; ++b) {
      if (b < 0) continue;
      freed += c.ring[b % kSlidingSlots].current;
      if (freed >= need) return clamp_ms((b + kSlidingSlots) * c.bucket_ms - now);
    }
    return -1;
  }

  static int64_t reset_ms(const detail::Counter& c, int64_t now) {
    if (c.kind == kFixedWindow) return clamp_ms((c.head + 1) * c.bucket_ms - now);
    if (c.kind != kSlidingWindow) return -1;
    for (int64_t b = c.head; b >= 0 && b > c.head - kSlidingSlots; --b) {
      if (c.ring[b % kSlidingSlots].current != 0) {
        return clamp_ms((b + kSlidingSlots) * c.bucket_ms - now);
      }
    }
    return 0;
  }

  static int64_t clamp_ms(int64_t ms) { return ms < 0 ? 0 : ms; }

  // Applies the end of one reserved entry: the reserved amount leaves, `actual` stays as
  // settled usage (gauges keep nothing). No-op when the entry's period has ended.
  void finish(const detail::Entry& e, int64_t actual) {
    detail::Counter& c = *at(e.id);
    c.lock.lock();
    const bool live =
        c.epoch == e.epoch &&
        (c.kind == kFixedWindow     ? e.bucket == c.head
         : c.kind == kSlidingWindow ? c.head - e.bucket < kSlidingSlots
                                    : true);
    if (live) {
      const int64_t kept = c.kind == kGauge ? 0 : actual;
      if (c.kind == kSlidingWindow) {
        detail::Slot& s = c.ring[e.bucket % kSlidingSlots];
        s.current = detail::saturate(s.current - e.amount + kept);
        s.reserved -= e.amount;
      }
      c.current = detail::saturate(c.current - e.amount + kept);
      c.reserved -= e.amount;
    }
    c.lock.unlock();
  }

  // Makes the caller the only one finishing `handle`: open → closing.
  Status claim(int64_t handle, uint32_t* slot) {
    if (!is_open()) return kNotOpen;
    if (handle < 0) return kUnknownHandle;
    const uint64_t h = static_cast<uint64_t>(handle);
    const uint64_t generation = h >> detail::kHandleSlotBits;
    *slot = static_cast<uint32_t>(h & ((1u << detail::kHandleSlotBits) - 1));
    if (*slot >= reservation_capacity_ || generation > detail::kGenerationMask) {
      return kUnknownHandle;
    }
    uint64_t expected = generation << 1 | 1;
    // Closing: the next generation, not yet open. Readers of a stale handle fail from here on.
    const uint64_t closing = ((generation + 1) & detail::kGenerationMask) << 1;
    if (!stamps_[*slot].compare_exchange_strong(expected, closing, std::memory_order_acq_rel,
                                                std::memory_order_relaxed)) {
      return kUnknownHandle;
    }
    return kOk;
  }

  // Lock-free stack of free reservation slots. The head packs a 32-bit tag (bumped on every
  // change, against ABA) with slot + 1 (0: empty).
  uint32_t pop_free() {
    uint64_t head = free_head_.load(std::memory_order_acquire);
    for (;;) {
      const uint32_t top = static_cast<uint32_t>(head);
      if (top == 0) return kNoSlot;
      const uint64_t next = next_[top - 1].load(std::memory_order_relaxed);
      const uint64_t replacement = ((head >> 32) + 1) << 32 | next;
      if (free_head_.compare_exchange_weak(head, replacement, std::memory_order_acquire,
                                           std::memory_order_acquire)) {
        return top - 1;
      }
    }
  }

  void push_free(uint32_t slot) {
    uint64_t head = free_head_.load(std::memory_order_relaxed);
    for (;;) {
      next_[slot].store(static_cast<uint32_t>(head), std::memory_order_relaxed);
      const uint64_t replacement = ((head >> 32) + 1) << 32 | (slot + 1);
      if (free_head_.compare_exchange_weak(head, replacement, std::memory_order_release,
                                           std::memory_order_relaxed)) {
        return;
      }
    }
  }

  // Cold state (intern table, init, configure), guarded by cold_.
  detail::SpinLock cold_;
  uint32_t* table_ = nullptr;  // open addressing: id + 1, 0 = empty
  uint32_t table_mask_ = 0;
  uint32_t capacity_ = 0;
  uint32_t reservation_capacity_ = 0;

  std::atomic<bool> open_{false};
  std::atomic<uint32_t> size_{0};
  std::atomic<detail::Chunk*> chunks_[detail::kMaxChunks] = {};

  detail::Record* records_ = nullptr;
  std::atomic<uint64_t>* stamps_ = nullptr;  // generation << 1 | open
  std::atomic<uint32_t>* next_ = nullptr;    // free-list links: slot + 1, 0 = end
  std::atomic<uint64_t> free_head_{0};
};

}  // namespace ailb::counters
