// chat_tokens.h: the prompt token count of an OpenAI chat/completions request, computed from the
// request bytes (no JSON tree), by the formula of LiteLLM's `token_counter(model, messages,
// tools, tool_choice)` (litellm/litellm_core_utils/token_counter.py), itself OpenAI's cookbook
// formula plus LiteLLM's rules for content parts, images and tool definitions.
//
// count_chat_tokens(encoding, body, len) with body a JSON object:
//   total = 3                                   reply priming (<|start|>assistant<|message|>)
//         + for each object in "messages":
//             3                                 tokens_per_message
//             + for each member whose value is not null:
//                 "tool_calls" (array): tokens of str(function.arguments) of each call
//                 "function_call" (object): tokens of str(arguments)
//                 a string: its tokens, + 1 when the key is "name" (tokens_per_name)
//                 "content" (array): each part (below)
//                 anything else: 0
//         + when "tools" (else "functions") is a non-empty array:
//             tokens of LiteLLM's TypeScript-like rendering of the function definitions
//             (_format_function_definitions, reproduced below) + 9, - 4 when a message has
//             role "system"
//         + "tool_choice": "none" → 1; an object → 7 + tokens of function.name
//   Content parts: a string, or {"type":"text"} → tokens of the text; "image_url" → image
//   tokens; "image" (Anthropic) → 85; "file" → tokens of filename + 85 when file_data is
//   set; "document" → title + context + source text/content (85 for other sources);
//   "thinking"/"redacted_thinking" → tokens of thinking; "tool_reference" → tokens of tool_name;
//   "tool_use" → name + str(input); "tool_result" → content (string or parts).
//   Image tokens (LiteLLM's calculate_img_tokens): detail "low" or "auto" (the default) → 85;
//   "high" → 85 + 170 × tiles, where the size is read from a data: URL's PNG, GIF, JPEG or
//   WebP header, and is 300 × 300 (LiteLLM's DEFAULT_IMAGE_WIDTH/HEIGHT) for http(s) URLs and
//   unreadable images; sides both ≤ 768 are kept, otherwise the short side becomes 768 and the
//   long side is capped at 2000, keeping the aspect ratio; tiles are 512 × 512.
//   str(x) is Python's: strings as they are, true/false/null as True/False/None, objects and
//   arrays in Python's repr (non-ASCII characters kept as they are), numbers as written.
//
// Deviations from LiteLLM, each where LiteLLM's Python would need something we do not do:
//   * http(s) image URLs are not fetched: their size is taken as unknown (300 × 300 → 255
//     tokens at detail "high").
//   * Inputs LiteLLM rejects with an exception (unknown content part types, a tool call
//     without "function", an image without url, a bad detail value, a non-object property
//     schema) are counted as 0 (85 for a malformed image) instead of failing the count.
//   * Strings are always counted exactly; recent LiteLLM versions count very long strings in
//     chunks or extrapolate them from samples.
//   * tokens_per_message is always 3 and tokens_per_name 1 (LiteLLM uses 4 and -1 for
//     gpt-3.5-turbo-0301 only).
//   * Numbers in str(x) keep their JSON spelling (Python would print 1e2 as 100.0); Python's
//     repr escapes non-printable non-ASCII characters, which are kept here.
//   * A key that repeats inside a message or a "properties" object is visited at each
//     occurrence (Python keeps only the last value); elsewhere the last one wins, as in Python.
//   * Schemas nested deeper than kMaxSchemaDepth render as "any".
//   * A message's "search_results" list is not counted.
//   * "functions" (the legacy name) is counted like "tools" when "tools" is absent or empty;
//     LiteLLM's token_counter only takes a tools argument.
//   * The encoding is the caller's choice; LiteLLM picks cl100k_base for models tiktoken does
//     not know (see encodingForModel in src/native/tokenizer.ts).
//
// Returns -1 when the body is not a well-formed JSON object (see json_walk.h).

#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "count_cache.h"
#include "json_walk.h"
#include "tokenizer.h"

