// sse_usage.h: incremental scanner of an LLM provider's Server-Sent Events response. The
// gateway relays the stream chunk by chunk and feeds every chunk here, so that when the stream
// ends it knows the usage the provider reported, or the output text to count itself.
//
// Contract of SseUsageScanner (one per stream; not thread-safe, but instances share nothing)
//   * Framing follows the event stream rules of the HTML Living Standard (server-sent events):
//     - lines end with CRLF, LF or CR, also when a CRLF is split across chunks;
//     - a U+FEFF (EF BB BF) at the very start of the stream is ignored;
//     - a line starting with ':' is a comment; "name:value" drops one space after the colon;
//       a line without a colon is a field with an empty value; only `data` and `event` are
//       used (`id`, `retry` and unknown fields are ignored);
//     - the `data` lines of an event are joined with "\n"; an empty line dispatches the event,
//       which counts (stats().events) only when it had at least one `data` line.
//   * A "block" is the bytes of one event: its lines up to and including the empty line that
//     ends it. Chunk boundaries may fall anywhere, inside a line, a JSON string, an escape or a
//     UTF-8 sequence: every result is the same however the stream is split.
//   * The data of an event is interpreted once, when the event is dispatched:
//     - "[DONE]" (JSON whitespace around it allowed) marks the end (stats().done);
//     - otherwise it must be one JSON object per RFC 8259 (at most kSseMaxDepth open
//       containers); raw bytes >= 0x80 in strings are not checked, as a client decoding with
//       replacement accepts them. Anything else counts as malformed and changes nothing else;
//     - the fields read are listed at SseFormat. A usage field is an integer in
//       [0, 2^53 - 1]; any other value leaves it absent (-1).
//   * Bounded memory: a block longer than max_event_bytes before its final empty line is not
//     interpreted (stats().oversized_events when it had data) and is never stripped. Of the
//     current event the scanner keeps at most max_event_bytes (twice that when stripping, which
//     also holds the raw bytes), plus the output text, which stops growing
//     (stats().text_truncated) rather than exceed max_text_bytes.
//   * Feeding is O(chunk): each byte is looked at a bounded number of times; only the
//     unfinished part of the current event is kept between chunks.
//   * Stripping (strip_usage_events, OpenAI only): the blocks of usage-only events (a non-null
//     `usage` object, no element in `choices`, no `error`) are removed from the bytes to
//     forward. feed() then forwards the bytes of complete blocks only; an unfinished block is
//     held (at most max_event_bytes, after which it is released and passes through) until its
//     empty line or end(). The concatenation of all outputs equals the input minus exactly the
//     stripped blocks. Without stripping every chunk is forwarded whole.
//   * end() dispatches an unfinished last event as if an empty line followed (a provider that
//     closes without the final empty line still has its usage read) and sets
//     stats().ended_mid_event. Nothing may be fed after end().
//   * No exceptions; allocation failure terminates, as everywhere with -fno-exceptions.

#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// SSE2 is part of the x86-64 baseline. Other targets, or a build defining
// AILB_SSE_USAGE_SCALAR (used to test the fallback), take the scalar loops.
#if defined(__SSE2__) && !defined(AILB_SSE_USAGE_SCALAR)
#define AILB_SSE_USAGE_SSE2 1
#include <emmintrin.h>
#endif

namespace ailb {

// The provider wire format, and the JSON paths read from each event's data.
//   OpenAI (chat.completion.chunk and legacy text_completion streams):
//     model                                        -> model()
//     usage{prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details.cached_tokens,
//           completion_tokens_details.reasoning_tokens}
//                                                  -> usage(); the last non-null usage object
//                                                     replaces the previous one whole
//     choices[].finish_reason                      -> finish_reason() (last non-null string)
//     choices[].text, choices[].delta.{content, reasoning_content, refusal},
//     choices[].delta.tool_calls[].function.{name, arguments},
//     choices[].delta.function_call.{name, arguments}   -> output text
//     error (non-null), error.type                 -> error events, error_type()
//   Anthropic (Messages stream):
//     type "message_stop" (or the `event:` name when the data has no type) -> done
//     type "error", or a non-null error            -> error events; error.type -> error_type()
//     message.model                                -> model()
//     message.usage / usage {input_tokens, output_tokens, cache_read_input_tokens,
//           cache_creation_input_tokens}           -> usage(); each field present replaces the
//                                                     previous value (output_tokens is
//                                                     cumulative in message_delta)
//     delta.stop_reason                            -> finish_reason()
//     delta.{text, partial_json, thinking}, content_block.name -> output text
enum class SseFormat : int32_t { OpenAI = 0, Anthropic = 1 };

// Slots of usage(). The order is part of the N-API layout (src/native/sse.ts).
enum SseUsageField : int32_t {
  kSseInputTokens = 0,      // OpenAI prompt_tokens (includes cached); Anthropic input_tokens
  kSseOutputTokens,         // completion_tokens; output_tokens
  kSseTotalTokens,          // total_tokens; Anthropic has none
  kSseCacheReadTokens,      // prompt_tokens_details.cached_tokens; cache_read_input_tokens
  kSseCacheCreationTokens,  // OpenAI has none; cache_creation_input_tokens
  kSseReasoningTokens,      // completion_tokens_details.reasoning_tokens; Anthropic has none
  kSseUsageFieldCount,
};

inline constexpr size_t kSseDefaultMaxEventBytes = size_t{8} << 20;
inline constexpr size_t kSseDefaultMaxTextBytes = size_t{16} << 20;
inline constexpr int kSseMaxDepth = 512;
// model(), finish_reason() and error_type() keep at most this many bytes (cut at a UTF-8
// character boundary).
inline constexpr size_t kSseMaxInfoBytes = 256;

struct SseOptions {
  SseFormat format = SseFormat::OpenAI;
  bool strip_usage_events = false;  // OpenAI only; see the contract above
  bool collect_text = false;        // decode delta text into output_text()
  size_t max_event_bytes = kSseDefaultMaxEventBytes;
  size_t max_text_bytes = kSseDefaultMaxTextBytes;
};

struct SseStats {
  uint64_t bytes_in = 0;          // bytes fed so far
  uint64_t events = 0;            // dispatched events (with data), [DONE] and malformed included
  uint64_t malformed_events = 0;  // data neither "[DONE]" nor a JSON object
  uint64_t oversized_events = 0;  // events not interpreted because of max_event_bytes
  uint64_t error_events = 0;      // provider error events
  uint64_t usage_events = 0;      // events that carried a usage object
  uint64_t stripped_events = 0;
  uint64_t stripped_bytes = 0;
  // Stream offsets [start, end) of the block of the last event that carried usage, or -1.
  int64_t usage_event_start = -1;
  int64_t usage_event_end = -1;
  bool done = false;             // "[DONE]" or Anthropic message_stop seen
  bool ended_mid_event = false;  // end() found an unfinished event
  bool text_truncated = false;   // output text reached max_text_bytes
};

struct SseRange {
  size_t start;
  size_t end;
};

// The bytes to forward for one feed() or end(): `prefix` (held bytes of an event begun in
// earlier chunks) followed by `ranges` of the chunk just fed, in order. Valid until the next
// call on the scanner.
struct SseOutput {
  const uint8_t* prefix = nullptr;
  size_t prefix_len = 0;
  const SseRange* ranges = nullptr;
  size_t range_count = 0;

