// bpe.h: the rank table of a byte-pair encoding and the merge that turns one pre-tokenized piece
// into tokens, with the results tiktoken gives.
//
// RankTable
//   * A hash map from a byte string (1..255 bytes) to its rank (the token id), built once from a
//     list of tokens. Open addressing with linear probing at a load factor of at most 1/2; each
//     16-byte slot holds the token's first 8 bytes, its length, its offset into one contiguous
//     arena of all token bytes, and its rank; a parallel array holds one tag byte per slot (7
//     bits of the hash). A lookup hashes the bytes and walks the tags; only on a tag match does
//     it compare the first 8 bytes and the length in the slot, touching the arena only for
//     tokens longer than 8 bytes. Lookups of byte strings that are not tokens (most candidate
//     pairs of a merge) thus usually stay in the small tag array.
//     Tokens of one and two bytes (the first lookups of every merge) are also kept in direct
//     tables indexed by their bytes.
//   * build() fails (returns false, with a reason) on an empty or over-long token, a token listed
//     twice, a rank listed twice or of 2^24 or more, more than 2^24 bytes of tokens, or a missing
//     single byte (every byte must be a token, so every piece can be encoded).
//
// merge(table, piece, length, readable, sink)
//   * tiktoken's byte_pair_encode: when the whole piece is a token, that token; otherwise start
//     from single bytes and repeatedly merge the adjacent pair whose concatenation has the lowest
//     rank, the leftmost one among equals, until no adjacent pair is a token. sink(rank) is called
//     for each resulting token, in order. count() returns how many there are.
//   * Pieces up to PieceCache::kMaxPiece bytes go through a small per-thread cache of recent
//     results (exact: it compares the bytes).
//   * Pieces up to kLinearMergeMax bytes use tiktoken's array algorithm (quadratic, but fastest
//     for the short pieces that are nearly all of real text). Longer pieces use a linked list
//     of parts and a priority queue of candidate pairs keyed by (rank, position), bucketed by
//     rank (PairQueue below): O(1) amortized per merge in the usual left-to-right order, so a
//     1 MiB run of one letter, a long run of spaces or a long line of random letters stays
//     near-linear. Both give the same tokens.
//   * Allocation: the long-piece path uses per-thread scratch vectors (grown as needed; released
//     when one exceeds kScratchKeepBytes and the next piece needs less than half of it). Nothing
//     throws; running out of memory ends the process (the code is built without exceptions).

#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <utility>
#include <vector>

// The merge's inner calls are few and hot; inside a shared object (the Node addon) the compiler
// would otherwise call some through the PLT.
#if defined(__GNUC__)
#define AILB_BPE_INLINE __attribute__((always_inline)) inline
#else
#define AILB_BPE_INLINE inline
#endif

