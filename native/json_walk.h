// json_walk.h: a small reader over JSON text that is already known to be valid (the request
// body passed json_scan.h's scan_request), for code that needs to visit nested values without
// building a tree: locate a value, iterate the members of an object or the elements of an
// array, look a member up by key, decode a string.
//
// Contract
//   * Positions are byte offsets into data[0, len). A Value records its type and span: for a
//     string the bytes between the quotes (and whether they hold a backslash escape), for any
//     other value its whole text, brackets included.
//   * Reading a container finds its end by counting brackets outside strings, without recursion
//     and without allocation; iterating it reads each member in turn.
//   * On text that is not valid JSON the functions never read outside data[0, len), never loop
//     forever, and report failure (false) where they notice it; results are then unspecified.
//     Bracket kinds are not matched against each other, so some invalid texts read as valid.
//   * decode_string() turns escapes into UTF-8: \uXXXX pairs into one code point, a lone
//     surrogate into U+FFFD (what JavaScript and Python do before encoding text as UTF-8).

#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace ailb::json {

enum class Type : uint8_t { kNone, kObject, kArray, kString, kNumber, kTrue, kFalse, kNull };

struct Value {
  Type type = Type::kNone;
  bool escaped = false;  // strings: the span holds a backslash
  size_t begin = 0;
  size_t end = 0;

  bool is(Type t) const { return type == t; }
  bool present() const { return type != Type::kNone; }
};

class Doc {
 public:
  Doc(const uint8_t* data, size_t len) : data_(data), len_(len) {}

  const uint8_t* data() const { return data_; }
  size_t size() const { return len_; }

  size_t skip_space(size_t i) const {
    while (i < len_ && (data_[i] == ' ' || data_[i] == '\n' || data_[i] == '\r' || data_[i] == '\t')) ++i;
    return i;
  }

  // Reads the value starting at i (after optional whitespace); *next is set past it.
  bool read(size_t i, Value* out, size_t* next) const {
    i = skip_space(i);
    if (i >= len_) return false;
    Value v;
    switch (data_[i]) {
      case '"': {
        size_t end;
        bool escaped;
        if (!string_end(i, &end, &escaped)) return false;
        v.type = Type::kString;
        v.escaped = escaped;
        v.begin = i + 1;
        v.end = end;
        *next = end + 1;
        break;
      }
      case '{':
      case '[': {
        size_t end;
        if (!container_end(i, &end)) return false;
        v.type = data_[i] == '{' ? Type::kObject : Type::kArray;
        v.begin = i;
        v.end = end;
        *next = end;
        break;
      }
      default: {
        size_t j = i;
        while (j < len_ && data_[j] != ',' && data_[j] != '}' && data_[j] != ']' && data_[j] != ' ' &&
               data_[j] != '\n' && data_[j] != '\r' && data_[j] != '\t' && data_[j] != ':' &&
               data_[j] != '"' && data_[j] != '{' && data_[j] != '[') {
          ++j;
        }
        if (j == i) return false;
        const uint8_t c = data_[i];
        v.type = c == 't' ? Type::kTrue : c == 'f' ? Type::kFalse : c == 'n' ? Type::kNull : Type::kNumber;
        v.begin = i;
        v.end = j;
        *next = j;
        break;
      }
    }
    *out = v;
    return true;
  }

  // Iterates the members of an object (Members) or the elements of an array (Elements).
  class Members {
   public:
    Members(const Doc& doc, const Value& object)
        : doc_(doc), pos_(object.begin + 1), end_(object.is(Type::kObject) ? object.end : 0),
          ok_(object.is(Type::kObject)) {
      if (!ok_) pos_ = 0;
    }
    // The next key and value; false at the end or on malformed text (see ok()).
    bool next(Value* key, Value* value) {
      if (!ok_) return false;
      size_t i = doc_.skip_space(pos_);
      if (i >= end_ || doc_.data_[i] == '}') return false;
      if (!first_) {
        if (doc_.data_[i] != ',') return fail();
        i = doc_.skip_space(i + 1);
      }
      first_ = false;
      size_t next;
      if (i >= end_ || doc_.data_[i] != '"' || !doc_.read(i, key, &next)) return fail();
      i = doc_.skip_space(next);
      if (i >= end_ || doc_.data_[i] != ':') return fail();
      if (!doc_.read(i + 1, value, &next) || next > end_) return fail();
      pos_ = next;
      return true;
    }
    bool ok() const { return ok_; }

   private:
    bool fail() {
      ok_ = false;
      return false;
    }
    const Doc& doc_;
    size_t pos_;
    size_t end_;
    bool ok_;
    bool first_ = true;
  };

