// count_cache.h: an exact, bounded, per-thread memo of token counts for message strings.
//
// Why: a chat client resends the whole conversation on every turn, so turn N carries the N-1
// earlier messages (and the same system prompt) again. Counting each of them again is most of the
// cost of counting a long conversation; remembering the count of a string seen recently makes a
// turn cost only its new text.
//
// Contract:
//   * Exact: an entry holds a copy of the string's bytes and is used only when length and bytes
//     are equal (memcmp), and only for the same encoding. A hash collision costs a miss, never a
//     wrong count.
//   * Bounded: kSlots direct-mapped slots; strings shorter than kMinBytes (cheaper to count than
//     to look up) or longer than kMaxBytes are not cached; when the bytes held pass kMaxHeldBytes
//     the whole cache is cleared. Memory per thread stays under kMaxHeldBytes plus slot overhead.
//   * Per thread (thread_local): no locks; each event-loop thread and pool worker has its own.
//   * Keyed by the encoding's address: encodings are process-wide and never freed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>

namespace ailb::tokens {

class CountCache {
 public:
  static constexpr size_t kSlots = 4096;  // power of two
  static constexpr size_t kMinBytes = 48;
  static constexpr size_t kMaxBytes = 64 * 1024;
  static constexpr size_t kMaxHeldBytes = 16 * 1024 * 1024;

  // The cached count of bytes under `encoding`, or -1.
  int64_t find(const void* encoding, const uint8_t* data, size_t len, uint64_t hash) const {
    const Slot& slot = slots_[hash & (kSlots - 1)];
    if (slot.hash != hash || slot.encoding != encoding || slot.bytes.size() != len) return -1;
    if (std::memcmp(slot.bytes.data(), data, len) != 0) return -1;
    return slot.count;
  }

  void store(const void* encoding, const uint8_t* data, size_t len, uint64_t hash, int64_t count) {
    Slot& slot = slots_[hash & (kSlots - 1)];
    if (held_ - slot.bytes.size() + len > kMaxHeldBytes) clear();
    held_ -= slot.bytes.size();
    slot.bytes.clear();
    slot.hash = 0;
    slot.encoding = nullptr;
    slot.bytes.assign(reinterpret_cast<const char*>(data), len);
    held_ += len;
    slot.hash = hash;
    slot.encoding = encoding;
    slot.count = count;
  }

  void clear() {
    for (Slot& slot : slots_) {
      std::string().swap(slot.bytes);
      slot.hash = 0;
      slot.encoding = nullptr;
    }
    held_ = 0;
  }

  static bool cacheable(size_t len) { return len >= kMinBytes && len <= kMaxBytes; }

  // 64-bit hash of the bytes (FNV-1a over 8-byte words, then a final mix): fast on the short
  // and medium strings cached here; quality only affects the hit rate, never correctness.
  static uint64_t hash(const uint8_t* data, size_t len) {
    uint64_t h = 0xcbf29ce484222325ull ^ (len * 0x9e3779b97f4a7c15ull);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
      uint64_t word;
      std::memcpy(&word, data + i, 8);
      h = (h ^ word) * 0x100000001b3ull;
      h ^= h >> 29;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, data + i, len - i);
    h = (h ^ tail) * 0x100000001b3ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h == 0 ? 1 : h;  // 0 marks an empty slot
  }

  // This thread's cache.
  static CountCache& local() {
    thread_local CountCache cache;
    return cache;
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    const void* encoding = nullptr;
    int64_t count = 0;
    std::string bytes;
  };
  Slot slots_[kSlots];
  size_t held_ = 0;
};

}  // namespace ailb::tokens