namespace ailb::bpe {

constexpr uint32_t kNoRank = 0xFFFFFFFFu;
constexpr size_t kMaxTokenBytes = 255;
constexpr size_t kMaxArenaBytes = size_t{1} << 24;
constexpr uint32_t kMaxRank = uint32_t{1} << 24;
constexpr size_t kLinearMergeMax = 128;
constexpr size_t kScratchKeepBytes = size_t{1} << 22;

namespace detail {

// The first min(n, 8) bytes of p as a little-endian integer, the rest zero. `readable` is how
// many bytes may be read from p (at least n); with 8 or more a single load does.
inline uint64_t load_prefix(const uint8_t* p, size_t n, size_t readable) {
  uint64_t v = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  if (readable >= 8) {
    std::memcpy(&v, p, 8);
    return n >= 8 ? v : v & ((uint64_t{1} << (8 * n)) - 1);
  }
#else
  (void)readable;
#endif
  const size_t m = n < 8 ? n : 8;
  for (size_t i = 0; i < m; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

inline uint64_t mix(uint64_t h) {
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 31;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 29;
  return h;
}

// prefix is load_prefix(p, n, …).
inline uint64_t hash_bytes(const uint8_t* p, size_t n, uint64_t prefix, size_t readable) {
  uint64_t h = mix(prefix ^ (static_cast<uint64_t>(n) * 0x9E3779B97F4A7C15ULL));
  for (size_t i = 8; i < n; i += 8) {
    h = mix(h ^ load_prefix(p + i, n - i, readable - i));
  }
  return h;
}

}  // namespace detail

// Tokens as one byte buffer and (offset, length, rank) entries, the form build() takes.
struct TokenList {
  struct Entry {
    uint32_t offset;
    uint32_t length;
    uint32_t rank;
  };
  std::vector<uint8_t> bytes;
  std::vector<Entry> entries;

  void add(const void* data, size_t length, uint32_t rank) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    entries.push_back(Entry{static_cast<uint32_t>(bytes.size()), static_cast<uint32_t>(length), rank});
    bytes.insert(bytes.end(), p, p + length);
  }
};

class RankTable {
 public:
  // Builds the table, taking over list.bytes as the arena; false (and *error set) when the
  // tokens are unusable, see the contract.
  bool build(TokenList&& list, std::string* error) {
    arena_.clear();
    slots_.clear();
    tags_.clear();
    std::fill(std::begin(byte_rank_), std::end(byte_rank_), kNoRank);
    pair_rank_.assign(size_t{1} << 16, kNoRank);
    max_length_ = 0;
    size_ = 0;
    if (list.bytes.size() > kMaxArenaBytes) return fail(error, "token bytes exceed 16 MiB");
    const size_t count = list.entries.size();
    size_t capacity = 16;
    while (capacity < count * 2) capacity <<= 1;
    slots_.assign(capacity, Slot{0, kNoRank, 0});
    tags_.assign(capacity, 0);
    bits_ = 0;
    while ((size_t{1} << bits_) < capacity) ++bits_;
    arena_ = std::move(list.bytes);
    // Padding, so that a load of 8 bytes at any token start stays inside the arena.
    arena_.insert(arena_.end(), 8, 0);
    uint32_t max_rank = 0;
    for (const TokenList::Entry& t : list.entries) {
      const size_t n = t.length;
      if (n == 0 || n > kMaxTokenBytes) return fail(error, "token length out of range");
      if (t.rank >= kMaxRank) return fail(error, "rank out of range");
      if (t.rank > max_rank) max_rank = t.rank;
      const uint8_t* p = arena_.data() + t.offset;
      const uint64_t prefix = detail::load_prefix(p, n, n + 8);
      const uint64_t hash = detail::hash_bytes(p, n, prefix, n + 8);
      size_t i;
      if (probe(p, n, prefix, hash, &i) != kNoRank) return fail(error, "token listed twice");
      tags_[i] = tag_of(hash);
      slots_[i] = Slot{prefix, t.rank, (t.offset << 8) | static_cast<uint32_t>(n)};
      if (n == 1) byte_rank_[p[0]] = t.rank;
      if (n == 2) pair_rank_[(static_cast<size_t>(p[0]) << 8) | p[1]] = t.rank;
      if (n > max_length_) max_length_ = n;
    }
    if (!ranks_unique(list.entries, max_rank)) return fail(error, "rank listed twice");
    for (uint32_t r : byte_rank_) {
      if (r == kNoRank) return fail(error, "a single byte is not a token");
    }
    size_ = count;
    rank_limit_ = count == 0 ? 0 : max_rank + 1;
    static std::atomic<uint64_t> next_id{1};
    id_ = next_id.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // Rank of the token p[0, n), or kNoRank. `readable` (>= n) is how many bytes can be read from
  // p; 8 or more lets the prefix be read with one load.
  AILB_BPE_INLINE uint32_t find(const uint8_t* p, size_t n, size_t readable) const {
    if (n > max_length_ || n == 0) return kNoRank;
    if (n == 1) return byte_rank_[p[0]];
    if (n == 2) return pair_rank_[(static_cast<size_t>(p[0]) << 8) | p[1]];
    const uint64_t prefix = detail::load_prefix(p, n, readable);
    size_t ignored;
    return probe(p, n, prefix, detail::hash_bytes(p, n, prefix, readable), &ignored);
  }

  uint32_t byte_rank(uint8_t b) const { return byte_rank_[b]; }
  // Unique per build in this process (0 before); keys the per-thread piece cache.
  uint64_t id() const { return id_; }
  // One more than the largest rank.
  uint32_t rank_limit() const { return rank_limit_; }
  size_t size() const { return size_; }
  size_t max_length() const { return max_length_; }
  size_t memory_bytes() const {
    return arena_.capacity() + slots_.capacity() * sizeof(Slot) + tags_.capacity() +
           pair_rank_.capacity() * sizeof(uint32_t);
  }

 private:
  struct Slot {
    uint64_t prefix;         // first min(length, 8) bytes, little-endian, zero-extended
    uint32_t rank;
    uint32_t offset_length;  // arena offset << 8 | length
  };

  // Tag of a hash: 7 of its low bits (the slot index uses the high ones) and a bit that marks
  // the slot used.
  static uint8_t tag_of(uint64_t hash) { return static_cast<uint8_t>(0x80 | (hash & 0x7F)); }

  // The rank of p[0, n) and its slot in *at, or kNoRank and the empty slot where it would go.
  // Tags are one byte per slot, so a probe that finds nothing usually stays in that small array.
  uint32_t probe(const uint8_t* p, size_t n, uint64_t prefix, uint64_t hash, size_t* at) const {
    const uint8_t want = tag_of(hash);
    const size_t mask = slots_.size() - 1;
    for (size_t i = slot_index(hash);; i = (i + 1) & mask) {
      const uint8_t tag = tags_[i];
      if (tag == 0) {
        *at = i;
        return kNoRank;
      }
      if (tag != want) continue;
      const Slot& s = slots_[i];
      if (s.prefix == prefix && (s.offset_length & 0xFF) == n &&
          (n <= 8 || std::memcmp(arena_.data() + (s.offset_length >> 8) + 8, p + 8, n - 8) == 0)) {
        *at = i;
        return s.rank;
      }
    }
  }

  static bool ranks_unique(const std::vector<TokenList::Entry>& entries, uint32_t max_rank) {
    if (max_rank / 4 <= entries.size() + 64) {
      std::vector<uint64_t> seen(max_rank / 64 + 1, 0);
      for (const TokenList::Entry& t : entries) {
        uint64_t& word = seen[t.rank / 64];
        const uint64_t bit = uint64_t{1} << (t.rank % 64);
        if (word & bit) return false;
        word |= bit;
      }
      return true;
    }
    std::vector<uint32_t> ranks;
    ranks.reserve(entries.size());
    for (const TokenList::Entry& t : entries) ranks.push_back(t.rank);
    std::sort(ranks.begin(), ranks.end());
    return std::adjacent_find(ranks.begin(), ranks.end()) == ranks.end();
  }

  static bool fail(std::string* error, const char* why) {
    if (error != nullptr) *error = why;
    return false;
  }

  size_t slot_index(uint64_t hash) const { return static_cast<size_t>(hash >> (64 - bits_)); }

  std::vector<uint8_t> arena_;
  std::vector<Slot> slots_;
  std::vector<uint8_t> tags_;  // per slot: 0 when empty, else tag_of(hash)
  uint32_t byte_rank_[256] = {};
  std::vector<uint32_t> pair_rank_;  // 2-byte tokens, indexed by their bytes
  size_t max_length_ = 0;
  size_t size_ = 0;
  uint32_t rank_limit_ = 0;
  uint64_t id_ = 0;
  unsigned bits_ = 4;
};

namespace detail {

// tiktoken's merge over an array of parts, for pieces of 2..kLinearMergeMax bytes.
template <typename Sink>
inline size_t merge_linear(const RankTable& table, const uint8_t* p, size_t n, size_t readable,
                           Sink&& sink) {
  // start[i] is where part i begins; pair[i] is the rank of parts i and i+1 together.
  uint32_t start[kLinearMergeMax + 1];
  uint32_t pair[kLinearMergeMax];
  uint32_t token[kLinearMergeMax];
  size_t parts = n;
  for (size_t i = 0; i < n; ++i) {
    start[i] = static_cast<uint32_t>(i);
    token[i] = table.byte_rank(p[i]);
  }
  start[n] = static_cast<uint32_t>(n);
  for (size_t i = 0; i + 1 < n; ++i) pair[i] = table.find(p + i, 2, readable - i);
  pair[n - 1] = kNoRank;
  auto rank_of = [&](size_t i) {  // parts i and i+1 together (i + 1 < parts)
    return table.find(p + start[i], start[i + 2] - start[i], readable - start[i]);
  };
  for (;;) {
    uint32_t best = kNoRank;
    size_t at = 0;
    for (size_t i = 0; i + 1 < parts; ++i) {
      if (pair[i] < best) {
        best = pair[i];
        at = i;
      }
    }
    if (best == kNoRank) break;
    token[at] = best;
    // Drop part at + 1.
    std::memmove(start + at + 1, start + at + 2, (parts - at - 1) * sizeof start[0]);
    std::memmove(token + at + 1, token + at + 2, (parts - at - 2) * sizeof token[0]);
    std::memmove(pair + at + 1, pair + at + 2, (parts - at - 2) * sizeof pair[0]);
    --parts;
    pair[at] = at + 1 < parts ? rank_of(at) : kNoRank;
    if (at > 0) pair[at - 1] = rank_of(at - 1);
  }
  for (size_t i = 0; i < parts; ++i) sink(token[i]);
  return parts;
}

// The priority queue of the long-piece merge: candidate pairs keyed by (rank, position),
// smallest first. Pairs of one rank live in a bucket: positions that arrive in increasing order
// (nearly all of them: merges sweep from left to right) are appended to a sorted run read with a
// cursor; the others go to a small min-heap beside it. A three-level bitset over ranks finds the
// lowest non-empty bucket. Pops and pushes cost O(1) amortized, plus O(log k) for the rare
// out-of-order position.
class PairQueue {
 public:
  // Prepares for ranks below rank_limit. Buckets and bitsets are empty between uses.
  void reset(uint32_t rank_limit) {
    if (bucket_of_rank_.size() < rank_limit) bucket_of_rank_.resize(rank_limit, kNone);
    const size_t words0 = (static_cast<size_t>(rank_limit) + 63) / 64;
    if (level0_.size() < words0) {
      level0_.resize(words0, 0);
      level1_.resize((words0 + 63) / 64, 0);
      level2_.resize((level1_.size() + 63) / 64, 0);
    }
    used_ = 0;
    current_ = kNone;
  }

