// Unit tests for sse_usage.h. No framework: each CHECK counts a pass or prints the failure; the
// exit status is non-zero when anything failed.
//
// Usage: sse_usage_test [fixtures-dir]   (default test/fixtures, as `make -C native` runs it)
//
// The fixture streams in test/fixtures/ are written as the providers send them. Every chunk
// is copied into a heap block of exactly its length, so a sanitizer build reports any read
// past the end of a chunk.

#include "check.h"
#include "sse_usage.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

using ailb::SseFormat;
using ailb::SseOptions;
using ailb::SseUsageScanner;

namespace {

std::string g_fixtures = "test/fixtures";


std::string printable(const std::string& s, size_t limit = 160) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  return out.size() > limit ? out.substr(0, limit) + "..." : out;
}

std::string read_fixture(const std::string& name) {
  std::ifstream in(g_fixtures + "/" + name, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s/%s\n", g_fixtures.c_str(), name.c_str());
    ++::ailb::check::failed;
    return std::string();
  }
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

SseOptions options(SseFormat format, bool strip = false, size_t max_event = ailb::kSseDefaultMaxEventBytes) {
  SseOptions o;
  o.format = format;
  o.strip_usage_events = strip;
  o.collect_text = true;
  o.max_event_bytes = max_event;
  return o;
}

// Everything a scanner reports, to compare runs over different splits.
struct Snapshot {
  ailb::SseStats stats;
  bool has_usage = false;
  int64_t usage[ailb::kSseUsageFieldCount] = {};
  std::string model;
  std::string finish;
  std::string error_type;
  std::string text;
  std::string output;  // concatenation of what feed() and end() said to forward

  std::string describe() const {
    char line[512];
    std::snprintf(line, sizeof line,
                  "in=%llu ev=%llu bad=%llu big=%llu err=%llu use=%llu strip=%llu/%llu "
                  "at=[%lld,%lld) done=%d mid=%d trunc=%d usage=%d[%lld %lld %lld %lld %lld %lld] "
                  "model=%s finish=%s error=%s text=",
                  (unsigned long long)stats.bytes_in, (unsigned long long)stats.events,
                  (unsigned long long)stats.malformed_events,
                  (unsigned long long)stats.oversized_events,
                  (unsigned long long)stats.error_events, (unsigned long long)stats.usage_events,
                  (unsigned long long)stats.stripped_events,
                  (unsigned long long)stats.stripped_bytes, (long long)stats.usage_event_start,
                  (long long)stats.usage_event_end, stats.done, stats.ended_mid_event,
                  stats.text_truncated, has_usage, (long long)usage[0], (long long)usage[1],
                  (long long)usage[2], (long long)usage[3], (long long)usage[4],
                  (long long)usage[5], model.c_str(), finish.c_str(), error_type.c_str());
    return line + printable(text, 80) + " out=" + std::to_string(output.size());
  }

  bool operator==(const Snapshot& o) const {
    const ailb::SseStats& a = stats;
    const ailb::SseStats& b = o.stats;
    return a.bytes_in == b.bytes_in && a.events == b.events &&
           a.malformed_events == b.malformed_events && a.oversized_events == b.oversized_events &&
           a.error_events == b.error_events && a.usage_events == b.usage_events &&
           a.stripped_events == b.stripped_events && a.stripped_bytes == b.stripped_bytes &&
           a.usage_event_start == b.usage_event_start && a.usage_event_end == b.usage_event_end &&
           a.done == b.done && a.ended_mid_event == b.ended_mid_event &&
           a.text_truncated == b.text_truncated && has_usage == o.has_usage &&
           std::memcmp(usage, o.usage, sizeof usage) == 0 && model == o.model &&
           finish == o.finish && error_type == o.error_type && text == o.text &&
           output == o.output;
  }
};

void append_output(const ailb::SseOutput& out, const uint8_t* chunk, std::string* to) {
  std::string bytes(out.size(), '\0');
  out.copy_to(chunk, reinterpret_cast<uint8_t*>(&bytes[0]));
  *to += bytes;
}

// Feeds input cut at the given ascending offsets (each chunk in an exact-size heap block).
Snapshot run(const std::string& input, const SseOptions& opts, const std::vector<size_t>& cuts) {
  SseUsageScanner scanner(opts);
  Snapshot s;
  size_t start = 0;
  for (size_t k = 0; k <= cuts.size(); ++k) {
    const size_t end = k < cuts.size() ? cuts[k] : input.size();
    const size_t length = end - start;
    std::unique_ptr<uint8_t[]> chunk(new uint8_t[length == 0 ? 1 : length]);
    std::memcpy(chunk.get(), input.data() + start, length);
    append_output(scanner.feed(chunk.get(), length), chunk.get(), &s.output);
    start = end;
  }
  append_output(scanner.end(), nullptr, &s.output);
  s.stats = scanner.stats();
  s.has_usage = scanner.has_usage();
  std::memcpy(s.usage, scanner.usage(), sizeof s.usage);
  s.model = scanner.model();
  s.finish = scanner.finish_reason();
  s.error_type = scanner.error_type();
  s.text.assign(scanner.output_text().begin(), scanner.output_text().end());
  return s;
}

Snapshot run_whole(const std::string& input, const SseOptions& opts) { return run(input, opts, {}); }

// The whole result is the same for every two-chunk split, byte-by-byte feeding, and a few
// pseudo-random many-chunk splits.
void check_split_invariance(const std::string& input, const SseOptions& opts, int line) {
  const Snapshot whole = run_whole(input, opts);
  int failures = 0;
  for (size_t cut = 0; cut <= input.size() && failures < 3; ++cut) {
    const Snapshot split = run(input, opts, {cut});
    if (!(split == whole)) {
      ++failures;
      AILB_REPORT(false, "split invariance", line,
             "cut at " + std::to_string(cut) + "\n  whole " + whole.describe() + "\n  split " +
                 split.describe());
    }
  }
  std::vector<size_t> every;
  for (size_t cut = 1; cut < input.size(); ++cut) every.push_back(cut);
  const Snapshot bytes = run(input, opts, every);
  AILB_REPORT(bytes == whole, "byte-by-byte invariance", line,
         "\n  whole " + whole.describe() + "\n  bytes " + bytes.describe());
  uint32_t seed = 0x9e3779b9u ^ static_cast<uint32_t>(input.size());
  for (int round = 0; round < 20; ++round) {
    std::vector<size_t> cuts;
    size_t at = 0;
    for (;;) {
      seed = seed * 1664525u + 1013904223u;
      at += 1 + (seed >> 16) % 97;
      if (at >= input.size()) break;
      cuts.push_back(at);
    }
    const Snapshot random = run(input, opts, cuts);
    AILB_REPORT(random == whole, "random split invariance", line, random.describe());
  }
  if (failures == 0) AILB_REPORT(true, "split invariance", line, "");
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  std::string out;
  size_t at = 0;
  for (;;) {
    const size_t hit = s.find(from, at);
    if (hit == std::string::npos) break;
    out.append(s, at, hit - at);
    out += to;
    at = hit + from.size();
  }
  out.append(s, at, std::string::npos);
  return out;
}

struct Expected {
  const char* fixture;
  SseFormat format;
  uint64_t events;
  int64_t usage[ailb::kSseUsageFieldCount];
  const char* model;
  const char* finish;
  const char* text;
  bool done;
  uint64_t error_events;
  const char* error_type;
  bool usage_only_event;  // the stream has a strippable usage event
};

const Expected kFixtures[] = {
    {"openai_chat_usage.sse", SseFormat::OpenAI, 11, {19, 16, 35, 0, -1, 0},
     "gpt-4o-2024-08-06", "stop",
     "Hello! Here is a \"quoted\" word, a new\nline, caf\xC3\xA9 and \xE6\x97\xA5\xE6\x9C\xAC"
     "\xE8\xAA\x9E \xF0\x9F\x98\x80.",
     true, 0, "", true},
    {"openai_chat_tools.sse", SseFormat::OpenAI, 12, {1317, 52, 1369, 1152, -1, 0},
     "gpt-4.1-2025-04-14", "tool_calls",
     "get_weather{\"location\": \"Paris, France\"}get_time{\"tz\": \"Europe/Paris\"}", true, 0, "",
     true},
    {"openai_completions.sse", SseFormat::OpenAI, 8, {5, 6, 11, -1, -1, -1},
     "gpt-3.5-turbo-instruct", "stop", "\n\nThis is a test.", true, 0, "", true},
    {"openai_reasoning.sse", SseFormat::OpenAI, 10, {12, 41, 53, 0, -1, 33}, "deepseek-reasoner",
     "stop",
     "Okay, the user wants \xC3\xA9l\xC3\xA8ve \xF0\x9F\xA4\x94 math.2 + 2 = **4**\xE2\x80\x94"
     "done",
     true, 0, "", false},
    {"anthropic_text.sse", SseFormat::Anthropic, 11, {472, 15, -1, 0, 0, -1},
     "claude-sonnet-4-5-20250929", "end_turn",
     "Hello! Les \xC3\xA9l\xC3\xA8ves \xF0\x9F\x98\x80 say \"hi\"\n.", true, 0, "", false},
    {"anthropic_tools.sse", SseFormat::Anthropic, 18, {472, 89, -1, 2048, 1024, -1},
     "claude-opus-4-1-20250805", "tool_use",
     "Okay, let's check the weather for San Francisco:get_weather{\"location\": \"San "
     "Francisco, CA\", \"unit\": \"fahrenheit\"}",
     true, 0, "", false},
    {"anthropic_thinking.sse", SseFormat::Anthropic, 12, {85, 298, -1, 0, 0, -1},
     "claude-sonnet-4-5-20250929", "end_turn",
     "I need to find the GCD of 1071 and 462 using the Euclidean algorithm.\n\n1071 = 2 \xC3\x97 "
     "462 + 147The greatest common divisor of 1071 and 462 is **21**.",
     true, 0, "", false},
    {"anthropic_error.sse", SseFormat::Anthropic, 4, {20, 1, -1, -1, -1, -1},
     "claude-3-5-haiku-20241022", "", "Partial", false, 1, "overloaded_error", false},
};

void check_fixture_values(const Expected& e, const Snapshot& s, const std::string& variant) {
  const std::string where = std::string(e.fixture) + " " + variant + ": " + s.describe();
  CHECK_MSG(s.stats.events == e.events, where);
  CHECK_MSG(s.stats.malformed_events == 0 && s.stats.oversized_events == 0, where);
  CHECK_MSG(s.has_usage, where);
  CHECK_MSG(std::memcmp(s.usage, e.usage, sizeof s.usage) == 0, where);
  CHECK_MSG(s.model == e.model, where);
  CHECK_MSG(s.finish == e.finish, where);
  CHECK_MSG(s.text == e.text, where + "\n  want " + printable(e.text));
  CHECK_MSG(s.stats.done == e.done, where);
  CHECK_MSG(s.stats.error_events == e.error_events && s.error_type == e.error_type, where);
  CHECK_MSG(!s.stats.ended_mid_event && !s.stats.text_truncated, where);
}

void test_fixtures() {
  for (const Expected& e : kFixtures) {
    const std::string lf = read_fixture(e.fixture);
    if (lf.empty()) continue;
    const bool openai = e.format == SseFormat::OpenAI;
    // The values, with LF, CRLF and CR line ends, whole and split everywhere.
    const std::string crlf = replace_all(lf, "\n", "\r\n");
    const std::string cr = replace_all(lf, "\n", "\r");
    const Snapshot base = run_whole(lf, options(e.format));
    check_fixture_values(e, base, "LF");
    CHECK_MSG(base.output == lf, e.fixture);
    CHECK_MSG(base.stats.stripped_events == 0, e.fixture);
    CHECK_MSG(base.stats.usage_events >= 1, e.fixture);
    for (const std::string* variant : {&lf, &crlf, &cr}) {
      const char* name = variant == &lf ? "LF" : variant == &crlf ? "CRLF" : "CR";
      const Snapshot whole = run_whole(*variant, options(e.format));
      check_fixture_values(e, whole, name);
      CHECK_MSG(whole.stats.usage_events == base.stats.usage_events, e.fixture);
      check_split_invariance(*variant, options(e.format), __LINE__);
      if (openai) check_split_invariance(*variant, options(e.format, true), __LINE__);
    }
    // The usage event's offsets name its block.
    const std::string marker = openai ? "\"usage\":{" : "\"usage\":";
    const size_t last_usage = lf.rfind(marker);
    if (openai) {
      // The last usage event (also in the reasoning stream, where usage rides on a choice).
      size_t block_start = lf.rfind("\n\ndata:", last_usage) + 2;
      size_t block_end = lf.find("\n\n", last_usage) + 2;
      CHECK_MSG(base.stats.usage_event_start == static_cast<int64_t>(block_start) &&
                    base.stats.usage_event_end == static_cast<int64_t>(block_end),
                e.fixture);
      // Stripping removes exactly the usage-only block, however the stream is split.
      const Snapshot stripped = run_whole(lf, options(e.format, true));
      if (e.usage_only_event) {
        const std::string want = lf.substr(0, block_start) + lf.substr(block_end);
        CHECK_MSG(stripped.output == want, e.fixture);
        CHECK_MSG(stripped.stats.stripped_events == 1 &&
                      stripped.stats.stripped_bytes == block_end - block_start,
                  e.fixture);
        check_fixture_values(e, stripped, "strip");
        const std::string crlf_want = replace_all(want, "\n", "\r\n");
        const std::string cr_want = replace_all(want, "\n", "\r");
        CHECK_MSG(run_whole(crlf, options(e.format, true)).output == crlf_want, e.fixture);
        CHECK_MSG(run_whole(cr, options(e.format, true)).output == cr_want, e.fixture);
        std::vector<size_t> every;
        for (size_t cut = 1; cut < cr.size(); ++cut) every.push_back(cut);
        CHECK_MSG(run(cr, options(e.format, true), every).output == cr_want, e.fixture);
      } else {
        CHECK_MSG(stripped.output == lf && stripped.stats.stripped_events == 0, e.fixture);
      }
    } else {
      // Anthropic: the last usage is in message_delta (or message_start when the stream broke).
      const size_t before = lf.rfind("\n\nevent:", last_usage);
      const size_t block_start = before == std::string::npos ? 0 : before + 2;
      const size_t block_end = lf.find("\n\n", last_usage) + 2;
      CHECK_MSG(base.stats.usage_event_start == static_cast<int64_t>(block_start) &&
                    base.stats.usage_event_end == static_cast<int64_t>(block_end),
                e.fixture + std::string(" ") + base.describe());
      // Stripping is an OpenAI feature; Anthropic streams pass untouched.
      const Snapshot stripped = run_whole(lf, options(e.format, true));
      CHECK_MSG(stripped.output == lf && stripped.stats.stripped_events == 0, e.fixture);
    }
  }
}

// A stream built inline: the OpenAI events given as JSON, "data: <json>\n\n" each.
std::string oa_stream(const std::vector<std::string>& events) {
  std::string s;
  for (const std::string& e : events) s += "data: " + e + "\n\n";
  return s;
}

std::string content_event(const std::string& json_string) {
  return "{\"choices\":[{\"index\":0,\"delta\":{\"content\":" + json_string +
         "},\"finish_reason\":null}],\"usage\":null}";
}

void test_escapes_split_everywhere() {
  // Escapes, surrogate pairs, raw multi-byte UTF-8 and escaped keys, split at every byte.
  const std::string input = oa_stream({
      content_event("\"caf\\u00e9 \\u00E9\""),
      content_event("\"\\ud83d\\ude00|\\uD83D\\uDE00|\xF0\x9F\x98\x80\""),
      content_event("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
      content_event("\"lone \\ud800 and \\udc00 and \\ud800\\u0041\""),
      "{\"ch\\u006fices\":[{\"delta\":{\"c\\u006fntent\":\"escaped key\"}}]}",
  });
  const Snapshot s = run_whole(input, options(SseFormat::OpenAI));
  const std::string want =
      "caf\xC3\xA9 \xC3\xA9"
      "\xF0\x9F\x98\x80|\xF0\x9F\x98\x80|\xF0\x9F\x98\x80"
      "\"\\/\b\f\n\r\t"
      "lone \xEF\xBF\xBD and \xEF\xBF\xBD and \xEF\xBF\xBD"
      "A"
      "escaped key";
  CHECK_MSG(s.text == want, printable(s.text) + "\n  want " + printable(want));
  CHECK_MSG(s.stats.events == 5 && s.stats.malformed_events == 0, s.describe());
  check_split_invariance(input, options(SseFormat::OpenAI), __LINE__);
}

void test_sse_framing() {
  const SseOptions o = options(SseFormat::OpenAI);
  // `data:` without a space, a BOM, comments, id/retry/unknown fields, a data line without a
  // colon, an event line without data, and multi-line data joined with "\n".
  const std::string input =
      "\xEF\xBB\xBF: comment first\n"
      "data:" + content_event("\"a\"") + "\n\n"
      ": ping\n\n"
      "id: 7\nretry: 1000\nfoo: bar\n"
      "data: " + content_event("\"b\"") + "\n\n"
      "event: nothing\n\n"
      "data: {\"choices\":[{\"delta\":\n"
      "data: {\"content\":\"c\"}}],\n"
      "data:\"usage\":null}\n\n"
      "data\n\n"
      "data: [DONE]\n\n";
  const Snapshot s = run_whole(input, o);
  CHECK_MSG(s.text == "abc", s.describe());
  // a, b, the three-line event, the bare `data` (empty data: malformed), [DONE].
  CHECK_MSG(s.stats.events == 5 && s.stats.malformed_events == 1 && s.stats.done, s.describe());
  CHECK_MSG(s.output == input, s.describe());
  check_split_invariance(input, o, __LINE__);
  check_split_invariance(replace_all(input, "\n", "\r\n"), o, __LINE__);
  check_split_invariance(replace_all(input, "\n", "\r"), o, __LINE__);
  // Mixed terminators in one stream, including "\r\r\n" (a CR line end, then a CRLF).
  const std::string mixed = "data: " + content_event("\"x\"") + "\r\r\ndata: " +
                            content_event("\"y\"") + "\n\r" + "data: " + content_event("\"z\"") +
                            "\r\n\n";
  const Snapshot m = run_whole(mixed, o);
  CHECK_MSG(m.text == "xyz" && m.stats.events == 3, m.describe());
  check_split_invariance(mixed, o, __LINE__);
  // A BOM anywhere but the stream start is part of the line, so that line is no data line.
  const Snapshot late = run_whole("data: [DONE]\n\n\xEF\xBB\xBF" "data: [DONE]\n\n", o);
  CHECK_MSG(late.stats.events == 1, late.describe());
  // A BOM-only first line is an empty line.
  const Snapshot bom_blank = run_whole("\xEF\xBB\xBF\ndata: [DONE]\n\n", o);
  CHECK_MSG(bom_blank.stats.events == 1 && bom_blank.stats.done, bom_blank.describe());
}

void test_usage_semantics() {
  const SseOptions o = options(SseFormat::OpenAI);
  // usage null on ordinary chunks, usage on every chunk (cumulative): the last non-null wins,
  // and a later usage object replaces the earlier one whole.
  const std::string input = oa_stream({
      "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"prompt_tokens\":3,"
      "\"completion_tokens\":1,\"total_tokens\":4,\"prompt_tokens_details\":{\"cached_tokens\":2}}}",
      "{\"choices\":[{\"delta\":{\"content\":\"b\"}}],\"usage\":null}",
      "{\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":3,"
      "\"completion_tokens\":2,\"total_tokens\":5}}",
      "{\"choices\":[{\"delta\":{},\"finish_reason\":null}]}",
  });
  const Snapshot s = run_whole(input, o);
  const int64_t want[] = {3, 2, 5, -1, -1, -1};
  CHECK_MSG(std::memcmp(s.usage, want, sizeof want) == 0, s.describe());
  CHECK_MSG(s.finish == "length" && s.stats.usage_events == 2, s.describe());
  // Usage values that are not integers in [0, 2^53 - 1] are absent.
  const Snapshot odd = run_whole(
      oa_stream({"{\"choices\":[],\"usage\":{\"prompt_tokens\":1.5,\"completion_tokens\":-3,"
                 "\"total_tokens\":9007199254740992,\"prompt_tokens_details\":{\"cached_tokens\":"
                 "9007199254740991},\"completion_tokens_details\":{\"reasoning_tokens\":\"7\"}}}"}),
      o);
  const int64_t want_odd[] = {-1, -1, -1, 9007199254740991LL, -1, -1};
  CHECK_MSG(std::memcmp(odd.usage, want_odd, sizeof want_odd) == 0, odd.describe());
  // An escaped key matches; keys of other objects do not.
  const Snapshot keyed = run_whole(
      oa_stream({"{\"x\":{\"usage\":{\"prompt_tokens\":9}},\"us\\u0061ge\":{\"prompt_tokens\":4}}"}),
      o);
  CHECK_MSG(keyed.usage[0] == 4 && keyed.stats.usage_events == 1, keyed.describe());
  // Anthropic: fields merge; output_tokens in message_delta is cumulative and replaces.
  const std::string an =
      "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"m\","
      "\"usage\":{\"input_tokens\":10,\"output_tokens\":1,\"cache_read_input_tokens\":5}}}\n\n"
      "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
      "\"max_tokens\"},\"usage\":{\"output_tokens\":7}}\n\n"
      "event: message_stop\ndata: {}\n\n";
  const Snapshot a = run_whole(an, options(SseFormat::Anthropic));
  const int64_t want_an[] = {10, 7, -1, 5, -1, -1};
  CHECK_MSG(std::memcmp(a.usage, want_an, sizeof want_an) == 0, a.describe());
  // message_stop is known from the `event:` name when the data has no type.
  CHECK_MSG(a.stats.done && a.finish == "max_tokens" && a.model == "m", a.describe());
  // Model, finish reason and error type are cut to 256 bytes at a character boundary.
  std::string long_model;
  for (int k = 0; k < 100; ++k) long_model += "\xC3\xA9x";
  const Snapshot cut = run_whole(oa_stream({"{\"model\":\"" + long_model + "\"}"}), o);
  CHECK_MSG(cut.model.size() == 255 && cut.model == long_model.substr(0, 255), cut.describe());
  // No usage at all.
  const Snapshot none = run_whole(oa_stream({content_event("\"q\"")}), o);
  CHECK_MSG(!none.has_usage && none.stats.usage_event_start == -1, none.describe());
  // An OpenAI-style error object in the data.
  const Snapshot error = run_whole(
      oa_stream({"{\"error\":{\"message\":\"Rate limit\",\"type\":\"rate_limit_error\"}}"}), o);
  CHECK_MSG(error.stats.error_events == 1 && error.error_type == "rate_limit_error",
            error.describe());
}

void test_malformed() {
  const SseOptions o = options(SseFormat::OpenAI);
  const char* bad[] = {
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}],",  // truncated
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}],}",  // trailing comma
      "{\"choices\":[{\"delta\":{\"content\":\"lost\\x\"}}]}",  // bad escape
      "{\"choices\":[{\"delta\":{\"content\":\"lost\\u12G4\"}}]}",  // bad \u
      "{\"choices\":[{\"delta\":{\"content\":\"lost\tx\"}}]}",  // raw control byte
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}]} x",  // trailing data
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}]}}",  // extra brace
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}],\"n\":01}",  // leading zero
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}],\"n\":1.}",
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}],\"n\":-}",
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}],\"n\":tru}",
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}] \"usage\":null}",  // missing comma
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}}],\"usage\" null}",  // missing colon
      "{\"choices\":[{\"delta\":{\"content\":\"lost\"}]]}",  // mismatched close
      "{'choices':[]}",
      "[{\"choices\":[]}]",  // not an object
      "\"text\"",
      "",
      "[DONE] ",  // not [DONE] after trimming? It is: whitespace is trimmed (checked below)
  };
  for (const char* data : bad) {
    const std::string input = oa_stream({content_event("\"a\""), data, content_event("\"b\"")});
    const Snapshot s = run_whole(input, o);
    if (std::strcmp(data, "[DONE] ") == 0) {
      CHECK_MSG(s.stats.done && s.stats.malformed_events == 0, s.describe());
      continue;
    }
    CHECK_MSG(s.stats.events == 3 && s.stats.malformed_events == 1, std::string(data) + " " + s.describe());
    CHECK_MSG(s.text == "ab", std::string(data) + " " + s.describe());
    CHECK_MSG(!s.has_usage, std::string(data));
  }
  // A malformed usage event changes nothing, not even usage.
  const Snapshot u = run_whole(
      oa_stream({"{\"choices\":[],\"usage\":{\"prompt_tokens\":5}}",
                 "{\"choices\":[],\"usage\":{\"prompt_tokens\":6},}"}),
      o);
  CHECK_MSG(u.usage[0] == 5 && u.stats.usage_events == 1 && u.stats.malformed_events == 1,
            u.describe());
  // Nesting: 512 open containers are accepted, 513 are malformed.
  auto nested = [](int depth) {
    std::string s = "{\"a\":";
    for (int k = 1; k < depth; ++k) s += "[";
    s += "0";
    for (int k = 1; k < depth; ++k) s += "]";
    return s + "}";
  };
  CHECK(run_whole(oa_stream({nested(512)}), o).stats.malformed_events == 0);
  CHECK(run_whole(oa_stream({nested(513)}), o).stats.malformed_events == 1);
  // Every valid JSON form inside skipped subtrees.
  const Snapshot forms = run_whole(
      oa_stream({"{\"x\":[true,false,null,0,-0,1.5e+3,2E-2,-12.25,\"s\\\"\",{},[],{\"k\":[{}]}],"
                 "\"choices\":[{\"delta\":{\"content\":\"ok\"}}] }"}),
      o);
  CHECK_MSG(forms.stats.malformed_events == 0 && forms.text == "ok", forms.describe());
}