namespace ailb::chat {

constexpr int kTokensPerMessage = 3;
constexpr int kTokensPerName = 1;
constexpr int kReplyPriming = 3;
constexpr int kFunctionDefinitionTokens = 9;
constexpr int kSystemWithToolsDiscount = 4;
constexpr int kToolChoiceObjectTokens = 7;
constexpr int kImageBaseTokens = 85;
constexpr int kImageTileTokens = 170;
constexpr int64_t kDefaultImageSide = 300;
constexpr int64_t kHighResShortSide = 768;
constexpr int64_t kHighResLongSide = 2000;
constexpr int64_t kTileSide = 512;
constexpr int kMaxSchemaDepth = 32;

namespace detail {

using json::Doc;
using json::Type;
using json::Value;

// ---- images ----

inline int base64_digit(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+' || c == '-') return 62;
  if (c == '/' || c == '_') return 63;
  return -1;
}

// Python's b64decode without validation: characters outside the alphabet are skipped; decoding
// stops at padding.
inline void decode_base64_lenient(const uint8_t* p, size_t n, std::string* out) {
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (p[i] == '=') break;
    const int v = base64_digit(p[i]);
    if (v < 0) continue;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
}

inline uint32_t be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
inline uint32_t le16(const uint8_t* p) { return uint32_t{p[0]} | (uint32_t{p[1]} << 8); }
inline uint32_t le24(const uint8_t* p) { return le16(p) | (uint32_t{p[2]} << 16); }
inline uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
inline uint32_t le32(const uint8_t* p) { return le16(p) | (le16(p + 2) << 16); }

// Width and height from an image's header as LiteLLM's get_image_dimensions reads them; false
// when it cannot (LiteLLM then raises or falls back to the default size).
inline bool image_size(const uint8_t* d, size_t n, int64_t* width, int64_t* height) {
  auto starts = [&](size_t at, const char* text, size_t len) {
    return n >= at + len && std::memcmp(d + at, text, len) == 0;
  };
  if (starts(0, "\x89PNG\r\n\x1a\n", 8)) {
    if (n < 24) return false;
    *width = be32(d + 16);
    *height = be32(d + 20);
    return true;
  }
  if (starts(0, "GIF8", 4) && starts(5, "a", 1)) {
    if (n < 10) return false;
    *width = le16(d + 6);
    *height = le16(d + 8);
    return true;
  }
  if (starts(0, "\xff\xd8\xff", 3)) {
    // LiteLLM's marker walk, seek for seek.
    int64_t pos = 0;
    int64_t size = 2;
    uint32_t type = 0;
    while (!(type >= 0xC0 && type <= 0xCF) || type == 0xC4 || type == 0xC8 || type == 0xCC) {
      pos += size;
      if (pos < 0 || pos >= static_cast<int64_t>(n)) return false;
      uint8_t byte = d[pos++];
      while (byte == 0xFF) {
        if (pos >= static_cast<int64_t>(n)) return false;
        byte = d[pos++];
      }
      type = byte;
      if (pos + 2 > static_cast<int64_t>(n)) return false;
      size = static_cast<int64_t>(be16(d + pos)) - 2;
      pos += 2;
    }
    pos += 1;
    if (pos < 0 || pos + 4 > static_cast<int64_t>(n)) return false;
    *height = be16(d + pos);
    *width = be16(d + pos + 2);
    return true;
  }
  if (starts(4, "ftyp", 4)) return false;  // HEIC: LiteLLM knows the type but not the size
  if (starts(0, "RIFF", 4) && starts(8, "WEBP", 4)) {
    if (starts(12, "VP8X", 4)) {
      if (n < 30) return false;
      *width = static_cast<int64_t>(le24(d + 24)) + 1;
      *height = static_cast<int64_t>(le24(d + 27)) + 1;
      return true;
    }
    if (starts(12, "VP8 ", 4)) {
      if (n < 30) return false;
      *width = le16(d + 26) & 0x3FFF;
      *height = le16(d + 28) & 0x3FFF;
      return true;
    }
    if (starts(12, "VP8L", 4)) {
      if (n < 25) return false;
      const uint32_t bits = le32(d + 21);
      *width = static_cast<int64_t>(bits & 0x3FFF) + 1;
      *height = static_cast<int64_t>((bits >> 14) & 0x3FFF) + 1;
      return true;
    }
  }
  return false;
}

// LiteLLM's resize_image_high_res and calculate_tiles_needed, in the same floating point.
inline int64_t high_detail_tokens(int64_t width, int64_t height) {
  if (width <= 0 || height <= 0) {
    width = kDefaultImageSide;
    height = kDefaultImageSide;
  }
  if (width > kHighResShortSide || height > kHighResShortSide) {
    const double longer = static_cast<double>(width > height ? width : height);
    const double shorter = static_cast<double>(width > height ? height : width);
    const double aspect = longer / shorter;
    if (width <= height) {
      width = kHighResShortSide;
      height = static_cast<int64_t>(static_cast<double>(width) * aspect);
      if (height > kHighResLongSide) {
        height = kHighResLongSide;
        width = static_cast<int64_t>(static_cast<double>(height) / aspect);
      }
    } else {
      height = kHighResShortSide;
      width = static_cast<int64_t>(static_cast<double>(height) * aspect);
      if (width > kHighResLongSide) {
        width = kHighResLongSide;
        height = static_cast<int64_t>(static_cast<double>(width) / aspect);
      }
    }
  }
  const int64_t tiles = ((width + kTileSide - 1) / kTileSide) * ((height + kTileSide - 1) / kTileSide);
  return kImageBaseTokens + kImageTileTokens * tiles;
}

// ---- the counter ----

class Counter {
 public:
  Counter(const bpe::Encoding& encoding, const uint8_t* body, size_t len)
      : encoding_(encoding), doc_(body, len) {}