  AILB_BPE_INLINE void push(uint32_t rank, uint32_t position) {
    uint32_t b = bucket_of_rank_[rank];
    if (b == kNone) {
      if (used_ == buckets_.size()) buckets_.emplace_back();
      b = static_cast<uint32_t>(used_++);
      bucket_of_rank_[rank] = b;
      buckets_[b].rank = rank;
    }
    Bucket& bucket = buckets_[b];
    if (bucket.empty()) {
      bucket.sorted.clear();
      bucket.cursor = 0;
      set_bit(rank);
    }
    if (bucket.sorted.size() == bucket.cursor || position > bucket.sorted.back()) {
      bucket.sorted.push_back(position);
    } else {
      bucket.extra.push_back(position);
      std::push_heap(bucket.extra.begin(), bucket.extra.end(), std::greater<uint32_t>());
    }
    if (current_ == kNone || rank < current_) current_ = rank;
  }

  // The smallest (rank, position); false when the queue is empty.
  AILB_BPE_INLINE bool pop(uint32_t* rank, uint32_t* position) {
    while (current_ != kNone) {
      Bucket& bucket = buckets_[bucket_of_rank_[current_]];
      if (bucket.empty()) {
        clear_bit(current_);
        current_ = next_set(current_);
        continue;
      }
      *rank = current_;
      const bool from_sorted =
          bucket.cursor < bucket.sorted.size() &&
          (bucket.extra.empty() || bucket.sorted[bucket.cursor] < bucket.extra.front());
      if (from_sorted) {
        *position = bucket.sorted[bucket.cursor++];
      } else {
        std::pop_heap(bucket.extra.begin(), bucket.extra.end(), std::greater<uint32_t>());
        *position = bucket.extra.back();
        bucket.extra.pop_back();
      }
      return true;
    }
    return false;
  }