void test_strip_mode() {
  const SseOptions strip = options(SseFormat::OpenAI, true);
  const std::string usage_only = "{\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":1}}";
  const std::string usage_no_choices = "{\"id\":\"c\",\"usage\":{\"prompt_tokens\":2}}";
  const std::string usage_with_choice =
      "{\"choices\":[{\"delta\":{\"content\":\"z\"}}],\"usage\":{\"prompt_tokens\":3}}";
  const std::string usage_null = "{\"choices\":[],\"usage\":null}";
  const std::string input =
      ": hi\n\n" + oa_stream({content_event("\"a\""), usage_only, usage_null, usage_no_choices,
                              usage_with_choice}) +
      "data: " + usage_only + "\n\n" + "data: [DONE]\n\n";
  const std::string want =
      ": hi\n\n" + oa_stream({content_event("\"a\""), usage_null, usage_with_choice}) +
      "data: [DONE]\n\n";
  const Snapshot s = run_whole(input, strip);
  CHECK_MSG(s.output == want, printable(s.output, 400));
  CHECK_MSG(s.stats.stripped_events == 3 && s.stats.stripped_bytes == input.size() - want.size(),
            s.describe());
  CHECK_MSG(s.usage[0] == 1 && s.text == "az", s.describe());
  check_split_invariance(input, strip, __LINE__);
  check_split_invariance(replace_all(input, "\n", "\r\n"), strip, __LINE__);
  check_split_invariance(replace_all(input, "\n", "\r"), strip, __LINE__);
  // The common case costs no copy: a chunk of whole events is forwarded as itself, and a chunk
  // ending inside an event forwards its complete events in place.
  SseUsageScanner scanner(strip);
  const std::string events = oa_stream({content_event("\"a\""), content_event("\"b\"")});
  const std::string partial = "data: {\"choices\":[";
  const std::string chunk = events + partial;
  size_t length = 0;
  const ailb::SseOutput& first =
      scanner.feed(reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size());
  CHECK(first.is_chunk_prefix(&length) && length == events.size());
  const std::string rest = "]}\n\n";
  const ailb::SseOutput& second =
      scanner.feed(reinterpret_cast<const uint8_t*>(rest.data()), rest.size());
  CHECK(second.prefix_len == partial.size() && second.range_count == 1 && second.size() == partial.size() + rest.size());
  // An unfinished usage event at the end is dispatched by end() and stripped.
  const std::string unfinished = oa_stream({content_event("\"a\"")}) + "data: " + usage_only;
  const Snapshot u = run_whole(unfinished, strip);
  CHECK_MSG(u.output == oa_stream({content_event("\"a\"")}) && u.stats.ended_mid_event &&
                u.usage[0] == 1,
            u.describe());
  check_split_invariance(unfinished, strip, __LINE__);
  // Without an empty line at the end, a non-usage event is forwarded by end().
  const std::string open_end = "data: " + content_event("\"tail\"");
  const Snapshot o = run_whole(open_end, strip);
  CHECK_MSG(o.output == open_end && o.text == "tail" && o.stats.ended_mid_event, o.describe());
}