  int64_t run() {
    Value root;
    size_t next;
    if (!doc_.read(0, &root, &next) || !root.is(Type::kObject)) return -1;
    if (doc_.skip_space(next) != doc_.size()) return -1;
    // One pass over the top level; a repeated key keeps its last value.
    Value messages, tools, functions, choice;
    {
      json::Doc::Members it(doc_, root);
      Value key, value;
      while (it.next(&key, &value)) {
        if (doc_.string_equals(key, "messages")) messages = value;
        else if (doc_.string_equals(key, "tools")) tools = value;
        else if (doc_.string_equals(key, "functions")) functions = value;
        else if (doc_.string_equals(key, "tool_choice")) choice = value;
      }
      if (!it.ok()) return -1;
    }
    int64_t total = kReplyPriming;
    bool has_system = false;
    if (messages.is(Type::kArray)) {
      json::Doc::Elements it(doc_, messages);
      Value message;
      while (it.next(&message)) {
        if (!message.is(Type::kObject)) continue;
        total += count_message(message, &has_system);
      }
      if (!it.ok()) return -1;
    }
    if (!non_empty(tools, Type::kArray)) tools = functions;
    if (non_empty(tools, Type::kArray)) {
      std::string text;
      format_function_definitions(tools, &text);
      total += count(text) + kFunctionDefinitionTokens;
      if (has_system) total -= kSystemWithToolsDiscount;
    }
    if (doc_.string_equals(choice, "none")) {
      total += 1;
    } else if (choice.is(Type::kObject)) {
      total += kToolChoiceObjectTokens;
      const Value name = doc_.member(doc_.member(choice, "function"), "name");
      if (name.present()) total += count_str(name);
    }
    return total;
  }

 private:
  int64_t count(const std::string& text) {
    return static_cast<int64_t>(
        bpe::count_text(encoding_, reinterpret_cast<const uint8_t*>(text.data()), text.size()));
  }

  // Tokens of a string value, decoding escapes only when there are some. Message-sized strings
  // go through this thread's exact count cache (count_cache.h): conversations resend them.
  int64_t count_string(const Value& v) {
    if (!v.escaped) return count_cached(doc_.data() + v.begin, v.end - v.begin);
    scratch_.clear();
    doc_.decode_string(v, &scratch_);
    return count_cached(reinterpret_cast<const uint8_t*>(scratch_.data()), scratch_.size());
  }

  int64_t count_cached(const uint8_t* data, size_t len) {
    if (!tokens::CountCache::cacheable(len)) return static_cast<int64_t>(bpe::count_text(encoding_, data, len));
    tokens::CountCache& cache = tokens::CountCache::local();
    const uint64_t hash = tokens::CountCache::hash(data, len);
    const int64_t cached = cache.find(&encoding_, data, len, hash);
    if (cached >= 0) return cached;
    const int64_t counted = static_cast<int64_t>(bpe::count_text(encoding_, data, len));
    cache.store(&encoding_, data, len, hash, counted);
    return counted;
  }