  // A position that pop() will return a few calls from now when nothing else comes first, or
  // kNone: for prefetching.
  uint32_t ahead(size_t distance) const {
    if (current_ == kNone) return kNone;
    const Bucket& bucket = buckets_[bucket_of_rank_[current_]];
    const size_t i = bucket.cursor + distance;
    return i < bucket.sorted.size() ? bucket.sorted[i] : kNone;
  }

  // Forgets the rank -> bucket mapping of this use (the buckets are empty once pop() failed).
  void finish() {
    for (size_t i = 0; i < used_; ++i) {
      bucket_of_rank_[buckets_[i].rank] = kNone;
      buckets_[i].sorted.clear();
      buckets_[i].cursor = 0;
      buckets_[i].extra.clear();
      if (buckets_[i].sorted.capacity() > kScratchKeepBytes / sizeof(uint32_t)) {
        std::vector<uint32_t>().swap(buckets_[i].sorted);
      }
    }
    used_ = 0;
  }

 private:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  struct Bucket {
    uint32_t rank = 0;
    size_t cursor = 0;
    std::vector<uint32_t> sorted;
    std::vector<uint32_t> extra;  // min-heap
    bool empty() const { return cursor == sorted.size() && extra.empty(); }
  };

  void set_bit(uint32_t r) {
    level0_[r >> 6] |= uint64_t{1} << (r & 63);
    level1_[r >> 12] |= uint64_t{1} << ((r >> 6) & 63);
    level2_[r >> 18] |= uint64_t{1} << ((r >> 12) & 63);
  }

