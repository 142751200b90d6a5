// libFuzzer target for sse_usage.h.
//
// Input layout: byte 0 picks the options (bit 0 Anthropic, bit 1 strip usage events, bit 2
// collect text, bits 3-4 max_event_bytes of 4 / 64 / 1024 / 8 MiB, bits 5-6 max_text_bytes of
// 3 / 16 / 256 / 16 MiB); bytes 1-2 seed the chunk splits; the rest is the stream.
//
// The stream is scanned three ways, which must give identical results, equal to Reference
// below:
//   1. in one piece;
//   2. in two pieces, cut at a point the seed picks;
//   3. in many pieces of 1 to 16 bytes (sizes from the seed);
// Reference is a slow whole-input model written independently of the scanner: it splits the
// stream into lines and blocks at once, parses each event's data into a tree with a recursive
// JSON parser (RFC 8259, allocating freely), and reads the documented paths from the tree. It
// also states the stripping contract directly: the output is the input minus the blocks of
// usage-only events. Each chunk is copied into a heap block of exactly its length, so ASan
// catches any read outside the chunk. Any disagreement prints the reason and aborts.

#include "sse_usage.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using ailb::SseFormat;
using ailb::SseOptions;

[[noreturn]] void fail(const char* why, const std::string& a = "", const std::string& b = "") {
  std::fprintf(stderr, "sse_usage_fuzz: %s\n  got:  %s\n  want: %s\n", why, a.c_str(), b.c_str());
  std::abort();
}

struct Result {
  ailb::SseStats stats;
  bool has_usage = false;
  int64_t usage[ailb::kSseUsageFieldCount];
  std::string model;
  std::string finish;
  std::string error_type;
  std::string text;
  std::string output;

  Result() {
    for (int64_t& value : usage) value = -1;
  }

  std::string describe() const {
    char line[400];
    std::snprintf(line, sizeof line,
                  "in=%llu ev=%llu bad=%llu big=%llu err=%llu use=%llu strip=%llu/%llu "
                  "at=[%lld,%lld) done=%d mid=%d trunc=%d usage=%d[%lld %lld %lld %lld %lld %lld] "
                  "model=%zu finish=%zu error=%zu text=%zu out=%zu",
                  (unsigned long long)stats.bytes_in, (unsigned long long)stats.events,
                  (unsigned long long)stats.malformed_events,
                  (unsigned long long)stats.oversized_events,
                  (unsigned long long)stats.error_events, (unsigned long long)stats.usage_events,
                  (unsigned long long)stats.stripped_events,
                  (unsigned long long)stats.stripped_bytes, (long long)stats.usage_event_start,
                  (long long)stats.usage_event_end, stats.done, stats.ended_mid_event,
                  stats.text_truncated, has_usage, (long long)usage[0], (long long)usage[1],
                  (long long)usage[2], (long long)usage[3], (long long)usage[4],
                  (long long)usage[5], model.size(), finish.size(), error_type.size(),
                  text.size(), output.size());
    return line;
  }
};

void expect_same(const Result& got, const Result& want, const char* what) {
  const ailb::SseStats& a = got.stats;
  const ailb::SseStats& b = want.stats;
  const bool same =
      a.bytes_in == b.bytes_in && a.events == b.events &&
      a.malformed_events == b.malformed_events && a.oversized_events == b.oversized_events &&
      a.error_events == b.error_events && a.usage_events == b.usage_events &&
      a.stripped_events == b.stripped_events && a.stripped_bytes == b.stripped_bytes &&
      a.usage_event_start == b.usage_event_start && a.usage_event_end == b.usage_event_end &&
      a.done == b.done && a.ended_mid_event == b.ended_mid_event &&
      a.text_truncated == b.text_truncated && got.has_usage == want.has_usage &&
      std::memcmp(got.usage, want.usage, sizeof got.usage) == 0 && got.model == want.model &&
      got.finish == want.finish && got.error_type == want.error_type && got.text == want.text &&
      got.output == want.output;
  if (!same) fail(what, got.describe(), want.describe());
}

// ---- the scanner, fed in pieces ----

