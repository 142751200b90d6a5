// libFuzzer target for the BPE merge of bpe.h, on a small synthetic rank table: every byte, and
// 600 tokens of 2 to 6 letters over "abcd", with ranks in a shuffled order (so longer tokens
// sometimes rank below their parts).
//
// The first input byte picks how the rest becomes a piece: as it is, or mapped onto "abcd" (so
// that merges happen), or onto "ab". Invariants: the tokens' bytes concatenate to the piece;
// the array merge and the long-piece merge give the same tokens; count() agrees; a long piece
// made of the input repeated encodes without error. Any violation aborts.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bpe.h"

namespace {

[[noreturn]] void fail(const char* why, size_t a = 0, size_t b = 0) {
  std::fprintf(stderr, "bpe_fuzz: %s (%zu, %zu)\n", why, a, b);
  std::abort();
}

struct Table {
  ailb::bpe::RankTable table;
  std::vector<std::string> bytes_of_rank;
};

const Table& table() {
  static const Table* t = [] {
    auto* out = new Table;
    std::vector<std::string> tokens;
    for (int b = 0; b < 256; ++b) tokens.emplace_back(1, static_cast<char>(b));
    uint32_t seed = 2024;
    auto next = [&] {
      seed = seed * 1103515245u + 12345u;
      return seed >> 8;
    };
    while (tokens.size() < 256 + 600) {
      std::string token;
      const size_t len = 2 + next() % 5;
      for (size_t i = 0; i < len; ++i) token.push_back("abcd"[next() % 4]);
      bool seen = false;
      for (size_t i = 256; i < tokens.size() && !seen; ++i) seen = tokens[i] == token;
      if (!seen) tokens.push_back(token);
    }
    // Ranks: bytes keep theirs; the others are shuffled.
    std::vector<uint32_t> ranks(tokens.size());
    for (size_t i = 0; i < ranks.size(); ++i) ranks[i] = static_cast<uint32_t>(i);
    for (size_t i = ranks.size() - 1; i > 256; --i) std::swap(ranks[i], ranks[256 + next() % (i - 255)]);
    ailb::bpe::TokenList list;
    out->bytes_of_rank.resize(tokens.size());
    for (size_t i = 0; i < tokens.size(); ++i) {
      list.add(tokens[i].data(), tokens[i].size(), ranks[i]);
      out->bytes_of_rank[ranks[i]] = tokens[i];
    }
    std::string error;
    if (!out->table.build(std::move(list), &error)) {
      std::fprintf(stderr, "bpe_fuzz: %s\n", error.c_str());
      std::abort();
    }
    return out;
  }();
  return *t;
}

std::vector<uint32_t> run(bool long_path, const std::string& piece) {
  std::vector<uint32_t> out;
  auto sink = [&](uint32_t r) { out.push_back(r); };
  const auto* p = reinterpret_cast<const uint8_t*>(piece.data());
  if (long_path) {
    ailb::bpe::detail::merge_long(table().table, p, piece.size(), piece.size(), sink);
  } else {
    ailb::bpe::detail::merge_linear(table().table, p, piece.size(), piece.size(), sink);
  }
  return out;
}

void check_concatenation(const std::vector<uint32_t>& tokens, const std::string& piece) {
  std::string joined;
  for (uint32_t r : tokens) {
    if (r >= table().bytes_of_rank.size()) fail("rank out of range", r);
    joined += table().bytes_of_rank[r];
  }
  if (joined != piece) fail("tokens do not spell the piece", joined.size(), piece.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::string piece;
  for (size_t i = 1; i < size; ++i) {
    switch (data[0] % 3) {
      case 0: piece.push_back(static_cast<char>(data[i])); break;
      case 1: piece.push_back("abcd"[data[i] & 3]); break;
      default: piece.push_back("ab"[data[i] & 1]); break;
    }
  }
  const auto& t = table().table;
  std::vector<uint32_t> tokens;
  const size_t n = ailb::bpe::merge(t, reinterpret_cast<const uint8_t*>(piece.data()), piece.size(),
                                    piece.size(), [&](uint32_t r) { tokens.push_back(r); });
  if (n != tokens.size()) fail("count differs from the tokens", n, tokens.size());
  check_concatenation(tokens, piece);
  if (ailb::bpe::count(t, reinterpret_cast<const uint8_t*>(piece.data()), piece.size(), piece.size()) != n) {
    fail("count() differs");
  }
  if (piece.size() >= 2 && piece.size() <= ailb::bpe::kLinearMergeMax) {
    if (run(false, piece) != run(true, piece)) fail("array and long-piece merges differ", piece.size());
  }
  // The same bytes four times over, through the long-piece path.
  const std::string repeated = piece + piece + piece + piece;
  if (repeated.size() >= 2) check_concatenation(run(true, repeated), repeated);
  return 0;
}
