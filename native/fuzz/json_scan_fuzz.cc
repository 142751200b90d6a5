// libFuzzer target for json_scan.h.
//
// Each input is checked three ways:
//   1. invariants of the result (offsets in bounds, spans that hold what their kind says,
//      error offsets that point at the byte their error names);
//   2. a differential check against Reference below: a slow, recursive, allocate-freely
//      validator written from RFC 8259 independently of the scanner (it decodes UTF-8 to code
//      points and decodes keys fully), which must agree on validity and on every field span;
//   3. the same bytes at another alignment give the same result (the scanner uses unaligned
//      vector loads and a scalar tail).
// Any disagreement prints the reason and aborts, so the fuzzer saves the input.

#include "json_scan.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

namespace {

using ailb::FieldSpan;
using ailb::JsonKind;
using ailb::ScanError;
using ailb::ScanResult;

[[noreturn]] void fail(const char* why, long a = 0, long b = 0) {
  std::fprintf(stderr, "json_scan_fuzz: %s (%ld, %ld)\n", why, a, b);
  std::abort();
}

class Reference {
 public:
  Reference(const uint8_t* p, size_t n) : p_(p), n_(n) {}

  // True when the input is one JSON text whose top-level value is an object.
  bool validate() {
    skip_ws();
    if (i_ >= n_ || p_[i_] != '{') return false;
    if (!value(0)) return false;
    skip_ws();
    return i_ == n_;
  }

  FieldSpan fields[ailb::kFieldCount] = {};

 private:
  void skip_ws() {
    while (i_ < n_ && (p_[i_] == ' ' || p_[i_] == '\t' || p_[i_] == '\n' || p_[i_] == '\r')) ++i_;
  }

  bool peek(uint8_t c) const { return i_ < n_ && p_[i_] == c; }

