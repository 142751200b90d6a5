// json_scan.h: strict JSON validator that locates a few top-level fields of an
// OpenAI-style request body, so the gateway can forward the body as bytes and splice
// only the `model` value.
//
// Contract of scan_request(data, len)
//   * Validates all of data[0, len) as one JSON text per RFC 8259:
//     - whitespace is space, \t, \n, \r only (a UTF-8 BOM is rejected, as JSON.parse does);
//     - numbers follow -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? exactly;
//     - strings hold no raw byte < 0x20; escapes are \" \\ \/ \b \f \n \r \t and \uXXXX with
//       four hex digits (either case). Escaped lone surrogates (\uD800) are accepted, as
//       JSON.parse accepts them;
//     - raw bytes in strings are well-formed UTF-8 (RFC 3629): no stray continuation bytes,
//       no overlong forms, no encoded surrogates (ED A0..BF), nothing above U+10FFFF,
//       no truncated sequences;
//     - the top-level value is an object and only whitespace follows it.
//   * Nesting: at most kMaxDepth (512) open containers, the top-level object counting as one.
//   * Fields: for each ScanField the kind and byte span of the value of that key in the
//     top-level object. Keys of nested objects are never reported. A key matches when its
//     decoded text equals the field name, so "mod\u0065l" is `model` (escaped keys take a
//     slow path; they are rare). When a key repeats, the last occurrence wins, as with
//     JSON.parse.
//   * Spans are byte offsets into data. String and StringEscaped spans cover the bytes between
//     the quotes; every other kind covers the whole value text. An absent field has kind Absent
//     and span [0, 0).
//   * On error every field is Absent and error_offset is the byte offset described at the
//     failing ScanError value. len must not exceed kMaxScanBytes (2^31 - 1), so every offset
//     fits in int32_t.
//   * Never allocates, throws or recurses; reads only data[0, len). data may be null when
//     len is 0.

#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

// SSE2 is part of the x86-64 baseline. Other targets, or a build defining
// AILB_JSON_SCAN_SCALAR (used to test the fallback), take the scalar string loop.
#if defined(__SSE2__) && !defined(AILB_JSON_SCAN_SCALAR)
#define AILB_JSON_SCAN_SSE2 1
#include <emmintrin.h>
#endif

