// libFuzzer target for chat_tokens.h (and the json_walk.h reader under it), with an encoding in
// which every byte is a token.
//
// Invariants: nothing is read outside the input and the count terminates (the sanitizers and
// libFuzzer's timeout check those); the result is -1 or at least 0; when json_scan.h accepts
// the body (a valid JSON object), the result is at least 3 (the reply priming; a tools list
// adds at least 9 - 4). Any violation aborts.

#include <cstdio>
#include <cstdlib>

#include "chat_tokens.h"
#include "json_scan.h"

namespace {

const ailb::bpe::Encoding& byte_encoding() {
  static const ailb::bpe::Encoding* encoding = [] {
    auto* e = new ailb::bpe::Encoding{ailb::bpe::Pattern::kO200k, ailb::bpe::RankTable()};
    ailb::bpe::TokenList list;
    for (int b = 0; b < 256; ++b) {
      const uint8_t byte = static_cast<uint8_t>(b);
      list.add(&byte, 1, static_cast<uint32_t>(b));
    }
    std::string error;
    if (!e->table.build(std::move(list), &error)) std::abort();
    return e;
  }();
  return *encoding;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int64_t tokens = ailb::chat::count_chat_tokens(byte_encoding(), data, size);
  if (tokens < -1) {
    std::fprintf(stderr, "chat_tokens_fuzz: negative count %lld\n", static_cast<long long>(tokens));
    std::abort();
  }
  if (size < ailb::kMaxScanBytes && ailb::scan_request(data, size).error == ailb::ScanError::Ok &&
      tokens < 3) {
    std::fprintf(stderr, "chat_tokens_fuzz: valid body counted %lld\n", static_cast<long long>(tokens));
    std::abort();
  }
  return 0;
}