  // Tokens of Python's str(value).
  int64_t count_str(const Value& v) {
    if (v.is(Type::kString)) return count_string(v);
    std::string text;
    append_str(v, &text);
    return count(text);
  }

  bool non_empty(const Value& v, Type type) const {
    return v.is(type) && doc_.skip_space(v.begin + 1) + 1 < v.end;
  }

  // Python truthiness of a JSON value.
  bool truthy(const Value& v) const {
    switch (v.type) {
      case Type::kString: return v.end > v.begin;
      case Type::kObject:
      case Type::kArray: return doc_.skip_space(v.begin + 1) + 1 < v.end;
      case Type::kTrue: return true;
      case Type::kNumber: {
        // Zero when every digit of the mantissa is 0.
        for (size_t i = v.begin; i < v.end; ++i) {
          const uint8_t c = doc_.data()[i];
          if (c == 'e' || c == 'E') break;
          if (c >= '1' && c <= '9') return true;
        }
        return false;
      }
      default: return false;
    }
  }

  // Python's str(value) (see the contract for numbers).
  void append_str(const Value& v, std::string* out) const {
    if (v.is(Type::kString)) {
      doc_.decode_string(v, out);
    } else {
      append_repr(v, out, 0);
    }
  }

  // Python's repr(value) of the value json.loads would give.
  void append_repr(const Value& v, std::string* out, int depth) const {
    switch (v.type) {
      case Type::kString: {
        std::string text;
        doc_.decode_string(v, &text);
        const bool has_single = text.find('\'') != std::string::npos;
        const bool has_double = text.find('"') != std::string::npos;
        const char quote = has_single && !has_double ? '"' : '\'';
        out->push_back(quote);
        for (unsigned char c : text) {
          if (c == '\\') {
            out->append("\\\\");
          } else if (c == static_cast<unsigned char>(quote)) {
            out->push_back('\\');
            out->push_back(quote);
          } else if (c == '\n') {
            out->append("\\n");
          } else if (c == '\r') {
            out->append("\\r");
          } else if (c == '\t') {
            out->append("\\t");
          } else if (c < 0x20 || c == 0x7F) {
            static const char* hex = "0123456789abcdef";
            out->append("\\x");
            out->push_back(hex[c >> 4]);
            out->push_back(hex[c & 15]);
          } else {
            out->push_back(static_cast<char>(c));
          }
        }
        out->push_back(quote);
        return;
      }
      case Type::kTrue: out->append("True"); return;
      case Type::kFalse: out->append("False"); return;
      case Type::kNull: out->append("None"); return;
      case Type::kNumber: append_number(v, out); return;
      case Type::kArray: {
        if (depth >= kMaxSchemaDepth) {
          out->append("[...]");
          return;
        }
        out->push_back('[');
        json::Doc::Elements it(doc_, v);
        Value item;
        bool first = true;
        while (it.next(&item)) {
          if (!first) out->append(", ");
          first = false;
          append_repr(item, out, depth + 1);
        }
        out->push_back(']');
        return;
      }
      case Type::kObject: {
        if (depth >= kMaxSchemaDepth) {
          out->append("{...}");
          return;
        }
        out->push_back('{');
        json::Doc::Members it(doc_, v);
        Value key, item;
        bool first = true;
        while (it.next(&key, &item)) {
          if (!first) out->append(", ");
          first = false;
          append_repr(key, out, depth + 1);
          out->append(": ");
          append_repr(item, out, depth + 1);
        }
        out->push_back('}');
        return;
      }
      default: return;
    }
  }

  // An integer as Python prints int (so -0 is 0); any other number as written.
  void append_number(const Value& v, std::string* out) const {
    const char* p = reinterpret_cast<const char*>(doc_.data() + v.begin);
    const size_t n = v.end - v.begin;
    bool integer = true;
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == '.' || p[i] == 'e' || p[i] == 'E') integer = false;
    }
    if (integer && n == 2 && p[0] == '-' && p[1] == '0') {
      out->push_back('0');
      return;
    }
    out->append(p, n);
  }

  // ---- messages ----