  size_t size() const noexcept {
    size_t total = prefix_len;
    for (size_t r = 0; r < range_count; ++r) total += ranges[r].end - ranges[r].start;
    return total;
  }

  // True when the output is chunk[0, *length): no prefix and one range from 0, or nothing.
  bool is_chunk_prefix(size_t* length) const noexcept {
    if (prefix_len != 0 || range_count > 1) return false;
    if (range_count == 1 && ranges[0].start != 0) return false;
    *length = range_count == 1 ? ranges[0].end : 0;
    return true;
  }

  // Writes the size() output bytes to dst; chunk is the chunk given to feed().
  void copy_to(const uint8_t* chunk, uint8_t* dst) const noexcept {
    if (prefix_len != 0) {
      std::memcpy(dst, prefix, prefix_len);
      dst += prefix_len;
    }
    for (size_t r = 0; r < range_count; ++r) {
      const size_t length = ranges[r].end - ranges[r].start;
      std::memcpy(dst, chunk + ranges[r].start, length);
      dst += length;
    }
  }
};

namespace sse_detail {

inline bool is_json_ws(uint8_t c) noexcept {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}
inline bool is_digit(uint8_t c) noexcept { return static_cast<uint8_t>(c - '0') < 10; }

inline int hex_value(uint8_t c) noexcept {
  if (is_digit(c)) return c - '0';
  const uint8_t lower = c | 0x20;
  if (lower >= 'a' && lower <= 'f') return lower - 'a' + 10;
  return -1;
}

// Index of the first CR or LF in p[0, n), or n.
inline size_t find_eol(const uint8_t* p, size_t n) noexcept {
  size_t i = 0;
#if defined(AILB_SSE_USAGE_SSE2)
  const __m128i lf = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  for (; n - i >= 16; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    const uint32_t mask = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr))));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
  }
#endif
  for (; i < n; ++i) {
    if (p[i] == '\n' || p[i] == '\r') return i;
  }
  return n;
}

// First index >= i whose byte is '"', '\\' or a control byte (< 0x20), or n.
inline size_t skip_plain_string_bytes(const uint8_t* p, size_t i, size_t n) noexcept {
#if defined(AILB_SSE_USAGE_SSE2)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i max_control = _mm_set1_epi8(0x1F);
  while (n - i >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    // max_epu8(v, 0x1F) == 0x1F exactly for the unsigned bytes <= 0x1F.
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(v, max_control), max_control);
    const __m128i hit = _mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                           _mm_cmpeq_epi8(v, backslash)));
    const uint32_t mask = static_cast<uint32_t>(_mm_movemask_epi8(hit));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i < n && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\') ++i;
  return i;
}

inline void append_utf8(uint32_t cp, std::vector<uint8_t>* out) {
  uint8_t bytes[4];
  size_t length;
  if (cp < 0x80) {
    bytes[0] = static_cast<uint8_t>(cp);
    length = 1;
  } else if (cp < 0x800) {
    bytes[0] = static_cast<uint8_t>(0xC0 | (cp >> 6));
    bytes[1] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    length = 2;
  } else if (cp < 0x10000) {
    bytes[0] = static_cast<uint8_t>(0xE0 | (cp >> 12));
    bytes[1] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    bytes[2] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    length = 3;
  } else {
    bytes[0] = static_cast<uint8_t>(0xF0 | (cp >> 18));
    bytes[1] = static_cast<uint8_t>(0x80 | ((cp >> 12) & 0x3F));
    bytes[2] = static_cast<uint8_t>(0x80 | ((cp >> 6) & 0x3F));
    bytes[3] = static_cast<uint8_t>(0x80 | (cp & 0x3F));
    length = 4;
  }
  out->insert(out->end(), bytes, bytes + length);
}

inline uint32_t hex4(const uint8_t* s) noexcept {
  return static_cast<uint32_t>((hex_value(s[0]) << 12) | (hex_value(s[1]) << 8) |
                               (hex_value(s[2]) << 4) | hex_value(s[3]));
}