Result scan(const uint8_t* data, size_t n, const SseOptions& options,
            const std::vector<size_t>& cuts) {
  ailb::SseUsageScanner scanner(options);
  Result r;
  size_t start = 0;
  auto take = [&](const ailb::SseOutput& out, const uint8_t* chunk) {
    std::string bytes(out.size(), '\0');
    out.copy_to(chunk, reinterpret_cast<uint8_t*>(&bytes[0]));
    r.output += bytes;
  };
  for (size_t k = 0; k <= cuts.size(); ++k) {
    const size_t end = k < cuts.size() ? cuts[k] : n;
    const size_t length = end - start;
    std::unique_ptr<uint8_t[]> chunk(new uint8_t[length]);
    if (length != 0) std::memcpy(chunk.get(), data + start, length);
    take(scanner.feed(chunk.get(), length), chunk.get());
    const size_t bound = 2 * options.max_event_bytes + 2 * options.max_text_bytes + 65536;
    if (scanner.buffered_bytes() > bound) fail("memory bound", std::to_string(scanner.buffered_bytes()));
    start = end;
  }
  take(scanner.end(), nullptr);
  r.stats = scanner.stats();
  r.has_usage = scanner.has_usage();
  std::memcpy(r.usage, scanner.usage(), sizeof r.usage);
  r.model = scanner.model();
  r.finish = scanner.finish_reason();
  r.error_type = scanner.error_type();
  r.text.assign(scanner.output_text().begin(), scanner.output_text().end());
  return r;
}

// ---- the reference ----

struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  std::string text;  // String: decoded bytes; Number: the token
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;  // in document order, duplicates kept
};

class Parser {
 public:
  Parser(const std::string& s) : s_(s) {}