  int64_t count_message(const Value& message, bool* has_system) {
    int64_t total = kTokensPerMessage;
    json::Doc::Members it(doc_, message);
    Value key, value;
    while (it.next(&key, &value)) {
      if (value.is(Type::kNull)) continue;
      if (doc_.string_equals(key, "role") && doc_.string_equals(value, "system")) *has_system = true;
      if (doc_.string_equals(key, "tool_calls")) {
        json::Doc::Elements calls(doc_, value);
        Value call;
        while (calls.next(&call)) total += count_arguments(doc_.member(call, "function"));
      } else if (doc_.string_equals(key, "function_call")) {
        total += count_arguments(value);
      } else if (value.is(Type::kString)) {
        total += count_string(value);
        if (doc_.string_equals(key, "name")) total += kTokensPerName;
      } else if (value.is(Type::kArray) && doc_.string_equals(key, "content")) {
        total += count_parts(value, 0);
      }
    }
    return total;
  }

  // str(function.get("arguments", "")) of a tool call's function object.
  int64_t count_arguments(const Value& function) {
    if (!function.is(Type::kObject)) return 0;
    const Value arguments = doc_.member(function, "arguments");
    return arguments.present() ? count_str(arguments) : 0;
  }

  int64_t count_parts(const Value& parts, int depth) {
    if (depth >= kMaxSchemaDepth) return 0;
    int64_t total = 0;
    json::Doc::Elements it(doc_, parts);
    Value part;
    while (it.next(&part)) {
      if (part.is(Type::kString)) {
        total += count_string(part);
        continue;
      }
      if (!part.is(Type::kObject)) continue;
      const Value type = doc_.member(part, "type");
      if (doc_.string_equals(type, "text")) {
        total += count_member_str(part, "text");
      } else if (doc_.string_equals(type, "image_url")) {
        total += image_url_tokens(doc_.member(part, "image_url"));
      } else if (doc_.string_equals(type, "image")) {
        total += kImageBaseTokens;
      } else if (doc_.string_equals(type, "document")) {
        total += document_tokens(part, depth);
      } else if (doc_.string_equals(type, "file")) {
        const Value file = doc_.member(part, "file");
        if (file.is(Type::kObject)) {
          const Value filename = doc_.member(file, "filename");
          if (filename.is(Type::kString)) total += count_string(filename);
          const Value data = doc_.member(file, "file_data");
          if (data.is(Type::kString) && data.end > data.begin) total += kImageBaseTokens;
        }
      } else if (doc_.string_equals(type, "thinking") || doc_.string_equals(type, "redacted_thinking")) {
        total += count_member_str(part, "thinking");
      } else if (doc_.string_equals(type, "tool_reference")) {
        const Value name = doc_.member(part, "tool_name");
        if (truthy(name)) total += count_str(name);
      } else if (doc_.string_equals(type, "tool_use")) {
        const Value name = doc_.member(part, "name");
        if (name.is(Type::kString)) total += count_string(name);
        const Value input = doc_.member(part, "input");
        if (input.is(Type::kString)) total += count_string(input);
        else if (input.is(Type::kObject)) total += count_str(input);
      } else if (doc_.string_equals(type, "tool_result")) {
        const Value content = doc_.member(part, "content");
        if (content.is(Type::kString)) total += count_string(content);
        else if (content.is(Type::kArray)) total += count_parts(content, depth + 1);
      }
    }
    return total;
  }

  // str(part.get(key, "")): absent counts nothing, null counts "None".
  int64_t count_member_str(const Value& object, const char* key) {
    const Value v = doc_.member(object, key);
    return v.present() ? count_str(v) : 0;
  }

  int64_t document_tokens(const Value& part, int depth) {
    int64_t total = 0;
    for (const char* key : {"title", "context"}) {
      const Value v = doc_.member(part, key);
      if (v.is(Type::kString) && v.end > v.begin) total += count_string(v);
    }
    const Value source = doc_.member(part, "source");
    const Value type = doc_.member(source, "type");
    if (doc_.string_equals(type, "text")) {
      const Value data = doc_.member(source, "data");
      if (data.is(Type::kString)) total += count_string(data);
    } else if (doc_.string_equals(type, "content")) {
      const Value content = doc_.member(source, "content");
      if (content.is(Type::kString)) total += count_string(content);
      else if (content.is(Type::kArray)) total += count_parts(content, depth + 1);
    } else {
      total += kImageBaseTokens;
    }
    return total;
  }