// Appends the decoded text of the already validated JSON string body s[0, n) to out. A
// \uD800-\uDBFF escape followed by a \uDC00-\uDFFF escape is one character; any other
// surrogate escape becomes U+FFFD, as Buffer.from(JSON.parse(...)) writes it.
inline void append_unescaped(const uint8_t* s, size_t n, std::vector<uint8_t>* out) {
  size_t i = 0;
  while (i < n) {
    const uint8_t* backslash =
        static_cast<const uint8_t*>(std::memchr(s + i, '\\', n - i));
    const size_t run_end = backslash == nullptr ? n : static_cast<size_t>(backslash - s);
    out->insert(out->end(), s + i, s + run_end);
    if (run_end == n) return;
    i = run_end;
    const uint8_t kind = s[i + 1];
    if (kind != 'u') {
      uint8_t c = kind;  // '"', '\\' and '/' stand for themselves
      switch (kind) {
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        default: break;
      }
      out->push_back(c);
      i += 2;
      continue;
    }
    uint32_t cp = hex4(s + i + 2);
    i += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u') {
        const uint32_t low = hex4(s + i + 2);
        if (low >= 0xDC00 && low <= 0xDFFF) {
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        } else {
          cp = 0xFFFD;
        }
      } else {
        cp = 0xFFFD;
      }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    append_utf8(cp, out);
  }
}

// Where a JSON value sits relative to the paths the scanner reads (see SseFormat). kSkip marks
// a subtree that is only validated.
enum Node : uint8_t {
  kSkip = 0,
  kRoot,
  // String leaves.
  kModel,
  kFinish,
  kText,
  kType,
  kErrorType,
  // Number leaves, in SseUsageField order.
  kUsageInput,
  kUsageOutput,
  kUsageTotal,
  kUsageCacheRead,
  kUsageCacheCreation,
  kUsageReasoning,
  // Containers.
  kError,
  kOaUsage,
  kOaPromptDetails,
  kOaCompletionDetails,
  kOaChoices,
  kOaChoice,
  kOaDelta,
  kOaToolCalls,
  kOaToolCall,
  kOaFunction,
  kAnMessage,
  kAnUsage,
  kAnDelta,
  kAnContentBlock,
};

template <size_t N>
inline bool key_is(const uint8_t* key, size_t len, const char (&name)[N]) noexcept {
  return len == N - 1 && std::memcmp(key, name, N - 1) == 0;
}

// The node of the value of `key` in an object at `parent`.
inline Node child_node(SseFormat format, Node parent, const uint8_t* k, size_t n) noexcept {
  switch (parent) {
    case kRoot:
      if (format == SseFormat::OpenAI) {
        if (key_is(k, n, "choices")) return kOaChoices;
        if (key_is(k, n, "usage")) return kOaUsage;
        if (key_is(k, n, "model")) return kModel;
        if (key_is(k, n, "error")) return kError;
      } else {
        if (key_is(k, n, "type")) return kType;
        if (key_is(k, n, "delta")) return kAnDelta;
        if (key_is(k, n, "usage")) return kAnUsage;
        if (key_is(k, n, "message")) return kAnMessage;
        if (key_is(k, n, "content_block")) return kAnContentBlock;
        if (key_is(k, n, "error")) return kError;
      }
      return kSkip;
    case kOaChoice:
      if (key_is(k, n, "delta")) return kOaDelta;
      if (key_is(k, n, "text")) return kText;
      if (key_is(k, n, "finish_reason")) return kFinish;
      return kSkip;
    case kOaDelta:
      if (key_is(k, n, "content") || key_is(k, n, "reasoning_content") ||
          key_is(k, n, "refusal")) {
        return kText;
      }
      if (key_is(k, n, "tool_calls")) return kOaToolCalls;
      if (key_is(k, n, "function_call")) return kOaFunction;
      return kSkip;
    case kOaToolCall:
      return key_is(k, n, "function") ? kOaFunction : kSkip;
    case kOaFunction:
      return key_is(k, n, "arguments") || key_is(k, n, "name") ? kText : kSkip;
    case kOaUsage:
      if (key_is(k, n, "prompt_tokens")) return kUsageInput;
      if (key_is(k, n, "completion_tokens")) return kUsageOutput;
      if (key_is(k, n, "total_tokens")) return kUsageTotal;
      if (key_is(k, n, "prompt_tokens_details")) return kOaPromptDetails;
      if (key_is(k, n, "completion_tokens_details")) return kOaCompletionDetails;
      return kSkip;
    case kOaPromptDetails:
      return key_is(k, n, "cached_tokens") ? kUsageCacheRead : kSkip;
    case kOaCompletionDetails:
      return key_is(k, n, "reasoning_tokens") ? kUsageReasoning : kSkip;
    case kError:
      return key_is(k, n, "type") ? kErrorType : kSkip;
    case kAnMessage:
      if (key_is(k, n, "usage")) return kAnUsage;
      if (key_is(k, n, "model")) return kModel;
      return kSkip;
    case kAnUsage:
      if (key_is(k, n, "input_tokens")) return kUsageInput;
      if (key_is(k, n, "output_tokens")) return kUsageOutput;
      if (key_is(k, n, "cache_read_input_tokens")) return kUsageCacheRead;
      if (key_is(k, n, "cache_creation_input_tokens")) return kUsageCacheCreation;
      return kSkip;
    case kAnDelta:
      if (key_is(k, n, "text") || key_is(k, n, "partial_json") || key_is(k, n, "thinking")) {
        return kText;
      }
      if (key_is(k, n, "stop_reason")) return kFinish;
      return kSkip;
    case kAnContentBlock:
      return key_is(k, n, "name") ? kText : kSkip;
    default:
      return kSkip;
  }
}