  void clear_bit(uint32_t r) {
    if ((level0_[r >> 6] &= ~(uint64_t{1} << (r & 63))) != 0) return;
    if ((level1_[r >> 12] &= ~(uint64_t{1} << ((r >> 6) & 63))) != 0) return;
    level2_[r >> 18] &= ~(uint64_t{1} << ((r >> 12) & 63));
  }

  // Bits of word at or above bit `from` (0..64).
  static uint64_t from_bit(uint64_t word, unsigned from) {
    return from >= 64 ? 0 : word & (~uint64_t{0} << from);
  }

  // The lowest set rank above r, or kNone.
  uint32_t next_set(uint32_t r) const {
    const size_t w0 = r >> 6;
    uint64_t bits = from_bit(level0_[w0], (r & 63) + 1);
    if (bits) return static_cast<uint32_t>((w0 << 6) | __builtin_ctzll(bits));
    const size_t w1 = w0 >> 6;
    bits = from_bit(level1_[w1], (w0 & 63) + 1);
    size_t word0;
    if (bits) {
      word0 = (w1 << 6) | __builtin_ctzll(bits);
    } else {
      size_t w2 = w1 >> 6;
      bits = from_bit(level2_[w2], (w1 & 63) + 1);
      while (bits == 0) {
        if (++w2 >= level2_.size()) return kNone;
        bits = level2_[w2];
      }
      const size_t word1 = (w2 << 6) | __builtin_ctzll(bits);
      word0 = (word1 << 6) | __builtin_ctzll(level1_[word1]);
    }
    return static_cast<uint32_t>((word0 << 6) | __builtin_ctzll(level0_[word0]));
  }

  std::vector<uint32_t> bucket_of_rank_;
  std::vector<Bucket> buckets_;
  size_t used_ = 0;
  std::vector<uint64_t> level0_, level1_, level2_;
  uint32_t current_ = kNone;
};

// One part of a long piece being merged, named by the position where it starts. The fields
// sit together because the merge visits parts in rank order, i.e. all over the piece.
struct Part {
  uint32_t next;   // start of the next part (the piece's length for the last); kDead once merged away
  uint32_t prev;   // start of the previous part, kNone for the first
  uint32_t pair;   // rank of this part and the next one together, kNoRank when not a token
  uint32_t token;  // rank of this part
};

struct LongScratch {
  std::vector<Part> parts;
  PairQueue queue;
};

inline LongScratch& long_scratch() {
  thread_local LongScratch scratch;
  return scratch;
}

// The same merge for long pieces, over a linked list of parts with a PairQueue of candidate
// pairs. An entry is current when its part is alive and still has that pair rank; others are
// skipped when they come out. The smallest current entry is always the pair tiktoken merges
// next: every live pair has a current entry, and entries come out by (rank, position), the
// leftmost among equal ranks first.
template <typename Sink>
inline size_t merge_long(const RankTable& table, const uint8_t* p, size_t n, size_t readable,
                         Sink&& sink) {
  constexpr uint32_t kDead = 0xFFFFFFFFu;
  constexpr uint32_t kNone = 0xFFFFFFFFu;
  LongScratch& s = long_scratch();
  if (s.parts.capacity() > kScratchKeepBytes / sizeof(Part) && n * 2 < s.parts.capacity()) {
    std::vector<Part>().swap(s.parts);
  }
  s.parts.resize(n);
  Part* part = s.parts.data();
  PairQueue& queue = s.queue;
  queue.reset(table.rank_limit());
  for (size_t i = 0; i < n; ++i) {
    Part& pt = part[i];
    pt.next = static_cast<uint32_t>(i + 1);
    pt.prev = i == 0 ? kNone : static_cast<uint32_t>(i - 1);
    pt.token = table.byte_rank(p[i]);
    pt.pair = i + 1 < n ? table.find(p + i, 2, readable - i) : kNoRank;
    if (pt.pair != kNoRank) queue.push(pt.pair, static_cast<uint32_t>(i));
  }
  const size_t max_length = table.max_length();
  auto rank_of = [&](uint32_t from, uint32_t to) {
    return to - from > max_length ? kNoRank : table.find(p + from, to - from, readable - from);
  };
  size_t parts = n;
  uint32_t rank, at;
  while (queue.pop(&rank, &at)) {
    // Pairs of one rank are spread over the whole piece: fetch the part of a later one early.
    const uint32_t later = queue.ahead(8);
    if (later < n) __builtin_prefetch(&part[later]);
    Part& here = part[at];
    if (here.next == kDead || here.pair != rank) continue;
    Part& gone = part[here.next];
    const uint32_t end = gone.next;
    gone.next = kDead;
    here.next = end;
    here.token = rank;
    --parts;
    if (end < n) {
      Part& after = part[end];
      after.prev = at;
      here.pair = rank_of(at, after.next);
    } else {
      here.pair = kNoRank;
    }
    if (here.pair != kNoRank) queue.push(here.pair, at);
    if (here.prev != kNone) {
      const uint32_t before = here.prev;
      Part& left = part[before];
      left.pair = rank_of(before, end);
      if (left.pair != kNoRank) queue.push(left.pair, before);
    }
  }
  queue.finish();
  for (size_t i = 0; i < n; i = part[i].next) sink(part[i].token);
  return parts;
}

// A per-thread cache of merge results for short pieces that are not tokens themselves: words
// recur in text, and the merge of a 10-byte piece costs tens of table lookups (measured with
// cachegrind: 16% fewer instructions on English prose, 21% on multilingual text). Direct-mapped,
// keyed by the table's id and the piece's bytes, which an entry keeps and a hit compares: a hit
// is exact.
class PieceCache {
 public:
  static constexpr size_t kMaxPiece = 32;
  static constexpr size_t kMaxTokens = 8;