  int64_t image_url_tokens(const Value& image_url) {
    if (!image_url.is(Type::kObject)) return kImageBaseTokens;
    const Value detail = doc_.member(image_url, "detail");
    if (!doc_.string_equals(detail, "high")) return kImageBaseTokens;
    const Value url = doc_.member(image_url, "url");
    if (!url.is(Type::kString)) return kImageBaseTokens;
    std::string text;
    doc_.decode_string(url, &text);
    int64_t width = kDefaultImageSide;
    int64_t height = kDefaultImageSide;
    const bool remote = text.compare(0, 7, "http://") == 0 || text.compare(0, 8, "https://") == 0;
    const size_t comma = text.find(',');
    if (!remote && comma != std::string::npos) {
      std::string image;
      decode_base64_lenient(reinterpret_cast<const uint8_t*>(text.data()) + comma + 1,
                            text.size() - comma - 1, &image);
      int64_t w, h;
      if (image_size(reinterpret_cast<const uint8_t*>(image.data()), image.size(), &w, &h)) {
        width = w;
        height = h;
      }
    }
    return high_detail_tokens(width, height);
  }

  // ---- function definitions (LiteLLM's _format_function_definitions) ----

 public:
  // The text LiteLLM counts for a non-empty "tools" array (public for the unit tests).
  void format_function_definitions(const Value& tools, std::string* out) {
    out->append("namespace functions {\n\n");
    json::Doc::Elements it(doc_, tools);
    Value tool;
    while (it.next(&tool)) {
      if (!tool.is(Type::kObject)) continue;
      const Value function = doc_.member(tool, "function");
      if (function.is(Type::kObject)) {
        format_function(doc_.member(function, "name"), doc_.member(function, "description"),
                        doc_.member(function, "parameters"), out);
        continue;
      }
      Value declarations = doc_.member(tool, "function_declarations");
      if (!truthy(declarations)) declarations = doc_.member(tool, "functionDeclarations");
      if (declarations.is(Type::kArray)) {
        json::Doc::Elements decls(doc_, declarations);
        Value d;
        while (decls.next(&d)) {
          if (!d.is(Type::kObject)) continue;
          format_function(doc_.member(d, "name"), doc_.member(d, "description"),
                          doc_.member(d, "parameters"), out);
        }
        continue;
      }
      Value parameters = doc_.member(tool, "input_schema");
      if (!truthy(parameters)) parameters = doc_.member(tool, "parameters");
      format_function(doc_.member(tool, "name"), doc_.member(tool, "description"), parameters, out);
    }
    out->append("} // namespace functions");
  }

 private:

  // Appends the lines of _format_single_function_definition, each followed by "\n".
  void format_function(const Value& name, const Value& description, const Value& parameters,
                       std::string* out) {
    if (!truthy(name)) return;
    if (truthy(description)) {
      out->append("// ");
      append_str(description, out);
      out->push_back('\n');
    }
    const Schema schema = schema_of(parameters);
    out->append("type ");
    append_str(name, out);
    if (non_empty(schema.properties, Type::kObject)) {
      out->append(" = (_: {\n");
      format_object_parameters(schema, 0, 0, out);
      out->append("\n}) => any;\n\n");
    } else {
      out->append(" = () => any;\n\n");
    }
  }

  // The members of a JSON schema object the rendering reads, found in one pass (a repeated key
  // keeps its last value).
  struct Schema {
    Value type, values, items, description, properties, required;
  };

  Schema schema_of(const Value& object) const {
    Schema schema;
    json::Doc::Members it(doc_, object);
    Value key, value;
    while (it.next(&key, &value)) {
      if (doc_.string_equals(key, "type")) schema.type = value;
      else if (doc_.string_equals(key, "enum")) schema.values = value;
      else if (doc_.string_equals(key, "items")) schema.items = value;
      else if (doc_.string_equals(key, "description")) schema.description = value;
      else if (doc_.string_equals(key, "properties")) schema.properties = value;
      else if (doc_.string_equals(key, "required")) schema.required = value;
    }
    return schema;
  }

