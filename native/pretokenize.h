// pretokenize.h: splits UTF-8 text into the pieces that BPE then encodes one by one, exactly as
// tiktoken's regular expression (`pat_str`) splits it for o200k_base and cl100k_base. The
// patterns are hand-compiled into scanners; tiktoken runs them with a backtracking regex engine
// (leftmost alternative that matches wins, greedy quantifiers), so each scanner below tries the
// alternatives in order and resolves the backtracking of each one in closed form.
//
// o200k_base:
//   1 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//   2 [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//   3 \p{N}{1,3}
//   4  ?[^\s\p{L}\p{N}]+[\r\n/]*
//   5 \s*[\r\n]+
//   6 \s+(?!\S)
//   7 \s+
// cl100k_base:
//   1 (?i:'s|'t|'re|'ve|'m|'ll|'d)
//   2 [^\r\n\p{L}\p{N}]?\p{L}+
//   3 \p{N}{1,3}
//   4  ?[^\s\p{L}\p{N}]+[\r\n]*
//   5-7 as o200k_base
//
// Contract of next_piece_end(pattern, data, len, start)
//   * For start < len, returns the end (> start, <= len) of the piece that begins at start. The
//     pieces of a text are found by calling it from 0, then from each returned end; they cover
//     the text exactly, in order.
//   * Characters are code points decoded from UTF-8; classes come from unicode_tables.h (`\s` is
//     White_Space). `(?i:'s…)` matches case-insensitively with simple case folding: U+017F
//     (LATIN SMALL LETTER LONG S) matches `s`, as in tiktoken.
//   * Bytes that are not well-formed UTF-8 (tiktoken only takes valid text) count as one
//     character each, of no class: like a symbol, never a letter, number or space.
//   * Reads only data[0, len); never allocates. Linear: each call looks at most at the piece it
//     returns and the run of characters of the same kind right after it.

#pragma once

#include <cstddef>
#include <cstdint>

#include "unicode_tables.h"

namespace ailb::bpe {

enum class Pattern : uint8_t { kO200k = 0, kCl100k = 1 };

namespace detail {

using unicode::kLetter;
using unicode::kLower;
using unicode::kNumber;
using unicode::kSpace;
using unicode::kUpper;

// Class bits of the ASCII characters, the common case, without a table lookup.
struct AsciiClasses {
  uint8_t bits[128];
  constexpr AsciiClasses() : bits() {
    for (int c = 'A'; c <= 'Z'; ++c) bits[c] = kLetter | kUpper;
    for (int c = 'a'; c <= 'z'; ++c) bits[c] = kLetter | kLower;
    for (int c = '0'; c <= '9'; ++c) bits[c] = kNumber;
    for (int c : {' ', '\t', '\n', '\v', '\f', '\r'}) bits[c] = kSpace;
    // U+001C..U+001F are not White_Space.
  }
};
inline constexpr AsciiClasses kAscii{};

// One decoded character: its class bits and its length in bytes.
struct Char {
  uint8_t bits;
  uint8_t length;
};

// Decodes the character at data[i] (i < len). Ill-formed UTF-8 (stray continuation bytes,
// overlong forms, surrogates, values above U+10FFFF, truncated sequences) yields one byte of
// class 0.
inline Char decode(const uint8_t* data, size_t len, size_t i) {
  const uint8_t b0 = data[i];
  if (b0 < 0x80) return {kAscii.bits[b0], 1};
  const size_t left = len - i;
  uint32_t cp;
  uint8_t n;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (left < 2 || (data[i + 1] & 0xC0) != 0x80) return {0, 1};
    cp = (static_cast<uint32_t>(b0 & 0x1F) << 6) | (data[i + 1] & 0x3F);
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || (data[i + 1] & 0xC0) != 0x80 || (data[i + 2] & 0xC0) != 0x80) return {0, 1};
    cp = (static_cast<uint32_t>(b0 & 0x0F) << 12) | (static_cast<uint32_t>(data[i + 1] & 0x3F) << 6) |
         (data[i + 2] & 0x3F);
    if (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF)) return {0, 1};
    n = 3;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || (data[i + 1] & 0xC0) != 0x80 || (data[i + 2] & 0xC0) != 0x80 ||
        (data[i + 3] & 0xC0) != 0x80) {
      return {0, 1};
    }
    cp = (static_cast<uint32_t>(b0 & 0x07) << 18) | (static_cast<uint32_t>(data[i + 1] & 0x3F) << 12) |
         (static_cast<uint32_t>(data[i + 2] & 0x3F) << 6) | (data[i + 3] & 0x3F);
    if (cp < 0x10000 || cp > 0x10FFFF) return {0, 1};
    n = 4;
  } else {
    return {0, 1};
  }
  return {unicode::code_point_class(cp), n};
}