namespace ailb {

enum class JsonKind : int32_t {
  Absent = 0,
  String = 1,
  StringEscaped = 2,  // a string containing at least one backslash escape
  Number = 3,
  True = 4,
  False = 5,
  Null = 6,
  Object = 7,
  Array = 8,
};

// The reported top-level keys. The order is part of the N-API layout (src/native/index.ts).
enum ScanField : int32_t {
  kModel = 0,
  kStream,
  kStreamOptions,
  kMaxTokens,
  kMaxCompletionTokens,
  kUser,
  kMessages,
  kFieldCount,
};

inline constexpr const char* kScanFieldNames[kFieldCount] = {
    "model", "stream", "stream_options", "max_tokens", "max_completion_tokens", "user",
    "messages",
};

struct FieldSpan {
  int32_t kind;  // a JsonKind value
  int32_t start;
  int32_t end;
};

// Each comment names what error_offset points at.
enum class ScanError : int32_t {
  Ok = 0,          // 0
  Empty,           // nothing but whitespace: len
  NotObject,       // top-level value does not start with '{': its first byte
  UnexpectedByte,  // a byte the grammar does not allow here: that byte
  UnexpectedEnd,   // input ends inside the value: len
  BadString,       // raw control byte (< 0x20) in a string: that byte
  BadEscape,       // malformed backslash escape: the backslash
  BadUtf8,         // ill-formed UTF-8 in a string: first byte of the ill-formed sequence
  BadNumber,       // number outside the RFC 8259 grammar: the byte where a digit was required
                   // or the digit after a leading zero
  TooDeep,         // more than kMaxDepth open containers: the bracket that would exceed it
  TrailingData,    // non-whitespace after the top-level object: that byte
  TooLarge,        // len > kMaxScanBytes: 0
};

inline constexpr int32_t kScanErrorCount = 12;
inline constexpr size_t kMaxScanBytes = 0x7fffffff;
inline constexpr int kMaxDepth = 512;
static_assert(kMaxDepth == 512, "the TooDeep message and the contract above state 512");

struct ScanResult {
  ScanError error;
  int32_t error_offset;
  FieldSpan fields[kFieldCount];
};

// A short English description of an error, without the offset. Never null.
inline const char* scan_error_message(ScanError error) noexcept {
  switch (error) {
    case ScanError::Ok: return "ok";
    case ScanError::Empty: return "request body is empty";
    case ScanError::NotObject: return "request body is not a JSON object";
    case ScanError::UnexpectedByte: return "unexpected character in JSON";
    case ScanError::UnexpectedEnd: return "unexpected end of JSON";
    case ScanError::BadString: return "control character in JSON string";
    case ScanError::BadEscape: return "invalid escape in JSON string";
    case ScanError::BadUtf8: return "invalid UTF-8 in JSON string";
    case ScanError::BadNumber: return "invalid JSON number";
    case ScanError::TooDeep: return "JSON nested deeper than 512 levels";
    case ScanError::TrailingData: return "unexpected data after the JSON object";
    case ScanError::TooLarge: return "request body is larger than 2147483647 bytes";
  }
  return "unknown scan error";
}

namespace scan_detail {

inline bool is_ws(uint8_t c) noexcept { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }
inline bool is_digit(uint8_t c) noexcept { return static_cast<uint8_t>(c - '0') < 10; }

// Value of a hex digit, or -1.
inline int hex_value(uint8_t c) noexcept {
  if (is_digit(c)) return c - '0';
  const uint8_t lower = c | 0x20;
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// True for bytes a string can hold without a closer look: printable ASCII except '"' and '\\'.
inline bool is_plain_string_byte(uint8_t c) noexcept {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

// First index >= i whose byte is not plain (see is_plain_string_byte), or n. Requires i <= n.
// Long strings (message contents) dominate request bodies, so this is the hot loop.
inline size_t skip_plain_string_bytes(const uint8_t* p, size_t i, size_t n) noexcept {
#if defined(AILB_JSON_SCAN_SSE2)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i space = _mm_set1_epi8(0x20);
  // A signed compare sees bytes >= 0x80 as negative, so `< 0x20` flags control bytes and
  // non-ASCII bytes at once.
  auto special_mask = [&](const uint8_t* at) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
    const __m128i hit = _mm_or_si128(_mm_cmplt_epi8(v, space),
                                     _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                  _mm_cmpeq_epi8(v, backslash)));
    return static_cast<uint32_t>(_mm_movemask_epi8(hit));
  };
  // One vector per step: unrolling to two measured no faster on long strings and slower on
  // short ones (native/bench/json_scan_bench.cc).
  while (n - i >= 16) {
    const uint32_t mask = special_mask(p + i);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i < n && is_plain_string_byte(p[i])) ++i;
  return i;
}

inline constexpr int kUtf8Bad = -1;
inline constexpr int kUtf8Truncated = -2;  // well-formed so far, but the input ends first

// Length of the well-formed UTF-8 sequence at p (p[0] >= 0x80), kUtf8Bad or kUtf8Truncated.
// avail >= 1 is the number of readable bytes at p. Ranges per RFC 3629, table 3-7 of Unicode.
inline int utf8_sequence_length(const uint8_t* p, size_t avail) noexcept {
  const uint8_t lead = p[0];
  int length;
  uint8_t lo = 0x80;  // allowed range of the second byte; narrower for a few leads
  uint8_t hi = 0xBF;
  if (lead < 0xC2) {
    return kUtf8Bad;  // continuation byte, or C0/C1 which only start overlong forms
  } else if (lead < 0xE0) {
    length = 2;
  } else if (lead < 0xF0) {
    length = 3;
    if (lead == 0xE0) lo = 0xA0;  // below is overlong
    if (lead == 0xED) hi = 0x9F;  // above encodes a surrogate
  } else if (lead < 0xF5) {
    length = 4;
    if (lead == 0xF0) lo = 0x90;  // below is overlong
    if (lead == 0xF4) hi = 0x8F;  // above is beyond U+10FFFF
  } else {
    return kUtf8Bad;
  }
  for (int k = 1; k < length; ++k) {
    if (static_cast<size_t>(k) >= avail) return kUtf8Truncated;
    if (p[k] < lo || p[k] > hi) return kUtf8Bad;
    lo = 0x80;
    hi = 0xBF;
  }
  return length;
}

// Index of the field spelled by s[0, len), or -1. All names have distinct lengths.
inline int field_for_name(const uint8_t* s, size_t len) noexcept {
  int field;
  switch (len) {
    case 4: field = kUser; break;
    case 5: field = kModel; break;
    case 6: field = kStream; break;
    case 8: field = kMessages; break;
    case 10: field = kMaxTokens; break;
    case 14: field = kStreamOptions; break;
    case 21: field = kMaxCompletionTokens; break;
    default: return -1;
  }
  return std::memcmp(s, kScanFieldNames[field], len) == 0 ? field : -1;
}

// Longest field name, "max_completion_tokens".
inline constexpr size_t kLongestFieldName = 21;

// field_for_name of a key that holds escapes. The key bytes s[0, len) were already validated.
// Field names are ASCII, so any escape or byte that decodes to a non-ASCII character rules a
// match out; that keeps the decoder to one byte per escape.
inline int field_for_escaped_name(const uint8_t* s, size_t len) noexcept {
  uint8_t decoded[kLongestFieldName];
  size_t out = 0;
  for (size_t i = 0; i < len; ++out) {
    if (out == kLongestFieldName) return -1;
    uint8_t c = s[i];
    if (c != '\\') {
      decoded[out] = c;
      ++i;
      continue;
    }
    switch (s[i + 1]) {
      case 'b': c = '\b'; break;
      case 'f': c = '\f'; break;
      case 'n': c = '\n'; break;
      case 'r': c = '\r'; break;
      case 't': c = '\t'; break;
      case 'u': {
        const int cp = (hex_value(s[i + 2]) << 12) | (hex_value(s[i + 3]) << 8) |
                       (hex_value(s[i + 4]) << 4) | hex_value(s[i + 5]);
        if (cp >= 0x80) return -1;
        decoded[out] = static_cast<uint8_t>(cp);
        i += 6;
        continue;
      }
      default: c = s[i + 1]; break;  // '"', '\\' and '/' stand for themselves
    }
    decoded[out] = c;
    i += 2;
  }
  return field_for_name(decoded, out);
}

// One scan over one body. Internal positions are size_t; they fit in int32_t because the
// caller rejects len > kMaxScanBytes first.
class Scanner {
 public:
  Scanner(const uint8_t* data, size_t len) noexcept : p_(data), n_(len) {}