  // Python's `name in required` for a list (of strings), a string or a dict.
  class Required {
   public:
    Required(const Doc& doc, const Value& required) {
      std::string text;
      if (required.is(Type::kString)) {
        is_text_ = true;
        doc.decode_string(required, &text_);
      } else if (required.is(Type::kArray)) {
        json::Doc::Elements it(doc, required);
        Value item;
        while (it.next(&item)) {
          if (!item.is(Type::kString)) continue;
          text.clear();
          doc.decode_string(item, &text);
          names_.push_back(text);
        }
      } else if (required.is(Type::kObject)) {
        json::Doc::Members it(doc, required);
        Value key, ignored;
        while (it.next(&key, &ignored)) {
          text.clear();
          doc.decode_string(key, &text);
          names_.push_back(text);
        }
      }
      std::sort(names_.begin(), names_.end());
    }
    bool contains(const std::string& name) const {
      if (is_text_) return text_.find(name) != std::string::npos;
      return std::binary_search(names_.begin(), names_.end(), name);
    }

   private:
    bool is_text_ = false;
    std::string text_;
    std::vector<std::string> names_;
  };

  static void indent_line(int indent, std::string* out) { out->append(static_cast<size_t>(indent), ' '); }

  // _format_object_parameters: the property lines, joined by "\n", each indented.
  void format_object_parameters(const Schema& parameters, int indent, int depth, std::string* out) {
    if (!parameters.properties.is(Type::kObject) || !truthy(parameters.properties)) return;
    const bool any_required = truthy(parameters.required);
    const Required required(doc_, any_required ? parameters.required : Value());
    json::Doc::Members it(doc_, parameters.properties);
    Value key, props;
    bool first = true;
    std::string name;
    while (it.next(&key, &props)) {
      const Schema schema = schema_of(props);
      if (truthy(schema.description)) {
        if (!first) out->push_back('\n');
        first = false;
        indent_line(indent, out);
        out->append("// ");
        append_str(schema.description, out);
      }
      if (!first) out->push_back('\n');
      first = false;
      indent_line(indent, out);
      name.clear();
      doc_.decode_string(key, &name);
      out->append(name);
      if (!(any_required && required.contains(name))) out->push_back('?');
      out->append(": ");
      format_type(schema, indent, depth, out);
      out->push_back(',');
    }
  }

  // " | ".join(f'"{item}"' for item in enum)
  void format_enum(const Value& values, std::string* out) {
    bool first = true;
    auto item = [&](const Value& v) {
      if (!first) out->append(" | ");
      first = false;
      out->push_back('"');
      append_str(v, out);
      out->push_back('"');
    };
    Value v;
    if (values.is(Type::kArray)) {
      json::Doc::Elements it(doc_, values);
      while (it.next(&v)) item(v);
    } else if (values.is(Type::kObject)) {
      json::Doc::Members it(doc_, values);
      Value ignored;
      while (it.next(&v, &ignored)) item(v);
    } else if (values.is(Type::kString)) {
      // Iterating a Python str yields its characters.
      std::string text;
      doc_.decode_string(values, &text);
      size_t i = 0;
      while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        const size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        if (!first) out->append(" | ");
        first = false;
        out->push_back('"');
        out->append(text, i, n);
        out->push_back('"');
        i += n;
      }
    }
  }

  void format_type(const Schema& props, int indent, int depth, std::string* out) {
    const Value& type = props.type;
    if (depth >= kMaxSchemaDepth) {
      out->append("any");
    } else if (doc_.string_equals(type, "string")) {
      if (props.values.present()) format_enum(props.values, out);
      else out->append("string");
    } else if (doc_.string_equals(type, "array")) {
      format_type(schema_of(props.items), indent, depth + 1, out);
      out->append("[]");
    } else if (doc_.string_equals(type, "object")) {
      out->append("{\n");
      format_object_parameters(props, indent + 2, depth + 1, out);
      out->append("\n}");
    } else if (doc_.string_equals(type, "integer") || doc_.string_equals(type, "number")) {
      if (props.values.present()) format_enum(props.values, out);
      else out->append("number");
    } else if (doc_.string_equals(type, "boolean")) {
      out->append("boolean");
    } else if (doc_.string_equals(type, "null")) {
      out->append("null");
    } else {
      out->append("any");
    }
  }

  const bpe::Encoding& encoding_;
  Doc doc_;
  std::string scratch_;
};

}  // namespace detail

// See the contract at the top of this file.
inline int64_t count_chat_tokens(const bpe::Encoding& encoding, const uint8_t* body, size_t len) {
  if (body == nullptr || len == 0) return -1;
  return detail::Counter(encoding, body, len).run();
}

}  // namespace ailb::chat