inline bool is_cr_lf(uint8_t b) { return b == '\r' || b == '\n'; }

// [^\r\n\p{L}\p{N}]: the optional character before a word.
inline bool is_word_prefix(Char c, uint8_t first_byte) {
  return (c.bits & (kLetter | kNumber)) == 0 && !is_cr_lf(first_byte);
}

// [^\s\p{L}\p{N}]: punctuation, symbols, marks, controls other than space.
inline bool is_other(Char c) { return (c.bits & (kLetter | kNumber | kSpace)) == 0; }

// End of (?i:'s|'t|'re|'ve|'m|'ll|'d) at i, or i when there is none.
inline size_t contraction_end(const uint8_t* data, size_t len, size_t i) {
  if (len - i < 2 || data[i] != '\'') return i;
  const uint8_t a = data[i + 1] | 0x20;  // ASCII lower case; other bytes never match below
  switch (a) {
    case 's':
    case 't':
    case 'm':
    case 'd':
      return i + 2;
    case 'r':
    case 'v':
      return len - i >= 3 && (data[i + 2] | 0x20) == 'e' ? i + 3 : i;
    case 'l':
      return len - i >= 3 && (data[i + 2] | 0x20) == 'l' ? i + 3 : i;
    default:
      break;
  }
  // U+017F folds to 's'. (0xC5 | 0x20 == 0xE5.)
  if (data[i + 1] == 0xC5 && len - i >= 3 && data[i + 2] == 0xBF) return i + 3;
  return i;
}

constexpr size_t kNoMatch = static_cast<size_t>(-1);

// o200k alternative 1 after its optional prefix: [upper]*[lower]+ then a contraction.
// [upper]* is greedy; when no [lower] follows the upper run, the engine gives characters back
// until the [lower]+ can start on one that is in both classes: the match then ends after the
// last such character of the run.
inline size_t o200k_upper_then_lower(const uint8_t* data, size_t len, size_t j) {
  size_t k = j;
  size_t last_lower_end = kNoMatch;
  while (k < len) {
    const Char c = decode(data, len, k);
    if ((c.bits & kUpper) == 0) break;
    k += c.length;
    if (c.bits & kLower) last_lower_end = k;
  }
  if (k < len) {
    Char c = decode(data, len, k);
    if (c.bits & kLower) {
      do {
        k += c.length;
        if (k >= len) break;
        c = decode(data, len, k);
      } while (c.bits & kLower);
      return contraction_end(data, len, k);
    }
  }
  if (last_lower_end == kNoMatch) return kNoMatch;
  return contraction_end(data, len, last_lower_end);
}

// o200k alternative 2 after its optional prefix: [upper]+[lower]* then a contraction.
inline size_t o200k_upper_run(const uint8_t* data, size_t len, size_t j) {
  size_t k = j;
  while (k < len) {
    const Char c = decode(data, len, k);
    if ((c.bits & kUpper) == 0) break;
    k += c.length;
  }
  if (k == j) return kNoMatch;
  while (k < len) {
    const Char c = decode(data, len, k);
    if ((c.bits & kLower) == 0) break;
    k += c.length;
  }
  return contraction_end(data, len, k);
}

// End of the run of characters whose class has any of `bits`, from k.
inline size_t run_end(const uint8_t* data, size_t len, size_t k, uint8_t bits) {
  while (k < len) {
    const Char c = decode(data, len, k);
    if ((c.bits & bits) == 0) break;
    k += c.length;
  }
  return k;
}

// \p{N}{1,3} at start (a number is there).
inline size_t digits_end(const uint8_t* data, size_t len, size_t start) {
  size_t k = start;
  for (int count = 0; count < 3 && k < len; ++count) {
    const Char c = decode(data, len, k);
    if ((c.bits & kNumber) == 0) break;
    k += c.length;
  }
  return k;
}