  ScanResult run() noexcept {
    ScanResult result;
    clear_fields(&result);
    if (n_ > kMaxScanBytes) {
      fail(ScanError::TooLarge, 0);
    } else {
      skip_ws();
      if (i_ == n_) {
        fail(ScanError::Empty, n_);
      } else if (p_[i_] != '{') {
        fail(ScanError::NotObject, i_);
      } else {
        parse(&result);
      }
    }
    result.error = error_;
    result.error_offset = static_cast<int32_t>(error_at_);
    if (error_ != ScanError::Ok) clear_fields(&result);
    return result;
  }

 private:
  // What the parser expects next. An explicit state plus a container stack replace recursion,
  // so hostile nesting costs neither native stack nor time beyond the depth check.
  enum class Next { Value, Key, AfterValue, Done };

  static void clear_fields(ScanResult* result) noexcept {
    for (FieldSpan& f : result->fields) f = FieldSpan{0, 0, 0};  // JsonKind::Absent
  }

  bool fail(ScanError error, size_t at) noexcept {
    error_ = error;
    error_at_ = at;
    return false;
  }

  void skip_ws() noexcept {
    while (i_ < n_ && is_ws(p_[i_])) ++i_;
  }

  // Validates the whole text; i_ is at the top-level '{'.
  bool parse(ScanResult* result) noexcept {
    result_ = result;
    Next next = Next::Value;
    for (;;) {
      bool ok = true;
      switch (next) {
        case Next::Value: ok = value(&next); break;
        case Next::Key: ok = key(&next); break;
        case Next::AfterValue: ok = after_value(&next); break;
        case Next::Done: return true;
      }
      if (!ok) return false;
    }
  }