  struct Entry {
    uint64_t table = 0;
    uint8_t length = 0;
    uint8_t count = 0;
    uint8_t bytes[kMaxPiece];
    uint32_t tokens[kMaxTokens];
  };

  static Entry& slot(uint64_t table, const uint8_t* p, size_t n) {
    thread_local Entry entries[kEntries];
    uint64_t h = table * 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < n; i += 8) h = mix(h ^ load_prefix(p + i, n - i, n - i));
    return entries[h & (kEntries - 1)];
  }

  static bool matches(const Entry& e, uint64_t table, const uint8_t* p, size_t n) {
    return e.table == table && e.length == n && std::memcmp(e.bytes, p, n) == 0;
  }

 private:
  static constexpr size_t kEntries = 2048;
};

}  // namespace detail

// Encodes one piece (see the contract at the top); returns the number of tokens. `readable`
// (>= n) is how many bytes can be read from p, so short lookups can load 8 bytes at once.
template <typename Sink>
inline size_t merge(const RankTable& table, const uint8_t* p, size_t n, size_t readable,
                    Sink&& sink) {
  if (n == 0) return 0;
  const uint32_t whole = table.find(p, n, readable);
  if (whole != kNoRank) {
    sink(whole);
    return 1;
  }
  if (n <= detail::PieceCache::kMaxPiece) {
    detail::PieceCache::Entry& e = detail::PieceCache::slot(table.id(), p, n);
    if (detail::PieceCache::matches(e, table.id(), p, n)) {
      for (size_t i = 0; i < e.count; ++i) sink(e.tokens[i]);
      return e.count;
    }
    uint32_t tokens[detail::PieceCache::kMaxPiece];
    size_t count = 0;
    detail::merge_linear(table, p, n, readable, [&](uint32_t r) { tokens[count++] = r; });
    for (size_t i = 0; i < count; ++i) sink(tokens[i]);
    if (count <= detail::PieceCache::kMaxTokens) {
      e.table = table.id();
      e.length = static_cast<uint8_t>(n);
      e.count = static_cast<uint8_t>(count);
      std::memcpy(e.bytes, p, n);
      std::memcpy(e.tokens, tokens, count * sizeof tokens[0]);
    }
    return count;
  }
  if (n <= kLinearMergeMax) return detail::merge_linear(table, p, n, readable, sink);
  return detail::merge_long(table, p, n, readable, sink);
}

inline size_t count(const RankTable& table, const uint8_t* p, size_t n, size_t readable) {
  return merge(table, p, n, readable, [](uint32_t) {});
}

}  // namespace ailb::bpe