// " ?[^\s\p{L}\p{N}]+" then the trailing set ([\r\n/]* for o200k, [\r\n]* for cl100k).
inline size_t punctuation_end(const uint8_t* data, size_t len, size_t start, Char c0,
                              bool slash_too) {
  size_t k;
  if (is_other(c0)) {
    k = start + c0.length;
  } else if (data[start] == ' ' && start + 1 < len && is_other(decode(data, len, start + 1))) {
    k = start + 1 + decode(data, len, start + 1).length;
  } else {
    return kNoMatch;
  }
  while (k < len) {
    const Char c = decode(data, len, k);
    if (!is_other(c)) break;
    k += c.length;
  }
  while (k < len && (is_cr_lf(data[k]) || (slash_too && data[k] == '/'))) ++k;
  return k;
}

// Alternatives 5-7 at a space character:
//   \s*[\r\n]+   the greedy \s* gives back characters until the last \r or \n of the run;
//   \s+(?!\S)    the whole run at the end of the text, else the run less its last character
//                (when that leaves at least one);
//   \s+          the whole run.
inline size_t space_end(const uint8_t* data, size_t len, size_t start) {
  size_t k = start;
  size_t last_newline_end = kNoMatch;
  size_t last_char_start = start;
  while (k < len) {
    const Char c = decode(data, len, k);
    if ((c.bits & kSpace) == 0) break;
    if (is_cr_lf(data[k])) last_newline_end = k + 1;
    last_char_start = k;
    k += c.length;
  }
  if (k == start) return start + decode(data, len, start).length;  // not a space: unreachable
  if (last_newline_end != kNoMatch) return last_newline_end;
  if (k == len) return k;
  if (last_char_start > start) return last_char_start;
  return k;
}

inline size_t o200k_piece_end(const uint8_t* data, size_t len, size_t start) {
  const Char c0 = decode(data, len, start);
  const bool prefix = is_word_prefix(c0, data[start]);
  if (c0.bits & (kUpper | kLower) || prefix) {
    size_t end;
    if (prefix && (end = o200k_upper_then_lower(data, len, start + c0.length)) != kNoMatch) return end;
    if ((end = o200k_upper_then_lower(data, len, start)) != kNoMatch) return end;
    if (prefix && (end = o200k_upper_run(data, len, start + c0.length)) != kNoMatch) return end;
    if ((end = o200k_upper_run(data, len, start)) != kNoMatch) return end;
  }
  if (c0.bits & kNumber) return digits_end(data, len, start);
  const size_t end = punctuation_end(data, len, start, c0, true);
  if (end != kNoMatch) return end;
  // Every character matches one of the alternatives above, except a space character that is
  // neither followed by a word nor (for U+0020) by punctuation.
  return space_end(data, len, start);
}

inline size_t cl100k_piece_end(const uint8_t* data, size_t len, size_t start) {
  if (data[start] == '\'') {
    const size_t end = contraction_end(data, len, start);
    if (end != start) return end;
  }
  const Char c0 = decode(data, len, start);
  if (is_word_prefix(c0, data[start]) && start + c0.length < len) {
    const size_t end = run_end(data, len, start + c0.length, kLetter);
    if (end != start + c0.length) return end;
  }
  if (c0.bits & kLetter) return run_end(data, len, start, kLetter);
  if (c0.bits & kNumber) return digits_end(data, len, start);
  const size_t end = punctuation_end(data, len, start, c0, false);
  if (end != kNoMatch) return end;
  return space_end(data, len, start);
}

}  // namespace detail

// See the contract at the top of this file.
inline size_t next_piece_end(Pattern pattern, const uint8_t* data, size_t len, size_t start) {
  return pattern == Pattern::kO200k ? detail::o200k_piece_end(data, len, start)
                                    : detail::cl100k_piece_end(data, len, start);
}

// Calls piece(begin, length) for every piece of data[0, len), in order.
template <typename Fn>
inline void for_each_piece(Pattern pattern, const uint8_t* data, size_t len, Fn&& piece) {
  size_t start = 0;
  while (start < len) {
    const size_t end = next_piece_end(pattern, data, len, start);
    piece(data + start, end - start);
    start = end;
  }
}

}  // namespace ailb::bpe