  // A value starts at i_ (whitespace already skipped).
  bool value(Next* next) noexcept {
    if (i_ >= n_) return fail(ScanError::UnexpectedEnd, n_);
    const uint8_t c = p_[i_];
    const size_t start = i_;
    if (c == '{' || c == '[') {
      if (depth_ == kMaxDepth) return fail(ScanError::TooDeep, i_);
      if (depth_ == 1) field_start_ = start;
      in_object_[depth_++] = c == '{';
      ++i_;
      skip_ws();
      if (i_ < n_ && p_[i_] == c + 2) {  // '}' is '{' + 2 and ']' is '[' + 2
        close_container();
        *next = Next::AfterValue;
      } else {
        *next = c == '{' ? Next::Key : Next::Value;
      }
      return true;
    }
    JsonKind kind;
    if (!scan_scalar(c, &kind)) return false;
    if (depth_ == 1 && field_ >= 0) {
      const bool quoted = kind == JsonKind::String || kind == JsonKind::StringEscaped;
      record(kind, quoted ? start + 1 : start, quoted ? i_ - 1 : i_);
    }
    *next = Next::AfterValue;
    return true;
  }

  // An object key, its colon and the whitespace after it. Keys of the top-level object pick
  // the field that the following value fills.
  bool key(Next* next) noexcept {
    if (i_ >= n_) return fail(ScanError::UnexpectedEnd, n_);
    if (p_[i_] != '"') return fail(ScanError::UnexpectedByte, i_);
    const size_t start = i_ + 1;
    bool escaped;
    if (!scan_string(&escaped)) return false;
    if (depth_ == 1) {
      const size_t len = i_ - 1 - start;
      field_ = escaped ? field_for_escaped_name(p_ + start, len) : field_for_name(p_ + start, len);
    }
    skip_ws();
    if (i_ >= n_) return fail(ScanError::UnexpectedEnd, n_);
    if (p_[i_] != ':') return fail(ScanError::UnexpectedByte, i_);
    ++i_;
    skip_ws();
    *next = Next::Value;
    return true;
  }

  // After a value: a separator, the end of the enclosing container, or the end of the text.
  bool after_value(Next* next) noexcept {
    skip_ws();
    if (depth_ == 0) {
      if (i_ != n_) return fail(ScanError::TrailingData, i_);
      *next = Next::Done;
      return true;
    }
    if (i_ >= n_) return fail(ScanError::UnexpectedEnd, n_);
    const uint8_t c = p_[i_];
    const bool object = in_object_[depth_ - 1];
    if (c == ',') {
      ++i_;
      skip_ws();
      *next = object ? Next::Key : Next::Value;
    } else if (c == (object ? '}' : ']')) {
      close_container();
    } else {
      return fail(ScanError::UnexpectedByte, i_);
    }
    return true;
  }

  // Consumes the closing bracket at i_. A container that closes back to depth 1 is the value
  // of a top-level key, so that is when a container field gets its span.
  void close_container() noexcept {
    ++i_;
    --depth_;
    if (depth_ == 1 && field_ >= 0) {
      record(in_object_[1] ? JsonKind::Object : JsonKind::Array, field_start_, i_);
    }
  }

  // Duplicate keys overwrite, so the last occurrence wins.
  void record(JsonKind kind, size_t start, size_t end) noexcept {
    result_->fields[field_] = FieldSpan{static_cast<int32_t>(kind), static_cast<int32_t>(start),
                                        static_cast<int32_t>(end)};
  }

  // Scans the string, number or literal starting with byte c at i_; sets *kind.
  bool scan_scalar(uint8_t c, JsonKind* kind) noexcept {
    switch (c) {
      case '"': {
        bool escaped;
        if (!scan_string(&escaped)) return false;
        *kind = escaped ? JsonKind::StringEscaped : JsonKind::String;
        return true;
      }
      case 't': *kind = JsonKind::True; return scan_literal("true", 4);
      case 'f': *kind = JsonKind::False; return scan_literal("false", 5);
      case 'n': *kind = JsonKind::Null; return scan_literal("null", 4);
      default:
        if (c == '-' || is_digit(c)) {
          *kind = JsonKind::Number;
          return scan_number();
        }
        return fail(ScanError::UnexpectedByte, i_);
    }
  }