  bool parse_object_text(Json* out) {
    ws();
    if (i_ >= s_.size() || s_[i_] != '{') return false;
    if (!value(out, 0)) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  bool value(Json* out, int depth) {
    if (i_ >= s_.size()) return false;
    const char c = s_[i_];
    if (c == '{' || c == '[') {
      if (depth + 1 > ailb::kSseMaxDepth) return false;
      ++i_;
      ws();
      const char close = c == '{' ? '}' : ']';
      out->kind = c == '{' ? Json::Object : Json::Array;
      if (i_ < s_.size() && s_[i_] == close) {
        ++i_;
        return true;
      }
      for (;;) {
        ws();
        if (c == '{') {
          std::string key;
          if (i_ >= s_.size() || s_[i_] != '"' || !string(&key)) return false;
          ws();
          if (i_ >= s_.size() || s_[i_] != ':') return false;
          ++i_;
          ws();
          Json member;
          if (!value(&member, depth + 1)) return false;
          out->members.emplace_back(std::move(key), std::move(member));
        } else {
          Json item;
          if (!value(&item, depth + 1)) return false;
          out->items.push_back(std::move(item));
        }
        ws();
        if (i_ >= s_.size()) return false;
        if (s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (s_[i_] != close) return false;
        ++i_;
        return true;
      }
    }
    if (c == '"') {
      out->kind = Json::String;
      return string(&out->text);
    }
    for (const char* word : {"true", "false", "null"}) {
      const size_t length = std::strlen(word);
      if (s_.compare(i_, length, word) == 0) {
        i_ += length;
        out->kind = word[0] == 'n' ? Json::Null : Json::Bool;
        return true;
      }
    }
    return number(out);
  }

  bool digits() {
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }

  bool number(Json* out) {
    const size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else if (!digits()) {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      if (!digits()) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) return false;
    }
    out->kind = Json::Number;
    out->text = s_.substr(start, i_ - start);
    return true;
  }

  static void put_utf8(uint32_t cp, std::string* out) {
    if (cp < 0x80) {
      *out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      *out += static_cast<char>(0xC0 | (cp >> 6));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      *out += static_cast<char>(0xE0 | (cp >> 12));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      *out += static_cast<char>(0xF0 | (cp >> 18));
      *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Decodes a string: raw bytes stay; escaped UTF-16 units pair up when a high one is
  // directly followed by a low one, any other surrogate becomes U+FFFD.
  bool string(std::string* out) {
    ++i_;  // the opening quote
    struct Unit {
      bool escaped;
      uint32_t value;
    };
    std::vector<Unit> units;
    for (;;) {
      if (i_ >= s_.size()) return false;
      const unsigned char c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        break;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        units.push_back({false, c});
        ++i_;
        continue;
      }
      if (i_ + 1 >= s_.size()) return false;
      const char e = s_[i_ + 1];
      const char* simple = "\"\\/bfnrt";
      const char* decoded = "\"\\/\b\f\n\r\t";
      const char* hit = e == '\0' ? nullptr : std::strchr(simple, e);
      if (hit != nullptr) {
        units.push_back({false, static_cast<unsigned char>(decoded[hit - simple])});
        i_ += 2;
        continue;
      }
      if (e != 'u' || i_ + 6 > s_.size()) return false;
      uint32_t v = 0;
      for (size_t k = i_ + 2; k < i_ + 6; ++k) {
        const char h = s_[k];
        int d;
        if (h >= '0' && h <= '9') {
          d = h - '0';
        } else if (h >= 'a' && h <= 'f') {
          d = h - 'a' + 10;
        } else if (h >= 'A' && h <= 'F') {
          d = h - 'A' + 10;
        } else {
          return false;
        }
        v = v * 16 + static_cast<uint32_t>(d);
      }
      units.push_back({true, v});
      i_ += 6;
    }
    for (size_t k = 0; k < units.size(); ++k) {
      if (!units[k].escaped) {
        *out += static_cast<char>(units[k].value);
        continue;
      }
      const uint32_t v = units[k].value;
      if (v >= 0xD800 && v <= 0xDBFF && k + 1 < units.size() && units[k + 1].escaped &&
          units[k + 1].value >= 0xDC00 && units[k + 1].value <= 0xDFFF) {
        put_utf8(0x10000 + ((v - 0xD800) << 10) + (units[k + 1].value - 0xDC00), out);
        ++k;
      } else if (v >= 0xD800 && v <= 0xDFFF) {
        put_utf8(0xFFFD, out);
      } else {
        put_utf8(v, out);
      }
    }
    return true;
  }

  const std::string& s_;
  size_t i_ = 0;
};

int64_t integer(const Json& v) {
  if (v.kind != Json::Number || v.text.empty() || v.text.size() > 16) return -1;
  int64_t n = 0;
  for (char c : v.text) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n <= (int64_t{1} << 53) - 1 ? n : -1;
}

std::string cut_info(const std::string& s) {
  if (s.size() <= ailb::kSseMaxInfoBytes) return s;
  size_t length = ailb::kSseMaxInfoBytes;
  while (length > 0 && (static_cast<unsigned char>(s[length]) & 0xC0) == 0x80) --length;
  return s.substr(0, length);
}

// What one valid event says.
struct Facts {
  bool usage_object = false;
  int64_t usage[ailb::kSseUsageFieldCount];
  bool error = false;
  size_t choices = 0;
  bool model = false, finish = false, type = false, error_type = false;
  std::string model_text, finish_text, type_text, error_type_text;
  std::vector<std::string> pieces;

  Facts() {
    for (int64_t& value : usage) value = -1;
  }
};

void read_error(const Json& v, Facts* f) {
  if (v.kind == Json::Null) return;
  f->error = true;
  if (v.kind != Json::Object) return;
  for (const auto& [k, m] : v.members) {
    if (k == "type" && m.kind == Json::String) {
      f->error_type = true;
      f->error_type_text = m.text;
    }
  }
}

void text_of(const Json& v, Facts* f) {
  if (v.kind == Json::String) f->pieces.push_back(v.text);
}

void read_function(const Json& v, Facts* f) {
  if (v.kind != Json::Object) return;
  for (const auto& [k, m] : v.members) {
    if (k == "name" || k == "arguments") text_of(m, f);
  }
}

void read_openai(const Json& root, Facts* f) {
  for (const auto& [key, v] : root.members) {
    if (key == "model" && v.kind == Json::String) {
      f->model = true;
      f->model_text = v.text;
    } else if (key == "usage" && v.kind == Json::Object) {
      f->usage_object = true;
      for (int64_t& value : f->usage) value = -1;
      for (const auto& [k, m] : v.members) {
        if (k == "prompt_tokens") f->usage[ailb::kSseInputTokens] = integer(m);
        if (k == "completion_tokens") f->usage[ailb::kSseOutputTokens] = integer(m);
        if (k == "total_tokens") f->usage[ailb::kSseTotalTokens] = integer(m);
        if (k == "prompt_tokens_details" && m.kind == Json::Object) {
          for (const auto& [k2, m2] : m.members) {
            if (k2 == "cached_tokens") f->usage[ailb::kSseCacheReadTokens] = integer(m2);
          }
        }
        if (k == "completion_tokens_details" && m.kind == Json::Object) {
          for (const auto& [k2, m2] : m.members) {
            if (k2 == "reasoning_tokens") f->usage[ailb::kSseReasoningTokens] = integer(m2);
          }
        }
      }
    } else if (key == "choices" && v.kind == Json::Array) {
      f->choices += v.items.size();
      for (const Json& choice : v.items) {
        if (choice.kind != Json::Object) continue;
        for (const auto& [k, m] : choice.members) {
          if (k == "text") text_of(m, f);
          if (k == "finish_reason" && m.kind == Json::String) {
            f->finish = true;
            f->finish_text = m.text;
          }
          if (k != "delta" || m.kind != Json::Object) continue;
          for (const auto& [k2, d] : m.members) {
            if (k2 == "content" || k2 == "reasoning_content" || k2 == "refusal") text_of(d, f);
            if (k2 == "function_call") read_function(d, f);
            if (k2 == "tool_calls" && d.kind == Json::Array) {
              for (const Json& call : d.items) {
                if (call.kind != Json::Object) continue;
                for (const auto& [k3, c] : call.members) {
                  if (k3 == "function") read_function(c, f);
                }
              }
            }
          }
        }
      }
    } else if (key == "error") {
      read_error(v, f);
    }
  }
}

void read_anthropic_usage(const Json& v, Facts* f) {
  if (v.kind != Json::Object) return;
  f->usage_object = true;
  for (const auto& [k, m] : v.members) {
    if (k == "input_tokens") f->usage[ailb::kSseInputTokens] = integer(m);
    if (k == "output_tokens") f->usage[ailb::kSseOutputTokens] = integer(m);
    if (k == "cache_read_input_tokens") f->usage[ailb::kSseCacheReadTokens] = integer(m);
    if (k == "cache_creation_input_tokens") f->usage[ailb::kSseCacheCreationTokens] = integer(m);
  }
}

void read_anthropic(const Json& root, Facts* f) {
  for (const auto& [key, v] : root.members) {
    if (key == "type" && v.kind == Json::String) {
      f->type = true;
      f->type_text = v.text;
    } else if (key == "message" && v.kind == Json::Object) {
      for (const auto& [k, m] : v.members) {
        if (k == "model" && m.kind == Json::String) {
          f->model = true;
          f->model_text = m.text;
        }
        if (k == "usage") read_anthropic_usage(m, f);
      }
    } else if (key == "usage") {
      read_anthropic_usage(v, f);
    } else if (key == "delta" && v.kind == Json::Object) {
      for (const auto& [k, m] : v.members) {
        if (k == "text" || k == "partial_json" || k == "thinking") text_of(m, f);
        if (k == "stop_reason" && m.kind == Json::String) {
          f->finish = true;
          f->finish_text = m.text;
        }
      }
    } else if (key == "content_block" && v.kind == Json::Object) {
      for (const auto& [k, m] : v.members) {
        if (k == "name") text_of(m, f);
      }
    } else if (key == "error") {
      read_error(v, f);
    }
  }
}

class Reference {
 public:
  Reference(const std::string& input, const SseOptions& options)
      : in_(input), o_(options) {
    if (o_.format != SseFormat::OpenAI) o_.strip_usage_events = false;
  }

  Result run() {
    r_.stats.bytes_in = in_.size();
    size_t i = 0;
    while (i < in_.size()) {
      size_t eol = i;
      while (eol < in_.size() && in_[eol] != '\r' && in_[eol] != '\n') ++eol;
      if (eol == in_.size()) break;  // the unterminated last line
      size_t next = eol + 1;
      if (in_[eol] == '\r' && next < in_.size() && in_[next] == '\n') ++next;
      line(i, eol, next);
      i = next;
    }
    if (block_start_ < in_.size()) {
      r_.stats.ended_mid_event = true;
      if (i < in_.size()) line(i, in_.size(), in_.size());
      dispatch(in_.size(), in_.size());
    }
    return r_;
  }

 private:
  void line(size_t start, size_t content_end, size_t end) {
    size_t content = start;
    if (start == 0 && in_.compare(0, 3, "\xEF\xBB\xBF") == 0 && content_end >= 3) content = 3;
    if (content == content_end) {
      dispatch(start, end);
      return;
    }
    const std::string text = in_.substr(content, content_end - content);
    if (text[0] == ':') return;
    const size_t colon = text.find(':');
    const std::string name = colon == std::string::npos ? text : text.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : text.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (name == "data") {
      data_.push_back(value);
    } else if (name == "event") {
      event_ = value.substr(0, 64);
    }
  }

  void dispatch(size_t blank_start, size_t end) {
    bool strippable = false;
    bool had_usage = false;
    if (!data_.empty()) {
      ++r_.stats.events;
      std::string joined;
      for (size_t k = 0; k < data_.size(); ++k) joined += (k ? "\n" : "") + data_[k];
      if (blank_start - block_start_ > std::max<size_t>(o_.max_event_bytes, 1)) {
        ++r_.stats.oversized_events;
      } else {
        strippable = interpret(joined, &had_usage);
      }
    }
    if (had_usage) {
      r_.stats.usage_event_start = static_cast<int64_t>(block_start_);
      r_.stats.usage_event_end = static_cast<int64_t>(end);
    }
    if (o_.strip_usage_events && strippable) {
      ++r_.stats.stripped_events;
      r_.stats.stripped_bytes += end - block_start_;
    } else {
      r_.output += in_.substr(block_start_, end - block_start_);
    }
    data_.clear();
    event_.clear();
    block_start_ = end;
  }

  bool interpret(const std::string& data, bool* had_usage) {
    size_t first = data.find_first_not_of(" \t\r\n");
    size_t last = data.find_last_not_of(" \t\r\n");
    if (first != std::string::npos && data.substr(first, last - first + 1) == "[DONE]") {
      r_.stats.done = true;
      return false;
    }
    Json root;
    Parser parser(data);
    if (!parser.parse_object_text(&root)) {
      ++r_.stats.malformed_events;
      return false;
    }
    const bool anthropic = o_.format == SseFormat::Anthropic;
    Facts f;
    if (anthropic) {
      read_anthropic(root, &f);
    } else {
      read_openai(root, &f);
    }
    if (o_.collect_text) {
      for (const std::string& piece : f.pieces) {
        if (r_.stats.text_truncated) break;
        if (r_.text.size() + piece.size() > o_.max_text_bytes) {
          r_.stats.text_truncated = true;
          break;
        }
        r_.text += piece;
      }
    }
    if (f.model) r_.model = cut_info(f.model_text);
    if (f.finish) r_.finish = cut_info(f.finish_text);
    const std::string type = f.type ? cut_info(f.type_text) : anthropic ? event_ : "";
    if (f.error || (anthropic && type == "error")) {
      ++r_.stats.error_events;
      if (f.error_type) r_.error_type = cut_info(f.error_type_text);
    }
    if (anthropic && type == "message_stop") r_.stats.done = true;
    if (f.usage_object) {
      *had_usage = true;
      ++r_.stats.usage_events;
      r_.has_usage = true;
      for (int k = 0; k < ailb::kSseUsageFieldCount; ++k) {
        if (!anthropic || f.usage[k] >= 0) r_.usage[k] = f.usage[k];
      }
    }
    return !anthropic && f.usage_object && f.choices == 0 && !f.error;
  }

  const std::string& in_;
  SseOptions o_;
  Result r_;
  size_t block_start_ = 0;
  std::vector<std::string> data_;
  std::string event_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t config = data[0];
  const uint32_t seed = static_cast<uint32_t>(data[1]) << 8 | data[2];
  data += 3;
  size -= 3;
  static const size_t kEventBounds[] = {4, 64, 1024, ailb::kSseDefaultMaxEventBytes};
  static const size_t kTextBounds[] = {3, 16, 256, ailb::kSseDefaultMaxTextBytes};
  SseOptions options;
  options.format = (config & 1) ? SseFormat::Anthropic : SseFormat::OpenAI;
  options.strip_usage_events = (config & 2) != 0;
  options.collect_text = (config & 4) != 0;
  options.max_event_bytes = kEventBounds[(config >> 3) & 3];
  options.max_text_bytes = kTextBounds[(config >> 5) & 3];

  const std::string input(reinterpret_cast<const char*>(data), size);
  const Result want = Reference(input, options).run();
  expect_same(scan(data, size, options, {}), want, "one piece differs from the reference");
  expect_same(scan(data, size, options, {size == 0 ? 0 : seed % (size + 1)}), want,
              "two pieces differ from the reference");
  std::vector<size_t> cuts;
  uint32_t state = seed * 2654435761u + 1;
  for (size_t at = 0;;) {
    state = state * 1664525u + 1013904223u;
    at += 1 + (state >> 24) % 16;
    if (at >= size) break;
    cuts.push_back(at);
  }
  expect_same(scan(data, size, options, cuts), want, "many pieces differ from the reference");
  return 0;
}