void test_oversized() {
  // A small bound, so every split of every event is cheap to try.
  const size_t bound = 120;
  const std::string small = content_event("\"ok\"");  // a block of 92 bytes
  const std::string big = content_event("\"" + std::string(100, 'x') + "\"");
  const std::string big_usage =
      "{\"choices\":[],\"usage\":{\"prompt_tokens\":1},\"pad\":\"" + std::string(80, 'p') + "\"}";
  CHECK(small.size() + 7 < bound && big.size() > bound && big_usage.size() > bound);
  const std::string input = oa_stream({small, big, big_usage, small}) + ": " +
                            std::string(200, 'c') + "\n\ndata: [DONE]\n\n";
  for (bool strip : {false, true}) {
    const SseOptions o = options(SseFormat::OpenAI, strip, bound);
    const Snapshot s = run_whole(input, o);
    CHECK_MSG(s.stats.events == 5 && s.stats.oversized_events == 2 && s.text == "okok" &&
                  !s.has_usage && s.stats.done,
              s.describe());
    CHECK_MSG(s.output == input, s.describe());  // oversized events are never stripped
    check_split_invariance(input, o, __LINE__);
  }
  // The bound counts the block's bytes before its empty line: exactly `bound` is interpreted.
  const std::string exact_data = "data: " + content_event("\"" + std::string(20, 'y') + "\"");
  const std::string exact = exact_data + "\n\n";
  const size_t limit = exact_data.size() + 1;  // its line and LF
  CHECK(run_whole(exact, options(SseFormat::OpenAI, false, limit)).stats.oversized_events == 0);
  CHECK(run_whole(exact, options(SseFormat::OpenAI, false, limit - 1)).stats.oversized_events == 1);
  check_split_invariance(exact, options(SseFormat::OpenAI, true, limit - 1), __LINE__);
  check_split_invariance(exact, options(SseFormat::OpenAI, true, limit), __LINE__);

  // The default 8 MiB bound with a 9 MiB event fed in 64 KiB chunks: memory stays bounded and
  // the next event is read.
  for (bool strip : {false, true}) {
    SseUsageScanner scanner(options(SseFormat::OpenAI, strip));
    const std::string head = "data: {\"choices\":[{\"delta\":{\"content\":\"";
    const std::string usage_event = "{\"choices\":[],\"usage\":{\"prompt_tokens\":8}}";
    std::string stream = head + std::string(9 << 20, 'z') + "\"}}]}\n\n" +
                         oa_stream({content_event("\"after\""), usage_event});
    size_t most = 0;
    size_t forwarded = 0;
    for (size_t at = 0; at < stream.size(); at += 65536) {
      const size_t length = std::min<size_t>(65536, stream.size() - at);
      forwarded += scanner.feed(reinterpret_cast<const uint8_t*>(stream.data() + at), length).size();
      most = std::max(most, scanner.buffered_bytes());
    }
    forwarded += scanner.end().size();
    // Twice the bound when stripping: the raw bytes are held besides the line.
    const size_t allowed = (strip ? 2 : 1) * ailb::kSseDefaultMaxEventBytes + (1 << 20);
    CHECK_MSG(most <= allowed, std::to_string(most));
    CHECK(scanner.stats().oversized_events == 1 && scanner.stats().events == 3);
    CHECK(scanner.usage()[0] == 8);
    const std::string text(scanner.output_text().begin(), scanner.output_text().end());
    CHECK(text == "after");
    const size_t usage_block = 6 + usage_event.size() + 2;
    CHECK_MSG(forwarded == stream.size() - (strip ? usage_block : 0), std::to_string(forwarded));
    CHECK_MSG(scanner.buffered_bytes() < (1 << 20), std::to_string(scanner.buffered_bytes()));
  }
  // A line that never ends is bounded too.
  {
    SseUsageScanner scanner(options(SseFormat::OpenAI, true, 1 << 20));
    const std::string filler(65536, 'f');
    size_t most = 0;
    for (int k = 0; k < 64; ++k) {
      scanner.feed(reinterpret_cast<const uint8_t*>(filler.data()), filler.size());
      most = std::max(most, scanner.buffered_bytes());
    }
    CHECK_MSG(most <= (2u << 20) + 4096, std::to_string(most));
  }
}