  // `enclosing` is the number of containers around this value.
  bool value(int enclosing) {
    if (i_ >= n_) return false;
    switch (p_[i_]) {
      case '{': return object(enclosing);
      case '[': return array(enclosing);
      case '"': { std::string ignored; return string(&ignored); }
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  bool object(int enclosing) {
    if (enclosing + 1 > ailb::kMaxDepth) return false;
    ++i_;
    skip_ws();
    if (peek('}')) { ++i_; return true; }
    for (;;) {
      skip_ws();
      if (!peek('"')) return false;
      std::string key;
      if (!string(&key)) return false;
      skip_ws();
      if (!peek(':')) return false;
      ++i_;
      skip_ws();
      const size_t start = i_;
      if (!value(enclosing + 1)) return false;
      if (enclosing == 0) record(key, start, i_);
      skip_ws();
      if (peek(',')) { ++i_; continue; }
      if (peek('}')) { ++i_; return true; }
      return false;
    }
  }

  bool array(int enclosing) {
    if (enclosing + 1 > ailb::kMaxDepth) return false;
    ++i_;
    skip_ws();
    if (peek(']')) { ++i_; return true; }
    for (;;) {
      skip_ws();
      if (!value(enclosing + 1)) return false;
      skip_ws();
      if (peek(',')) { ++i_; continue; }
      if (peek(']')) { ++i_; return true; }
      return false;
    }
  }

  void record(const std::string& key, size_t start, size_t end) {
    for (int f = 0; f < ailb::kFieldCount; ++f) {
      if (key != ailb::kScanFieldNames[f]) continue;
      JsonKind kind;
      switch (p_[start]) {
        case '{': kind = JsonKind::Object; break;
        case '[': kind = JsonKind::Array; break;
        case 't': kind = JsonKind::True; break;
        case 'f': kind = JsonKind::False; break;
        case 'n': kind = JsonKind::Null; break;
        case '"': {
          const bool escaped = std::memchr(p_ + start, '\\', end - start) != nullptr;
          kind = escaped ? JsonKind::StringEscaped : JsonKind::String;
          ++start;
          --end;
          break;
        }
        default: kind = JsonKind::Number; break;
      }
      fields[f] = FieldSpan{static_cast<int32_t>(kind), static_cast<int32_t>(start),
                            static_cast<int32_t>(end)};
    }
  }

  bool literal(const char* word) {
    const size_t len = std::strlen(word);
    if (n_ - i_ < len || std::memcmp(p_ + i_, word, len) != 0) return false;
    i_ += len;
    return true;
  }

  bool digits() {
    const size_t from = i_;
    while (i_ < n_ && p_[i_] >= '0' && p_[i_] <= '9') ++i_;
    return i_ > from;
  }

  bool number() {
    if (peek('-')) ++i_;
    if (peek('0')) {
      ++i_;
    } else if (i_ < n_ && p_[i_] >= '1' && p_[i_] <= '9') {
      digits();
    } else {
      return false;
    }
    if (peek('.')) {
      ++i_;
      if (!digits()) return false;
    }
    if (peek('e') || peek('E')) {
      ++i_;
      if (peek('+') || peek('-')) ++i_;
      if (!digits()) return false;
    }
    // A number must end where something else begins; "01" is caught by the caller seeing '1'.
    return true;
  }

  static void append_utf8(std::string* out, uint32_t cp) {
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

  bool hex4(uint32_t* cp) {
    if (n_ - i_ < 4) return false;
    *cp = 0;
    for (int k = 0; k < 4; ++k) {
      const char c = static_cast<char>(p_[i_ + k]);
      const char* digits = "0123456789abcdef";
      const char* at = std::strchr(digits, c >= 'A' && c <= 'F' ? c + 32 : c);
      if (c == 0 || at == nullptr) return false;
      *cp = *cp * 16 + static_cast<uint32_t>(at - digits);
    }
    i_ += 4;
    return true;
  }

  // i_ is past the backslash.
  bool escape(std::string* out) {
    if (i_ >= n_) return false;
    const uint8_t c = p_[i_++];
    switch (c) {
      case '"': case '\\': case '/': out->push_back(static_cast<char>(c)); return true;
      case 'b': out->push_back('\b'); return true;
      case 'f': out->push_back('\f'); return true;
      case 'n': out->push_back('\n'); return true;
      case 'r': out->push_back('\r'); return true;
      case 't': out->push_back('\t'); return true;
      case 'u': break;
      default: return false;
    }
    uint32_t cp;
    if (!hex4(&cp)) return false;
    // Pair a high surrogate with a following low one; a lone surrogate stays as it is
    // (JSON.parse keeps it), encoded here like any other code point.
    if (cp >= 0xD800 && cp <= 0xDBFF && n_ - i_ >= 6 && p_[i_] == '\\' && p_[i_ + 1] == 'u') {
      const size_t save = i_;
      i_ += 2;
      uint32_t low;
      if (hex4(&low) && low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
      } else {
        i_ = save;
      }
    }
    append_utf8(out, cp);
    return true;
  }

  // Decodes one UTF-8 character by computing its code point.
  bool utf8(std::string* out) {
    const uint8_t lead = p_[i_];
    int extra;
    uint32_t cp;
    uint32_t min;
    if ((lead & 0xE0) == 0xC0) { extra = 1; cp = lead & 0x1F; min = 0x80; }
    else if ((lead & 0xF0) == 0xE0) { extra = 2; cp = lead & 0x0F; min = 0x800; }
    else if ((lead & 0xF8) == 0xF0) { extra = 3; cp = lead & 0x07; min = 0x10000; }
    else return false;
    for (int k = 1; k <= extra; ++k) {
      if (i_ + k >= n_ || (p_[i_ + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p_[i_ + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    append_utf8(out, cp);
    i_ += static_cast<size_t>(extra) + 1;
    return true;
  }

  bool string(std::string* out) {
    ++i_;
    for (;;) {
      if (i_ >= n_) return false;
      const uint8_t c = p_[i_];
      if (c == '"') { ++i_; return true; }
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i_;
        if (!escape(out)) return false;
      } else if (c < 0x80) {
        out->push_back(static_cast<char>(c));
        ++i_;
      } else if (!utf8(out)) {
        return false;
      }
    }
  }

  const uint8_t* p_;
  size_t n_;
  size_t i_ = 0;
};

bool is_json_ws(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void check_error_offset(const ScanResult& r, const uint8_t* data, size_t size) {
  const long off = r.error_offset;
  if (off < 0 || static_cast<size_t>(off) > size) fail("error offset out of bounds", off, size);
  for (const FieldSpan& f : r.fields) {
    if (f.kind != 0 || f.start != 0 || f.end != 0) fail("fields not cleared on error");
  }
  const bool at_byte = static_cast<size_t>(off) < size;
  const uint8_t c = at_byte ? data[off] : 0;
  switch (r.error) {
    case ScanError::Empty:
    case ScanError::UnexpectedEnd:
      if (static_cast<size_t>(off) != size) fail("end error not at the end", off, size);
      break;
    case ScanError::NotObject:
      if (!at_byte || c == '{' || is_json_ws(c)) fail("NotObject offset");
      break;
    case ScanError::UnexpectedByte: if (!at_byte) fail("UnexpectedByte offset"); break;
    case ScanError::BadString: if (!at_byte || c >= 0x20) fail("BadString offset"); break;
    case ScanError::BadEscape: if (!at_byte || c != '\\') fail("BadEscape offset"); break;
    case ScanError::BadUtf8: if (!at_byte || c < 0x80) fail("BadUtf8 offset"); break;
    case ScanError::BadNumber: if (!at_byte) fail("BadNumber offset"); break;
    case ScanError::TooDeep: if (!at_byte || (c != '{' && c != '[')) fail("TooDeep offset"); break;
    case ScanError::TrailingData: if (!at_byte || is_json_ws(c)) fail("TrailingData offset"); break;
    default: fail("unexpected error code", static_cast<long>(r.error));
  }
}

void check_field(const FieldSpan& f, const uint8_t* data, size_t size) {
  if (f.kind == 0) {
    if (f.start != 0 || f.end != 0) fail("absent field with a span");
    return;
  }
  if (f.kind < 1 || f.kind > 8) fail("field kind out of range", f.kind);
  if (f.start < 0 || f.start > f.end || static_cast<size_t>(f.end) > size) {
    fail("field span out of bounds", f.start, f.end);
  }
  const uint8_t* s = data + f.start;
  const size_t len = static_cast<size_t>(f.end - f.start);
  auto spells = [&](const char* word) {
    return len == std::strlen(word) && std::memcmp(s, word, len) == 0;
  };
  switch (static_cast<JsonKind>(f.kind)) {
    case JsonKind::String:
    case JsonKind::StringEscaped: {
      if (f.start < 1 || static_cast<size_t>(f.end) >= size) fail("string span without quotes");
      if (data[f.start - 1] != '"' || data[f.end] != '"') fail("string span not inside quotes");
      const bool escaped = std::memchr(s, '\\', len) != nullptr;
      if (escaped != (f.kind == static_cast<int32_t>(JsonKind::StringEscaped))) fail("escape kind");
      break;
    }
    case JsonKind::Number:
      if (len == 0 || (s[0] != '-' && (s[0] < '0' || s[0] > '9'))) fail("number span");
      break;
    case JsonKind::True: if (!spells("true")) fail("true span"); break;
    case JsonKind::False: if (!spells("false")) fail("false span"); break;
    case JsonKind::Null: if (!spells("null")) fail("null span"); break;
    case JsonKind::Object:
      if (len < 2 || s[0] != '{' || s[len - 1] != '}') fail("object span");
      break;
    case JsonKind::Array:
      if (len < 2 || s[0] != '[' || s[len - 1] != ']') fail("array span");
      break;
    default: break;
  }
}

void check_alignment(const ScanResult& r, const uint8_t* data, size_t size) {
  const size_t shift = 1 + size % 15;
  std::unique_ptr<uint8_t[]> moved(new uint8_t[size + shift]);
  std::memcpy(moved.get() + shift, data, size);
  const ScanResult again = ailb::scan_request(moved.get() + shift, size);
  if (std::memcmp(&again, &r, sizeof r) != 0) fail("result depends on alignment", shift);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ScanResult r = ailb::scan_request(data, size);
  if (r.error == ScanError::Ok) {
    if (r.error_offset != 0) fail("error offset set on success");
    for (const FieldSpan& f : r.fields) check_field(f, data, size);
  } else {
    check_error_offset(r, data, size);
  }

  Reference reference(data, size);
  const bool valid = reference.validate();
  if (valid != (r.error == ScanError::Ok)) {
    fail("validity differs from the reference (scanner error, offset)", static_cast<long>(r.error),
         r.error_offset);
  }
  if (valid) {
    for (int f = 0; f < ailb::kFieldCount; ++f) {
      const FieldSpan& want = reference.fields[f];
      const FieldSpan& got = r.fields[f];
      if (want.kind != got.kind || want.start != got.start || want.end != got.end) {
        fail(ailb::kScanFieldNames[f], got.start, want.start);
      }
    }
  }
  check_alignment(r, data, size);
  return 0;
}