  // i_ is at the opening quote; on success it is just past the closing quote.
  bool scan_string(bool* escaped) noexcept {
    size_t i = i_ + 1;
    bool saw_escape = false;
    for (;;) {
      i = skip_plain_string_bytes(p_, i, n_);
      if (i >= n_) return fail(ScanError::UnexpectedEnd, n_);
      const uint8_t c = p_[i];
      if (c == '"') break;
      if (c == '\\') {
        saw_escape = true;
        if (!scan_escape(&i)) return false;
      } else if (c >= 0x80) {
        if (!scan_utf8_run(&i)) return false;
      } else {
        return fail(ScanError::BadString, i);
      }
    }
    i_ = i + 1;
    *escaped = saw_escape;
    return true;
  }

  // *i is at a backslash; moves past the escape.
  bool scan_escape(size_t* i) noexcept {
    const size_t at = *i;
    if (n_ - at < 2) return fail(ScanError::UnexpectedEnd, n_);
    switch (p_[at + 1]) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        *i = at + 2;
        return true;
      case 'u':
        for (size_t k = at + 2; k < at + 6; ++k) {
          if (k >= n_) return fail(ScanError::UnexpectedEnd, n_);
          if (hex_value(p_[k]) < 0) return fail(ScanError::BadEscape, at);
        }
        *i = at + 6;
        return true;
      default:
        return fail(ScanError::BadEscape, at);
    }
  }

  // *i is at a byte >= 0x80; moves past the run of non-ASCII characters there. Text in
  // non-Latin scripts is mostly such runs, so staying here avoids a vector load per character.
  bool scan_utf8_run(size_t* i) noexcept {
    size_t at = *i;
    do {
      const int length = utf8_sequence_length(p_ + at, n_ - at);
      if (length == kUtf8Truncated) return fail(ScanError::UnexpectedEnd, n_);
      if (length < 0) return fail(ScanError::BadUtf8, at);
      at += static_cast<size_t>(length);
    } while (at < n_ && p_[at] >= 0x80);
    *i = at;
    return true;
  }

  bool scan_number() noexcept {
    size_t i = i_;
    if (p_[i] == '-') ++i;
    if (i >= n_) return fail(ScanError::UnexpectedEnd, n_);
    if (p_[i] == '0') {
      ++i;
      if (i < n_ && is_digit(p_[i])) return fail(ScanError::BadNumber, i);  // leading zero
    } else if (!scan_digits(&i)) {
      return false;
    }
    if (i < n_ && p_[i] == '.') {
      ++i;
      if (!scan_digits(&i)) return false;
    }
    if (i < n_ && (p_[i] | 0x20) == 'e') {
      ++i;
      if (i < n_ && (p_[i] == '+' || p_[i] == '-')) ++i;
      if (!scan_digits(&i)) return false;
    }
    i_ = i;
    return true;
  }

  // One or more digits at *i.
  bool scan_digits(size_t* i) noexcept {
    size_t at = *i;
    if (at >= n_) return fail(ScanError::UnexpectedEnd, n_);
    if (!is_digit(p_[at])) return fail(ScanError::BadNumber, at);
    while (at < n_ && is_digit(p_[at])) ++at;
    *i = at;
    return true;
  }

  bool scan_literal(const char* word, size_t len) noexcept {
    for (size_t k = 0; k < len; ++k) {
      if (i_ + k >= n_) return fail(ScanError::UnexpectedEnd, n_);
      if (p_[i_ + k] != static_cast<uint8_t>(word[k])) {
        return fail(ScanError::UnexpectedByte, i_ + k);
      }
    }
    i_ += len;
    return true;
  }

  const uint8_t* p_;
  size_t n_;
  size_t i_ = 0;
  ScanError error_ = ScanError::Ok;
  size_t error_at_ = 0;
  ScanResult* result_ = nullptr;
  bool in_object_[kMaxDepth];  // kind of each open container; [0] is the top-level object
  int depth_ = 0;              // open containers
  int field_ = -1;             // field named by the latest top-level key, or -1
  size_t field_start_ = 0;     // where that field's value began, for container values
};

}  // namespace scan_detail

inline ScanResult scan_request(const uint8_t* data, size_t len) noexcept {
  return scan_detail::Scanner(data, len).run();
}

}  // namespace ailb