// A JSON string body p[start, end) (between the quotes) and whether it holds escapes.
struct StringSpan {
  const uint8_t* p = nullptr;
  size_t length = 0;
  bool escaped = false;
  bool present = false;
};

// What one event's data says, committed only when the whole data is valid.
struct EventFacts {
  int64_t usage[kSseUsageFieldCount];
  bool usage_object = false;  // a usage object was seen
  bool error = false;         // a non-null `error` was seen
  uint32_t choice_count = 0;  // elements of top-level `choices` arrays (OpenAI)
  StringSpan model;
  StringSpan finish;
  StringSpan type;
  StringSpan error_type;

  EventFacts() noexcept {
    for (int64_t& value : usage) value = -1;
  }
};

// Value of a JSON number token if it is an integer in [0, 2^53 - 1], else -1.
inline int64_t usage_value(const uint8_t* s, size_t n) noexcept {
  if (n == 0 || n > 16) return -1;
  int64_t value = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!is_digit(s[i])) return -1;
    value = value * 10 + (s[i] - '0');
  }
  return value <= (int64_t{1} << 53) - 1 ? value : -1;
}

// Decodes a string span into out, cut to at most `cap` bytes at a UTF-8 character boundary.
inline void decode_info(const StringSpan& span, size_t cap, std::string* out) {
  std::vector<uint8_t> decoded;
  const uint8_t* bytes = span.p;
  size_t length = span.length;
  if (span.escaped) {
    append_unescaped(span.p, span.length, &decoded);
    bytes = decoded.data();
    length = decoded.size();
  }
  if (length > cap) {
    length = cap;
    while (length > 0 && (bytes[length] & 0xC0) == 0x80) --length;
  }
  out->assign(reinterpret_cast<const char*>(bytes), length);
}

}  // namespace sse_detail

class SseUsageScanner {
 public:
  explicit SseUsageScanner(const SseOptions& options) : options_(options) {
    if (options_.format != SseFormat::OpenAI) options_.strip_usage_events = false;
    if (options_.max_event_bytes == 0) options_.max_event_bytes = 1;
    for (int64_t& value : usage_) value = -1;
  }

  SseUsageScanner(const SseUsageScanner&) = delete;
  SseUsageScanner& operator=(const SseUsageScanner&) = delete;

  // Scans p[0, n) and says which bytes to forward (see SseOutput). p may be null when n is 0.
  const SseOutput& feed(const uint8_t* p, size_t n) {
    begin_output();
    if (ended_ || n == 0) return finish_output();
    chunk_ = p;
    chunk_base_ = stats_.bytes_in;
    chunk_len_ = n;
    size_t i = 0;
    if (skip_lf_) {
      // The previous chunk ended with a CR; an LF here completes that line terminator.
      skip_lf_ = false;
      if (p[0] == '\n') {
        i = 1;
        if (lf_ends_block_) {
          ++block_start_;
          if (last_block_stripped_) {
            ++stats_.stripped_bytes;
          } else {
            keep(0, 1);
          }
          if (last_block_had_usage_) ++stats_.usage_event_end;
        }
      }
      lf_ends_block_ = false;
    }
    while (i < n) {
      const size_t eol = i + sse_detail::find_eol(p + i, n - i);
      if (eol == n) {
        append_partial_line(p + i, n - i);
        break;
      }
      size_t next = eol + 1;
      bool cr_at_end = false;
      if (p[eol] == '\r') {
        if (next < n) {
          if (p[next] == '\n') ++next;
        } else {
          cr_at_end = true;
        }
      }
      complete_line(p + i, eol - i, chunk_base_ + i - line_len_, chunk_base_ + next);
      if (cr_at_end) {
        skip_lf_ = true;
        lf_ends_block_ = block_start_ == chunk_base_ + next;  // the line dispatched its event
      }
      i = next;
    }
    end_chunk();
    return finish_output();
  }

  // Ends the stream: dispatches an unfinished event and releases held bytes (see the contract).
  const SseOutput& end() {
    begin_output();
    if (ended_) return finish_output();
    ended_ = true;
    chunk_ = nullptr;
    chunk_base_ = stats_.bytes_in;
    chunk_len_ = 0;
    skip_lf_ = false;
    if (block_start_ < stats_.bytes_in) {
      stats_.ended_mid_event = true;
      if (line_len_ > 0) {
        complete_line(nullptr, 0, stats_.bytes_in - line_len_, stats_.bytes_in);
      }
      dispatch(stats_.bytes_in, stats_.bytes_in);
    }
    return finish_output();
  }

  bool ended() const noexcept { return ended_; }
  const SseStats& stats() const noexcept { return stats_; }
  bool has_usage() const noexcept { return has_usage_; }
  // Usage slots (SseUsageField); -1 where absent.
  const int64_t* usage() const noexcept { return usage_; }
  const std::string& model() const noexcept { return model_; }
  const std::string& finish_reason() const noexcept { return finish_reason_; }
  // error.type of the last error event that had one.
  const std::string& error_type() const noexcept { return error_type_; }
  const std::vector<uint8_t>& output_text() const noexcept { return text_; }
  // Empties the output text (the caller took it): max_text_bytes counts afresh and text is
  // collected again; stats().text_truncated stays set if text was ever dropped.
  void clear_output_text() {
    if (text_.capacity() > kKeepCapacity) {
      std::vector<uint8_t>().swap(text_);
    } else {
      text_.clear();
    }
    text_full_ = false;
  }

