// tokenizer.h: exact token counts for OpenAI's o200k_base and cl100k_base encodings, with
// tiktoken's encode_ordinary semantics (special-token text such as "<|endoftext|>" is ordinary
// text): pre-tokenize (pretokenize.h), then BPE-merge each piece (bpe.h).
//
// Encodings are process-wide. Each is loaded once, on first use, from tiktoken's encoder JSON
// file (the caller reads the file and passes its bytes; Registry::load parses it), then shared,
// read-only, by every thread. Loading is thread-safe: concurrent loads of one encoding build it
// once, and a reader sees either nothing or the finished table. Tables live until the process
// ends.
//
// The bpe_ranks format: whitespace-separated fields; "!" followed by a decimal number sets the
// rank of the next token; every other field is one token's bytes in base64, and ranks go up by
// one from token to token.

#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "bpe.h"
#include "json_walk.h"
#include "pretokenize.h"

namespace ailb::bpe {

enum class EncodingId : int32_t { kO200k = 0, kCl100k = 1 };
constexpr int kEncodingCount = 2;

struct Encoding {
  Pattern pattern;
  RankTable table;
};

inline Pattern pattern_of(EncodingId id) {
  return id == EncodingId::kO200k ? Pattern::kO200k : Pattern::kCl100k;
}

namespace detail {

inline int base64_value(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Appends the bytes of standard base64 (optional '=' padding) to *out; false when it is not
// base64.
inline bool append_base64(const uint8_t* p, size_t n, std::vector<uint8_t>* out) {
  while (n > 0 && p[n - 1] == '=') --n;
  if (n % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    const int v = base64_value(p[i]);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<uint8_t>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

inline bool is_field_space(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace detail

// Parses bpe_ranks text into *tokens; false (and *error set) when it is malformed.
inline bool parse_bpe_ranks(const uint8_t* text, size_t len, TokenList* tokens, std::string* error) {
  tokens->bytes.clear();
  tokens->entries.clear();
  tokens->bytes.reserve(len * 3 / 4);
  tokens->entries.reserve(len / 8);
  uint64_t rank = 0;
  bool rank_next = false;
  size_t i = 0;
  while (i < len) {
    while (i < len && detail::is_field_space(text[i])) ++i;
    const size_t from = i;
    while (i < len && !detail::is_field_space(text[i])) ++i;
    if (i == from) break;
    const uint8_t* field = text + from;
    const size_t n = i - from;
    if (rank_next) {
      rank = 0;
      for (size_t k = 0; k < n; ++k) {
        if (field[k] < '0' || field[k] > '9' || rank > 0xFFFFFFF0u) {
          *error = "bad rank after '!' in bpe_ranks";
          return false;
        }
        rank = rank * 10 + (field[k] - '0');
      }
      rank_next = false;
    } else if (n == 1 && field[0] == '!') {
      rank_next = true;
    } else {
      if (rank >= kNoRank) {
        *error = "rank out of range in bpe_ranks";
        return false;
      }
      const size_t offset = tokens->bytes.size();
      if (!detail::append_base64(field, n, &tokens->bytes) || tokens->bytes.size() > kMaxArenaBytes) {
        *error = "bad base64 token in bpe_ranks";
        return false;
      }
      tokens->entries.push_back(TokenList::Entry{static_cast<uint32_t>(offset),
                                                 static_cast<uint32_t>(tokens->bytes.size() - offset),
                                                 static_cast<uint32_t>(rank)});
      ++rank;
    }
  }
  if (rank_next) {
    *error = "bpe_ranks ends after '!'";
    return false;
  }
  return true;
}

// The pat_str of each encoding, as in tiktoken's encoder JSON; the scanners in pretokenize.h
// implement exactly these.
inline const char* pattern_text(EncodingId id) {
  if (id == EncodingId::kO200k) {
    return "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
           "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+"
           "[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|"
           "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  }
  return "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
         "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
}

// Reads an encoder JSON file of the tiktoken package ({"pat_str", "special_tokens",
// "bpe_ranks"}): checks that pat_str is the pattern this scanner implements for `id` and parses
// bpe_ranks. False (and *error set) otherwise.
inline bool parse_encoder_json(EncodingId id, const uint8_t* json_text, size_t len, TokenList* tokens,
                               std::string* error) {
  const json::Doc doc(json_text, len);
  json::Value root;
  size_t next;
  if (!doc.read(0, &root, &next) || !root.is(json::Type::kObject)) {
    *error = "the encoder file is not a JSON object";
    return false;
  }
  const json::Value pattern = doc.member(root, "pat_str");
  if (!doc.string_equals(pattern, pattern_text(id))) {
    *error = "its pat_str is not the pattern the native pre-tokenizer implements";
    return false;
  }
  const json::Value ranks = doc.member(root, "bpe_ranks");
  if (!ranks.is(json::Type::kString)) {
    *error = "the encoder file has no bpe_ranks string";
    return false;
  }
  if (!ranks.escaped) return parse_bpe_ranks(json_text + ranks.begin, ranks.end - ranks.begin, tokens, error);
  std::string decoded;
  doc.decode_string(ranks, &decoded);
  return parse_bpe_ranks(reinterpret_cast<const uint8_t*>(decoded.data()), decoded.size(), tokens, error);
}

// Calls sink(rank) for each token of data[0, len) (any bytes; see pretokenize.h for ill-formed
// UTF-8) and returns the number of tokens.
template <typename Sink>
inline size_t encode_text(const Encoding& encoding, const uint8_t* data, size_t len, Sink&& sink) {
  size_t tokens = 0;
  size_t start = 0;
  while (start < len) {
    const size_t end = next_piece_end(encoding.pattern, data, len, start);
    tokens += merge(encoding.table, data + start, end - start, len - start, sink);
    start = end;
  }
  return tokens;
}

inline size_t count_text(const Encoding& encoding, const uint8_t* data, size_t len) {
  return encode_text(encoding, data, len, [](uint32_t) {});
}

// The process-wide encodings.
class Registry {
 public:
  // The encoding, or null when it has not been loaded yet.
  static const Encoding* get(EncodingId id) {
    return slot(id).load(std::memory_order_acquire);
  }

  // Builds the encoding from the text of its tiktoken encoder JSON file (see
  // parse_encoder_json) unless it is already loaded. Returns it, or null with *error set when
  // the text is unusable (a later call may try again).
  static const Encoding* load(EncodingId id, const uint8_t* json_text, size_t len, std::string* error) {
    std::atomic<const Encoding*>& s = slot(id);
    if (const Encoding* e = s.load(std::memory_order_acquire)) return e;
    std::lock_guard<std::mutex> lock(mutex());
    if (const Encoding* e = s.load(std::memory_order_acquire)) return e;
    TokenList tokens;
    if (!parse_encoder_json(id, json_text, len, &tokens, error)) return nullptr;
    auto* encoding = new Encoding{pattern_of(id), RankTable()};
    if (!encoding->table.build(std::move(tokens), error)) {
      delete encoding;
      return nullptr;
    }
    s.store(encoding, std::memory_order_release);
    return encoding;
  }

 private:
  static std::atomic<const Encoding*>& slot(EncodingId id) {
    static std::atomic<const Encoding*> slots[kEncodingCount] = {};
    return slots[static_cast<int>(id)];
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
};

}  // namespace ailb::bpe