void test_text_bound_and_options() {
  SseOptions o = options(SseFormat::OpenAI);
  o.max_text_bytes = 5;
  const std::string input =
      oa_stream({content_event("\"abc\""), content_event("\"def\""), content_event("\"g\"")});
  const Snapshot s = run_whole(input, o);
  // The text stops before the piece that would pass the bound; later pieces are not added.
  CHECK_MSG(s.text == "abc" && s.stats.text_truncated, s.describe());
  check_split_invariance(input, o, __LINE__);
  {
    // Taking the text lets collection resume; the truncated flag stays set.
    SseUsageScanner scanner(o);
    scanner.feed(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    scanner.clear_output_text();
    const std::string more = oa_stream({content_event("\"hij\"")});
    scanner.feed(reinterpret_cast<const uint8_t*>(more.data()), more.size());
    const std::string text(scanner.output_text().begin(), scanner.output_text().end());
    CHECK_MSG(text == "hij" && scanner.stats().text_truncated, text);
  }
  o.collect_text = false;
  const Snapshot off = run_whole(input, o);
  CHECK(off.text.empty() && !off.stats.text_truncated);
  // Nothing may be fed after end(); feeding empty chunks changes nothing.
  SseUsageScanner scanner(options(SseFormat::OpenAI));
  CHECK(scanner.feed(nullptr, 0).size() == 0);
  scanner.end();
  CHECK(scanner.ended());
  const uint8_t byte = 'x';
  CHECK(scanner.feed(&byte, 1).size() == 0 && scanner.stats().bytes_in == 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_fixtures = argv[1];
  test_fixtures();
  test_escapes_split_everywhere();
  test_sse_framing();
  test_usage_semantics();
  test_malformed();
  test_strip_mode();
  test_oversized();
  test_text_bound_and_options();
  std::printf("sse_usage_test: %d passed, %d failed\n", ::ailb::check::passed, ::ailb::check::failed);
  return ::ailb::check::failed == 0 ? 0 : 1;
}