  // Heap bytes held by the scanner's buffers (capacity), for tests of the memory bound.
  size_t buffered_bytes() const noexcept {
    return line_.capacity() + data_.capacity() + held_.capacity() + out_prefix_.capacity() +
           ranges_.capacity() * sizeof(SseRange) + text_.capacity();
  }

 private:
  // The first bytes of a line, enough to tell its field once the rest is no longer kept:
  // a BOM (3) plus "event:" (6), rounded up.
  static constexpr size_t kLinePrefix = 24;
  // Buffers larger than this are freed rather than kept for the next event.
  static constexpr size_t kKeepCapacity = 64 * 1024;

  void begin_output() {
    ranges_.clear();
    reset_buffer(&out_prefix_);
    output_ = SseOutput{};
  }

  const SseOutput& finish_output() {
    if (!options_.strip_usage_events) {
      ranges_.clear();
      if (chunk_len_ != 0 && !ended_) ranges_.push_back(SseRange{0, chunk_len_});
    }
    output_.prefix = out_prefix_.empty() ? nullptr : out_prefix_.data();
    output_.prefix_len = out_prefix_.size();
    output_.ranges = ranges_.empty() ? nullptr : ranges_.data();
    output_.range_count = ranges_.size();
    chunk_len_ = 0;
    chunk_ = nullptr;
    return output_;
  }

  // Forwards chunk[start, end).
  void keep(size_t start, size_t end) {
    if (start >= end) return;
    if (!ranges_.empty() && ranges_.back().end == start) {
      ranges_.back().end = end;
    } else {
      ranges_.push_back(SseRange{start, end});
    }
  }

  // Forwards the stream bytes [start, end) that lie in the current chunk.
  void keep_stream(uint64_t start, uint64_t end) {
    if (start < chunk_base_) start = chunk_base_;
    if (end <= start) return;
    keep(static_cast<size_t>(start - chunk_base_), static_cast<size_t>(end - chunk_base_));
  }

  // Forwards the held bytes of the current block (they precede anything else of this chunk).
  void release_held() {
    if (held_.empty()) return;
    out_prefix_.swap(held_);
    held_.clear();
  }

  // Appends p[0, n) to a buffer of the current event, which never holds more than
  // max_event_bytes: its capacity doubles as usual but stops at that bound.
  void append_bounded(std::vector<uint8_t>* buffer, const uint8_t* p, size_t n) {
    const size_t need = buffer->size() + n;
    if (need > buffer->capacity()) {
      buffer->reserve(std::max(need, std::min(buffer->capacity() * 2, options_.max_event_bytes)));
    }
    buffer->insert(buffer->end(), p, p + n);
  }

  static void reset_buffer(std::vector<uint8_t>* buffer) {
    if (buffer->capacity() > kKeepCapacity) {
      std::vector<uint8_t>().swap(*buffer);
    } else {
      buffer->clear();
    }
  }

  void mark_oversized() {
    block_oversized_ = true;
    span_active_ = false;
    reset_buffer(&data_);
    // Only a prefix of the unfinished line is kept from now on (its capacity is freed when
    // the line ends: complete_line may be reading it).
    if (line_.size() > kLinePrefix) line_.resize(kLinePrefix);
  }

  void check_block_size(uint64_t end) {
    if (!block_oversized_ && end - block_start_ > options_.max_event_bytes) mark_oversized();
  }

  void append_partial_line(const uint8_t* p, size_t n) {
    check_block_size(chunk_base_ + chunk_len_);
    if (!block_oversized_) {
      append_bounded(&line_, p, n);
    } else {
      if (line_.capacity() > kKeepCapacity) line_.shrink_to_fit();
      if (line_.size() < kLinePrefix) {
        line_.insert(line_.end(), p, p + std::min(n, kLinePrefix - line_.size()));
      }
    }
    line_len_ += n;
  }

  // A line ends. Its bytes are line_len_ earlier ones (in line_, only a prefix of them when
  // the block is oversized) followed by tail[0, tail_len). The line starts at stream offset
  // `start`; its terminator ends at `end`.
  void complete_line(const uint8_t* tail, size_t tail_len, uint64_t start, uint64_t end) {
    const size_t stored = line_len_;
    const size_t length = stored + tail_len;
    line_len_ = 0;
    size_t skip = 0;
    if (at_stream_start_) {
      at_stream_start_ = false;
      if (length >= 3) {
        uint8_t first[3];
        for (size_t k = 0; k < 3; ++k) first[k] = k < stored ? line_[k] : tail[k - stored];
        if (first[0] == 0xEF && first[1] == 0xBB && first[2] == 0xBF) skip = 3;
      }
    }
    if (length == skip) {
      line_.clear();
      dispatch(start, end);
      return;
    }
    check_block_size(end);
    const uint8_t* line = tail;
    size_t available = length;  // bytes of the line readable at `line`
    if (stored != 0) {
      if (!block_oversized_) {
        append_bounded(&line_, tail, tail_len);
      } else if (line_.size() < kLinePrefix) {
        line_.insert(line_.end(), tail, tail + std::min(tail_len, kLinePrefix - line_.size()));
      }
      line = line_.data();
      available = line_.size();
    }
    field(line + skip, length - skip, available - skip, stored == 0);
    if (line_.capacity() > kKeepCapacity) {
      std::vector<uint8_t>().swap(line_);
    } else {
      line_.clear();
    }
  }

