// libFuzzer target for pretokenize.h, both patterns.
//
// Invariants: the pieces are non-empty, in order, and cover the input exactly; every piece ends
// on a character boundary (as the scanner itself decodes characters, ill-formed bytes counting
// one each); nothing is read outside the input (the sanitizers check that, the input being an
// exact-size buffer). Any violation prints the reason and aborts, so the fuzzer saves the input.

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "pretokenize.h"

namespace {

[[noreturn]] void fail(const char* why, size_t a, size_t b) {
  std::fprintf(stderr, "pretokenize_fuzz: %s (%zu, %zu)\n", why, a, b);
  std::abort();
}

void check(ailb::bpe::Pattern pattern, const uint8_t* data, size_t size,
           const std::vector<bool>& boundary) {
  size_t start = 0;
  while (start < size) {
    const size_t end = ailb::bpe::next_piece_end(pattern, data, size, start);
    if (end <= start) fail("empty piece", start, end);
    if (end > size) fail("piece past the end", end, size);
    if (!boundary[end]) fail("piece ends inside a character", start, end);
    start = end;
  }
  if (start != size) fail("pieces do not cover the input", start, size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<bool> boundary(size + 1, false);
  for (size_t i = 0; i < size;) {
    boundary[i] = true;
    i += ailb::bpe::detail::decode(data, size, i).length;
  }
  boundary[size] = true;
  check(ailb::bpe::Pattern::kO200k, data, size, boundary);
  check(ailb::bpe::Pattern::kCl100k, data, size, boundary);
  return 0;
}