  class Elements {
   public:
    Elements(const Doc& doc, const Value& array)
        : doc_(doc), pos_(array.begin + 1), end_(array.is(Type::kArray) ? array.end : 0),
          ok_(array.is(Type::kArray)) {}
    bool next(Value* value) {
      if (!ok_) return false;
      size_t i = doc_.skip_space(pos_);
      if (i >= end_ || doc_.data_[i] == ']') return false;
      if (!first_) {
        if (doc_.data_[i] != ',') return fail();
        ++i;
      }
      first_ = false;
      size_t next;
      if (!doc_.read(i, value, &next) || next > end_) return fail();
      pos_ = next;
      return true;
    }
    bool ok() const { return ok_; }

   private:
    bool fail() {
      ok_ = false;
      return false;
    }
    const Doc& doc_;
    size_t pos_;
    size_t end_;
    bool ok_;
    bool first_ = true;
  };

  // Whether the string value spells `text` once decoded.
  bool string_equals(const Value& v, const char* text) const {
    if (!v.is(Type::kString)) return false;
    const size_t n = std::strlen(text);
    if (!v.escaped) return v.end - v.begin == n && std::memcmp(data_ + v.begin, text, n) == 0;
    std::string decoded;
    decode_string(v, &decoded);
    return decoded == text;
  }

  // The value of the last member named `key` (JSON.parse and Python keep the last one), or a
  // value of type kNone.
  Value member(const Value& object, const char* key) const {
    Value found;
    if (!object.is(Type::kObject)) return found;
    Members it(*this, object);
    Value k, v;
    while (it.next(&k, &v)) {
      if (string_equals(k, key)) found = v;
    }
    return found;
  }

  // Whether the object has a member named `key`.
  bool has_member(const Value& object, const char* key) const {
    return member(object, key).present();
  }

  // Appends the UTF-8 text of a string value to *out (see the contract for escapes).
  void decode_string(const Value& v, std::string* out) const {
    if (!v.escaped) {
      out->append(reinterpret_cast<const char*>(data_ + v.begin), v.end - v.begin);
      return;
    }
    size_t i = v.begin;
    while (i < v.end) {
      const uint8_t c = data_[i];
      if (c != '\\') {
        const uint8_t* stop = static_cast<const uint8_t*>(std::memchr(data_ + i, '\\', v.end - i));
        const size_t until = stop == nullptr ? v.end : static_cast<size_t>(stop - data_);
        out->append(reinterpret_cast<const char*>(data_ + i), until - i);
        i = until;
        continue;
      }
      if (i + 1 >= v.end) break;
      const uint8_t e = data_[i + 1];
      i += 2;
      switch (e) {
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          uint32_t cp;
          if (!hex4(i, v.end, &cp)) return;
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t low;
            if (i + 6 <= v.end && data_[i] == '\\' && data_[i + 1] == 'u' && hex4(i + 2, v.end, &low) &&
                low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              i += 6;
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          append_utf8(cp, out);
          break;
        }
        default: out->push_back(static_cast<char>(e)); break;  // \" \\ \/
      }
    }
  }

  static void append_utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

 private:
  // i is at the opening quote; *end is set to the closing quote.
  bool string_end(size_t i, size_t* end, bool* escaped) const {
    *escaped = false;
    ++i;
    for (;;) {
      const size_t at = quote_or_backslash(i);
      if (at >= len_) return false;
      if (data_[at] == '"') {
        *end = at;
        return true;
      }
      *escaped = true;
      i = at + 2;
      if (i > len_) return false;
    }
  }

  // The first index in [i, len) holding '"' or '\\', or len when there is none. Strings are most
  // of a chat body and every walk over a container skips its strings again, so this looks at 16
  // bytes per step where SSE2 is available (every x86-64); the loads stay inside data[0, len).
  size_t quote_or_backslash(size_t i) const {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    while (i + 16 <= len_) {
      const __m128i chunk = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data_ + i));
      const int hits = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote), _mm_cmpeq_epi8(chunk, backslash)));
      if (hits != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(hits)));
      i += 16;
    }
#endif
    while (i < len_ && data_[i] != '"' && data_[i] != '\\') ++i;
    return i;
  }

  // i is at '{' or '['; *end is set past the matching bracket.
  bool container_end(size_t i, size_t* end) const {
    size_t depth = 0;
    while (i < len_) {
      const uint8_t c = data_[i];
      if (c == '"') {
        size_t close;
        bool escaped;
        if (!string_end(i, &close, &escaped)) return false;
        i = close + 1;
        continue;
      }
      if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) return false;
        if (--depth == 0) {
          *end = i + 1;
          return true;
        }
      }
      ++i;
    }
    return false;
  }

  bool hex4(size_t i, size_t limit, uint32_t* cp) const {
    if (i + 4 > limit) return false;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      const uint8_t c = data_[i + k];
      uint32_t d;
      if (c >= '0' && c <= '9') d = c - '0';
      else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      else return false;
      v = v * 16 + d;
    }
    *cp = v;
    return true;
  }

  const uint8_t* data_;
  size_t len_;
};

}  // namespace ailb::json