  // One non-empty line: `available` of its `length` bytes are readable at `line` (all of them
  // unless the block is oversized). in_chunk: `line` points into the current chunk.
  void field(const uint8_t* line, size_t length, size_t available, bool in_chunk) {
    if (line[0] == ':') return;  // comment
    // Only `data` and `event` matter, so the name is looked for in the first 6 bytes.
    const size_t look = std::min<size_t>(available, 6);
    const void* colon_at = std::memchr(line, ':', look);
    size_t name_length;
    size_t value_start;
    if (colon_at != nullptr) {
      name_length = static_cast<size_t>(static_cast<const uint8_t*>(colon_at) - line);
      value_start = name_length + 1;
      if (value_start < length && value_start < available && line[value_start] == ' ') {
        ++value_start;
      }
    } else if (length <= 5) {
      name_length = length;
      value_start = length;
    } else {
      return;  // a field name longer than "event"
    }
    if (name_length == 4 && std::memcmp(line, "data", 4) == 0) {
      ++data_lines_;
      if (block_oversized_) return;
      const uint8_t* value = line + value_start;
      const size_t value_length = length - value_start;
      if (data_lines_ == 1 && in_chunk) {
        // The common case, one data line inside one chunk: read it in place at dispatch.
        span_ = value;
        span_length_ = value_length;
        span_active_ = true;
        return;
      }
      if (data_lines_ == 1) {
        // The first data line, kept in line_ because it crossed chunks: take line_'s buffer
        // rather than copy it (data_ is empty).
        const size_t offset = static_cast<size_t>(value - line_.data());
        data_.swap(line_);
        data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(offset));
        return;
      }
      if (span_active_) {
        data_.clear();
        append_bounded(&data_, span_, span_length_);
        span_active_ = false;
      }
      const uint8_t separator = '\n';
      append_bounded(&data_, &separator, 1);
      append_bounded(&data_, value, value_length);
    } else if (name_length == 5 && std::memcmp(line, "event", 5) == 0 && !block_oversized_) {
      const size_t value_length = std::min<size_t>(length - value_start, 64);
      event_name_.assign(reinterpret_cast<const char*>(line + value_start), value_length);
    }
  }

  // The chunk is done: keep what the next chunk needs, hold or release the unfinished block.
  void end_chunk() {
    if (span_active_) {
      data_.clear();
      append_bounded(&data_, span_, span_length_);
      span_active_ = false;
    }
    const uint64_t end = chunk_base_ + chunk_len_;
    if (block_start_ < end) {
      check_block_size(end);
      if (options_.strip_usage_events) {
        if (block_oversized_ && !block_released_) {
          block_released_ = true;
          release_held();
        }
        const size_t start =
            block_start_ > chunk_base_ ? static_cast<size_t>(block_start_ - chunk_base_) : 0;
        if (block_released_) {
          keep(start, chunk_len_);
        } else {
          append_bounded(&held_, chunk_ + start, chunk_len_ - start);
        }
      }
    }
    stats_.bytes_in = end;
  }

  // The empty line at stream offsets [blank_start, end) ends the current block.
  void dispatch(uint64_t blank_start, uint64_t end) {
    bool strippable = false;
    bool had_usage = false;
    if (data_lines_ > 0) {
      ++stats_.events;
      if (block_oversized_ || blank_start - block_start_ > options_.max_event_bytes) {
        ++stats_.oversized_events;
      } else if (span_active_) {
        strippable = interpret(span_, span_length_, &had_usage);
      } else {
        strippable = interpret(data_.data(), data_.size(), &had_usage);
      }
    }
    if (had_usage) {
      stats_.usage_event_start = static_cast<int64_t>(block_start_);
      stats_.usage_event_end = static_cast<int64_t>(end);
    }
    const bool strip = options_.strip_usage_events && strippable && !block_released_;
    if (options_.strip_usage_events) {
      if (strip) {
        ++stats_.stripped_events;
        stats_.stripped_bytes += end - block_start_;
        held_.clear();
      } else {
        release_held();
        keep_stream(block_start_, end);
      }
    }
    last_block_stripped_ = strip;
    last_block_had_usage_ = had_usage;
    data_lines_ = 0;
    span_active_ = false;
    reset_buffer(&data_);
    if (held_.capacity() > kKeepCapacity) std::vector<uint8_t>().swap(held_);
    event_name_.clear();
    block_oversized_ = false;
    block_released_ = false;
    block_start_ = end;
  }

  // Interprets one event's data; returns whether the event is usage-only (strippable).
  bool interpret(const uint8_t* p, size_t n, bool* had_usage) {
    size_t first = 0;
    size_t last = n;
    while (first < last && sse_detail::is_json_ws(p[first])) ++first;
    while (last > first && sse_detail::is_json_ws(p[last - 1])) --last;
    if (last - first == 6 && std::memcmp(p + first, "[DONE]", 6) == 0) {
      stats_.done = true;
      return false;
    }
    sse_detail::EventFacts facts;
    const size_t text_mark = text_.size();
    const bool full_mark = text_full_;
    const bool truncated_mark = stats_.text_truncated;
    if (!walk(p, n, &facts)) {
      ++stats_.malformed_events;
      text_.resize(text_mark);
      text_full_ = full_mark;
      stats_.text_truncated = truncated_mark;
      return false;
    }
    if (facts.model.present) sse_detail::decode_info(facts.model, kSseMaxInfoBytes, &model_);
    if (facts.finish.present) {
      sse_detail::decode_info(facts.finish, kSseMaxInfoBytes, &finish_reason_);
    }
    const bool anthropic = options_.format == SseFormat::Anthropic;
    if (facts.error || (anthropic && type_is(facts.type, "error"))) {
      ++stats_.error_events;
      if (facts.error_type.present) {
        sse_detail::decode_info(facts.error_type, kSseMaxInfoBytes, &error_type_);
      }
    }
    if (anthropic && type_is(facts.type, "message_stop")) stats_.done = true;
    if (facts.usage_object) {
      *had_usage = true;
      ++stats_.usage_events;
      has_usage_ = true;
      for (int f = 0; f < kSseUsageFieldCount; ++f) {
        if (!anthropic || facts.usage[f] >= 0) usage_[f] = facts.usage[f];
      }
    }
    return !anthropic && facts.usage_object && facts.choice_count == 0 && !facts.error;
  }

  // Whether the event's type (its data's `type` string, else its `event:` name) is `name`.
  template <size_t N>
  bool type_is(const sse_detail::StringSpan& type, const char (&name)[N]) {
    if (!type.present) return event_name_.size() == N - 1 && event_name_ == name;
    if (!type.escaped) return sse_detail::key_is(type.p, type.length, name);
    key_buffer_.clear();
    sse_detail::append_unescaped(type.p, type.length, &key_buffer_);
    return sse_detail::key_is(key_buffer_.data(), key_buffer_.size(), name);
  }

  // Appends a string value at a text leaf to the output text, within max_text_bytes.
  // Once a piece does not fit, later pieces are dropped too, so the text stays a prefix.
  void append_text(const uint8_t* s, size_t n, bool escaped) {
    if (text_full_) return;
    const size_t before = text_.size();
    if (escaped) {
      sse_detail::append_unescaped(s, n, &text_);
    } else {
      text_.insert(text_.end(), s, s + n);
    }
    if (text_.size() > options_.max_text_bytes) {
      text_.resize(before);
      text_full_ = true;
      stats_.text_truncated = true;
    }
  }

  // Validates p[0, n) as one JSON object and records what the paths of interest hold.
  // Iterative, with an explicit stack of at most kSseMaxDepth containers.
  bool walk(const uint8_t* p, size_t n, sse_detail::EventFacts* facts) {
    using namespace sse_detail;
    struct Frame {
      Node node;
      bool array;
    };
    Frame stack[kSseMaxDepth];
    int depth = 0;
    size_t i = 0;
    Node node = kRoot;
    auto skip_ws = [&] {
      while (i < n && is_json_ws(p[i])) ++i;
    };
    skip_ws();
    if (i >= n || p[i] != '{') return false;
    for (;;) {
      // A value for `node` starts at p[i]; whitespace is skipped.
      if (i >= n) return false;
      const uint8_t c = p[i];
      if (c == '{' || c == '[') {
        if (depth == kSseMaxDepth) return false;
        if (node == kOaUsage) {
          if (c == '{') {
            facts->usage_object = true;
            for (int64_t& value : facts->usage) value = -1;
          }
        } else if (node == kAnUsage) {
          facts->usage_object |= c == '{';
        } else if (node == kError) {
          facts->error = true;
        } else if (node >= kUsageInput && node <= kUsageReasoning) {
          facts->usage[node - kUsageInput] = -1;
        }
        const bool array = c == '[';
        stack[depth++] = Frame{container_node(node, array), array};
        ++i;
        skip_ws();
        if (i < n && p[i] == (array ? ']' : '}')) {
          ++i;
          --depth;
        } else if (array) {
          node = element_node(stack[depth - 1].node, facts);
          continue;
        } else {
          if (!key(p, n, &i, stack[depth - 1].node, &node)) return false;
          continue;
        }
      } else if (c == '"') {
        const size_t start = i + 1;
        bool escaped = false;
        if (!string_end(p, n, &i, &escaped)) return false;
        const size_t length = i - 1 - start;
        switch (node) {
          case kText:
            if (options_.collect_text) append_text(p + start, length, escaped);
            break;
          case kModel: facts->model = StringSpan{p + start, length, escaped, true}; break;
          case kFinish: facts->finish = StringSpan{p + start, length, escaped, true}; break;
          case kType: facts->type = StringSpan{p + start, length, escaped, true}; break;
          case kErrorType:
            facts->error_type = StringSpan{p + start, length, escaped, true};
            break;
          case kError: facts->error = true; break;
          default:
            if (node >= kUsageInput && node <= kUsageReasoning) {
              facts->usage[node - kUsageInput] = -1;
            }
            break;
        }
      } else if (c == '-' || is_digit(c)) {
        const size_t start = i;
        if (!number_end(p, n, &i)) return false;
        if (node >= kUsageInput && node <= kUsageReasoning) {
          facts->usage[node - kUsageInput] = usage_value(p + start, i - start);
        } else if (node == kError) {
          facts->error = true;
        }
      } else {
        const char* word = c == 't' ? "true" : c == 'f' ? "false" : c == 'n' ? "null" : nullptr;
        if (word == nullptr) return false;
        const size_t length = std::strlen(word);
        if (n - i < length || std::memcmp(p + i, word, length) != 0) return false;
        i += length;
        if (node >= kUsageInput && node <= kUsageReasoning) {
          facts->usage[node - kUsageInput] = -1;
        } else if (node == kError && c != 'n') {
          facts->error = true;
        }
      }
      // After a value: close containers, or move to the next element or key.
      for (;;) {
        if (depth == 0) {
          skip_ws();
          return i == n;
        }
        skip_ws();
        if (i >= n) return false;
        const Frame& top = stack[depth - 1];
        if (p[i] == ',') {
          ++i;
          skip_ws();
          if (top.array) {
            node = element_node(top.node, facts);
          } else if (!key(p, n, &i, top.node, &node)) {
            return false;
          }
          break;
        }
        if (p[i] != (top.array ? ']' : '}')) return false;
        ++i;
        --depth;
      }
    }
  }

  // The node a container keeps while its members are read: arrays matter at two paths,
  // objects wherever they have keys of interest.
  static sse_detail::Node container_node(sse_detail::Node node, bool array) {
    using namespace sse_detail;
    if (array) return node == kOaChoices || node == kOaToolCalls ? node : kSkip;
    return node == kRoot || node >= kError ? node : kSkip;
  }

  static sse_detail::Node element_node(sse_detail::Node array, sse_detail::EventFacts* facts) {
    using namespace sse_detail;
    if (array == kOaChoices) {
      ++facts->choice_count;
      return kOaChoice;
    }
    return array == kOaToolCalls ? kOaToolCall : kSkip;
  }

  // Reads `"key"` `:` at p[*i] in an object at `parent`, sets *node to the value's node and
  // leaves *i at the value (whitespace skipped).
  bool key(const uint8_t* p, size_t n, size_t* i, sse_detail::Node parent,
           sse_detail::Node* node) {
    using namespace sse_detail;
    if (*i >= n || p[*i] != '"') return false;
    const size_t start = *i + 1;
    bool escaped = false;
    if (!string_end(p, n, i, &escaped)) return false;
    *node = kSkip;
    if (parent != kSkip) {
      const size_t length = *i - 1 - start;
      if (!escaped) {
        *node = child_node(options_.format, parent, p + start, length);
      } else if (length <= 6 * 32) {
        // Rare: a key with escapes. Every key of interest is short ASCII.
        key_buffer_.clear();
        append_unescaped(p + start, length, &key_buffer_);
        *node = child_node(options_.format, parent, key_buffer_.data(), key_buffer_.size());
      }
    }
    while (*i < n && is_json_ws(p[*i])) ++*i;
    if (*i >= n || p[*i] != ':') return false;
    ++*i;
    while (*i < n && is_json_ws(p[*i])) ++*i;
    return true;
  }

  // p[*i] is the opening quote. Moves *i past the closing quote; false when the string is
  // unterminated or holds a control byte or a malformed escape.
  static bool string_end(const uint8_t* p, size_t n, size_t* i, bool* escaped) {
    using namespace sse_detail;
    size_t at = *i + 1;
    for (;;) {
      at = skip_plain_string_bytes(p, at, n);
      if (at >= n) return false;
      const uint8_t c = p[at];
      if (c == '"') break;
      if (c < 0x20) return false;
      // A backslash.
      *escaped = true;
      if (n - at < 2) return false;
      const uint8_t kind = p[at + 1];
      if (kind == 'u') {
        if (n - at < 6) return false;
        for (int k = 2; k < 6; ++k) {
          if (hex_value(p[at + k]) < 0) return false;
        }
        at += 6;
      } else if (kind == '"' || kind == '\\' || kind == '/' || kind == 'b' || kind == 'f' ||
                 kind == 'n' || kind == 'r' || kind == 't') {
        at += 2;
      } else {
        return false;
      }
    }
    *i = at + 1;
    return true;
  }

  // Moves *i past a number per RFC 8259: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  static bool number_end(const uint8_t* p, size_t n, size_t* i) {
    using namespace sse_detail;
    size_t at = *i;
    if (p[at] == '-') ++at;
    if (at >= n || !is_digit(p[at])) return false;
    if (p[at] == '0') {
      ++at;
    } else {
      while (at < n && is_digit(p[at])) ++at;
    }
    if (at < n && p[at] == '.') {
      ++at;
      if (at >= n || !is_digit(p[at])) return false;
      while (at < n && is_digit(p[at])) ++at;
    }
    if (at < n && (p[at] | 0x20) == 'e') {
      ++at;
      if (at < n && (p[at] == '+' || p[at] == '-')) ++at;
      if (at >= n || !is_digit(p[at])) return false;
      while (at < n && is_digit(p[at])) ++at;
    }
    *i = at;
    return true;
  }

  SseOptions options_;
  SseStats stats_;
  int64_t usage_[kSseUsageFieldCount];
  bool has_usage_ = false;
  bool ended_ = false;
  std::string model_;
  std::string finish_reason_;
  std::string error_type_;
  std::string event_name_;
  std::vector<uint8_t> text_;
  bool text_full_ = false;  // a piece did not fit: collect nothing until clear_output_text()

  // The chunk being fed: stream offset of its first byte, its bytes.
  const uint8_t* chunk_ = nullptr;
  uint64_t chunk_base_ = 0;
  size_t chunk_len_ = 0;

  // The unfinished line: line_len_ bytes, kept in line_ (only its prefix when oversized).
  std::vector<uint8_t> line_;
  size_t line_len_ = 0;
  bool at_stream_start_ = true;
  // The previous chunk ended with a CR: an LF first in the next chunk belongs to that line,
  // and to the block dispatched by it when lf_ends_block_.
  bool skip_lf_ = false;
  bool lf_ends_block_ = false;
  bool last_block_stripped_ = false;
  bool last_block_had_usage_ = false;

  // The current block (event): where it starts, its data so far.
  uint64_t block_start_ = 0;
  bool block_oversized_ = false;
  bool block_released_ = false;  // stripping: held bytes were released, the rest passes
  uint32_t data_lines_ = 0;
  std::vector<uint8_t> data_;
  const uint8_t* span_ = nullptr;  // the only data line, in the current chunk
  size_t span_length_ = 0;
  bool span_active_ = false;
  std::vector<uint8_t> held_;  // stripping: raw bytes of the block from earlier chunks
  std::vector<uint8_t> key_buffer_;

  std::vector<uint8_t> out_prefix_;
  std::vector<SseRange> ranges_;
  SseOutput output_;
};

}  // namespace ailb
