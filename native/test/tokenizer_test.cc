// Unit tests for pretokenize.h, bpe.h, tokenizer.h, json_walk.h and chat_tokens.h. No framework:
// each CHECK counts a pass or prints the failure; the exit status is non-zero when anything
// failed. The real encodings are tested against tiktoken itself in
// test/native/tokenizer.test.ts; here the BPE runs on small hand-made rank tables.
//
// Inputs are copied into heap blocks of exactly their length, so a sanitizer build reports any
// read past the end.

#include "check.h"
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "chat_tokens.h"
#include "tokenizer.h"

namespace {

using ailb::bpe::Pattern;


#define CHECK_EQ(a, b) AILB_REPORT((a) == (b), #a " == " #b, __LINE__, "got " + show(a) + " want " + show(b))

std::string show(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '"') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", c);
      out += hex;
    }
  }
  return out + "\"";
}
std::string show(long long v) { return std::to_string(v); }
std::string show(const std::vector<std::string>& v) {
  std::string out = "[";
  for (const auto& s : v) out += show(s) + ",";
  return out + "]";
}
std::string show(const std::vector<uint32_t>& v) {
  std::string out = "[";
  for (uint32_t r : v) out += std::to_string(r) + ",";
  return out + "]";
}

struct Exact {
  std::unique_ptr<uint8_t[]> bytes;
  size_t size;
  explicit Exact(const std::string& s) : bytes(new uint8_t[s.size() + 1]), size(s.size()) {
    std::memcpy(bytes.get(), s.data(), s.size());
  }
  const uint8_t* data() const { return bytes.get(); }
};

std::vector<std::string> pieces(Pattern pattern, const std::string& text) {
  const Exact exact(text);
  std::vector<std::string> out;
  ailb::bpe::for_each_piece(pattern, exact.data(), exact.size, [&](const uint8_t* p, size_t n) {
    out.emplace_back(reinterpret_cast<const char*>(p), n);
  });
  return out;
}

#define SPLITS(pattern, text, ...) \
  CHECK_EQ(pieces(pattern, text), (std::vector<std::string>{__VA_ARGS__}))

void test_pretokenize_o200k() {
  const Pattern o = Pattern::kO200k;
  SPLITS(o, "hello world", "hello", " world");
  SPLITS(o, "Hello, World!", "Hello", ",", " World", "!");
  // Contractions attach to the word before them, in any case, and U+017F folds to s.
  SPLITS(o, "don't DON'T we'LL", "don't", " DON'T", " we'LL");
  SPLITS(o, "it'\xC5\xBF", "it'\xC5\xBF");
  SPLITS(o, "'s", "'s");
  SPLITS(o, "x'sy", "x's", "y");
  // Upper then lower: camel case splits before each capital that starts a lower run.
  SPLITS(o, "HTTPServer", "HTTPServer");
  SPLITS(o, "helloWorld", "hello", "World");
  SPLITS(o, "ABCdef", "ABCdef");
  // Numbers in groups of up to three.
  SPLITS(o, "1234567", "123", "456", "7");
  SPLITS(o, "a1", "a", "1");
  // Punctuation keeps a leading space and trailing newlines or slashes.
  SPLITS(o, " !!\n\nx", " !!\n\n", "x");
  SPLITS(o, "a//b", "a", "//", "b");
  SPLITS(o, ".//\n", ".//\n");
  // Spaces: the last one before a word joins the word; runs end at their last newline.
  SPLITS(o, "a   b", "a", "  ", " b");
  SPLITS(o, "a  \n  b", "a", "  \n", " ", " b");
  SPLITS(o, "x\r\n\r\n  y", "x", "\r\n\r\n", " ", " y");
  SPLITS(o, "end   ", "end", "   ");
  SPLITS(o, " ", " ");
  SPLITS(o, "\t\tx", "\t", "\tx");
  // A space before a number is a piece of its own (the number alternative has no prefix).
  SPLITS(o, "a 12", "a", " ", "12");
  // Non-ASCII: CJK is one word; a combining mark continues a word; NBSP and U+3000 are spaces.
  SPLITS(o, "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E");
  SPLITS(o, "e\xCC\x81t\xC3\xA9", "e\xCC\x81t\xC3\xA9");
  SPLITS(o, "a\xC2\xA0" "b", "a", "\xC2\xA0" "b");
  SPLITS(o, "a\xE3\x80\x80\xE3\x80\x80" "b", "a", "\xE3\x80\x80", "\xE3\x80\x80" "b");
  // Ill-formed UTF-8: one byte at a time, of no class.
  SPLITS(o, "a\xFF\xFE" "b", "a", "\xFF\xFE", "b");
  SPLITS(o, "\xE6\x97", "\xE6\x97");
}

void test_pretokenize_cl100k() {
  const Pattern c = Pattern::kCl100k;
  SPLITS(c, "hello world", "hello", " world");
  // Contractions are pieces of their own, before any word.
  SPLITS(c, "don't", "don", "'t");
  SPLITS(c, "'sand", "'s", "and");
  SPLITS(c, "WE'LL", "WE", "'LL");
  SPLITS(c, "'\xC5\xBFx", "'\xC5\xBF", "x");
  SPLITS(c, "helloWorld", "helloWorld");
  SPLITS(c, "1234567", "123", "456", "7");
  // No slash after punctuation.
  SPLITS(c, ".//\n", ".//\n");
  SPLITS(c, "!/\nx", "!/\n", "x");
  SPLITS(c, "a  \n  b", "a", "  \n", " ", " b");
  // A mark is not a letter in cl100k: it starts a new word as its prefix.
  SPLITS(c, "e\xCC\x81t", "e", "\xCC\x81t");
}

// A tiny encoding: every byte is a token (rank = byte value), then the tokens below.
ailb::bpe::RankTable tiny_table(const std::vector<std::string>& merges) {
  ailb::bpe::TokenList list;
  for (int b = 0; b < 256; ++b) {
    const uint8_t byte = static_cast<uint8_t>(b);
    list.add(&byte, 1, static_cast<uint32_t>(b));
  }
  uint32_t rank = 256;
  for (const std::string& m : merges) list.add(m.data(), m.size(), rank++);
  ailb::bpe::RankTable table;
  std::string error;
  if (!table.build(std::move(list), &error)) std::fprintf(stderr, "tiny_table: %s\n", error.c_str());
  return table;
}

std::vector<uint32_t> encode_piece(const ailb::bpe::RankTable& table, const std::string& piece) {
  const Exact exact(piece);
  std::vector<uint32_t> out;
  ailb::bpe::merge(table, exact.data(), exact.size, exact.size, [&](uint32_t r) { out.push_back(r); });
  return out;
}

std::vector<uint32_t> encode_linear(const ailb::bpe::RankTable& table, const std::string& piece) {
  const Exact exact(piece);
  std::vector<uint32_t> out;
  ailb::bpe::detail::merge_linear(table, exact.data(), exact.size, exact.size,
                                  [&](uint32_t r) { out.push_back(r); });
  return out;
}

std::vector<uint32_t> encode_long(const ailb::bpe::RankTable& table, const std::string& piece) {
  const Exact exact(piece);
  std::vector<uint32_t> out;
  ailb::bpe::detail::merge_long(table, exact.data(), exact.size, exact.size,
                                [&](uint32_t r) { out.push_back(r); });
  return out;
}

void test_bpe_merge() {
  // 256 ab, 257 bc, 258 abc, 259 aa, 260 aaaa, 261 cd, 262 bcd
  const auto table = tiny_table({"ab", "bc", "abc", "aa", "aaaa", "cd", "bcd"});
  CHECK_EQ(table.size(), size_t{263});
  CHECK_EQ(table.find(reinterpret_cast<const uint8_t*>("abc"), 3, 3), 258u);
  CHECK_EQ(table.find(reinterpret_cast<const uint8_t*>("abd"), 3, 3), ailb::bpe::kNoRank);
  // A whole-piece token is found directly.
  CHECK_EQ(encode_piece(table, "abc"), (std::vector<uint32_t>{258}));
  // ab (256) merges before bc (257); then ab+c is abc; d stays.
  CHECK_EQ(encode_piece(table, "abcd"), (std::vector<uint32_t>{258, 'd'}));
  // b c d: bc (257) first, then bcd (262); the a is left alone since ab no longer exists.
  CHECK_EQ(encode_piece(table, "xbcd"), (std::vector<uint32_t>{'x', 262}));
  // Equal ranks merge leftmost first: aaa -> aa a.
  CHECK_EQ(encode_piece(table, "aaa"), (std::vector<uint32_t>{259, 'a'}));
  CHECK_EQ(encode_piece(table, "aaaaa"), (std::vector<uint32_t>{260, 'a'}));
  CHECK_EQ(encode_piece(table, "zz"), (std::vector<uint32_t>{'z', 'z'}));
  // The linear and the long-piece merge agree, on a long run of one letter too.
  const std::string run(1000, 'a');
  const auto long_run = encode_long(table, run);
  CHECK_EQ(long_run.size(), size_t{250});
  CHECK_EQ(long_run, encode_linear(table, std::string(100, 'a')) == std::vector<uint32_t>(25, 260)
                         ? std::vector<uint32_t>(250, 260)
                         : std::vector<uint32_t>());
  uint32_t seed = 7;
  for (int round = 0; round < 2000; ++round) {
    std::string piece;
    const size_t n = 2 + round % 120;
    for (size_t i = 0; i < n; ++i) {
      seed = seed * 1103515245u + 12345u;
      piece.push_back("abcdx"[(seed >> 16) % (round % 2 ? 3 : 5)]);
    }
    const auto linear = encode_linear(table, piece);
    const auto heap = encode_long(table, piece);
    AILB_REPORT(linear == heap, "linear == long", __LINE__, show(piece) + " " + show(linear) + " " + show(heap));
  }
  // Ranks need not follow the merge order: a longer token with a lower rank merges first.
  const auto odd = tiny_table({"bc", "ab"});  // bc 256, ab 257
  CHECK_EQ(encode_piece(odd, "abc"), (std::vector<uint32_t>{'a', 256}));
  CHECK_EQ(encode_long(odd, "abcabc"), encode_linear(odd, "abcabc"));
}

void test_rank_table_errors() {
  std::string error;
  {
    ailb::bpe::TokenList list;
    for (int b = 0; b < 255; ++b) {
      const uint8_t byte = static_cast<uint8_t>(b);
      list.add(&byte, 1, static_cast<uint32_t>(b));
    }
    ailb::bpe::RankTable table;
    CHECK(!table.build(std::move(list), &error));
    CHECK_EQ(error, std::string("a single byte is not a token"));
  }
  {
    ailb::bpe::TokenList list;
    for (int b = 0; b < 256; ++b) {
      const uint8_t byte = static_cast<uint8_t>(b);
      list.add(&byte, 1, static_cast<uint32_t>(b));
    }
    list.add("ab", 2, 300);
    list.add("ab", 2, 301);
    ailb::bpe::RankTable table;
    CHECK(!table.build(std::move(list), &error));
    CHECK_EQ(error, std::string("token listed twice"));
  }
  {
    ailb::bpe::TokenList list;
    for (int b = 0; b < 256; ++b) {
      const uint8_t byte = static_cast<uint8_t>(b);
      list.add(&byte, 1, static_cast<uint32_t>(b));
    }
    list.add("ab", 2, 7);
    ailb::bpe::RankTable table;
    CHECK(!table.build(std::move(list), &error));
    CHECK_EQ(error, std::string("rank listed twice"));
  }
}

void test_parse_bpe_ranks() {
  std::string error;
  ailb::bpe::TokenList list;
  const std::string text = "! 0 YQ== Yg== ! 10 YWI= Yw==\n! 20 ZGVm";
  CHECK(ailb::bpe::parse_bpe_ranks(reinterpret_cast<const uint8_t*>(text.data()), text.size(), &list, &error));
  CHECK_EQ(list.entries.size(), size_t{5});
  if (list.entries.size() == 5) {
    CHECK_EQ(list.entries[2].rank, 10u);
    CHECK_EQ(list.entries[3].rank, 11u);
    CHECK_EQ(list.entries[4].rank, 20u);
    CHECK_EQ(std::string(reinterpret_cast<const char*>(list.bytes.data()) + list.entries[4].offset,
                         list.entries[4].length),
             std::string("def"));
  }
  const std::string bad = "! 0 Y$==";
  CHECK(!ailb::bpe::parse_bpe_ranks(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), &list, &error));
  const std::string open = "! 0 YQ== !";
  CHECK(!ailb::bpe::parse_bpe_ranks(reinterpret_cast<const uint8_t*>(open.data()), open.size(), &list, &error));
}

void test_json_walk() {
  const Exact body(R"( {"a": [1, {"b": "x\"y"}], "k\u0065y": "v\u00e9\ud83d\ude00\ud800!", "a": null} )");
  const ailb::json::Doc doc(body.data(), body.size);
  ailb::json::Value root;
  size_t next;
  CHECK(doc.read(0, &root, &next));
  CHECK(root.is(ailb::json::Type::kObject));
  CHECK_EQ(doc.skip_space(next), body.size);
  // The last of repeated keys wins; escaped keys match their decoded text.
  CHECK(doc.member(root, "a").is(ailb::json::Type::kNull));
  const auto v = doc.member(root, "key");
  CHECK(v.is(ailb::json::Type::kString) && v.escaped);
  std::string text;
  doc.decode_string(v, &text);
  CHECK_EQ(text, std::string("v\xC3\xA9\xF0\x9F\x98\x80\xEF\xBF\xBD!"));
  CHECK(!doc.member(root, "missing").present());
  const Exact bad(R"({"a": [1, 2)");
  const ailb::json::Doc broken(bad.data(), bad.size);
  CHECK(!broken.read(0, &root, &next));
}

// Strings around the 16-byte steps of the quote/backslash search: every length up to 40, with an
// escape at every position, then an unterminated string of every length (read fails, and under
// ASan no byte past the exactly-sized buffer is read).
void test_json_walk_string_steps() {
  for (size_t length = 0; length <= 40; ++length) {
    for (long escape_at = -1; escape_at < static_cast<long>(length); ++escape_at) {
      std::string raw;
      for (size_t i = 0; i < length; ++i) raw += static_cast<long>(i) == escape_at ? std::string("\\\"") : std::string(1, 'a' + i % 26);
      const Exact body("{\"k\":\"" + raw + "\",\"z\":1}");
      const ailb::json::Doc doc(body.data(), body.size);
      ailb::json::Value root;
      size_t next;
      CHECK(doc.read(0, &root, &next));
      const auto k = doc.member(root, "k");
      CHECK(k.is(ailb::json::Type::kString));
      CHECK_EQ(k.end - k.begin, raw.size());
      CHECK_EQ(k.escaped, escape_at >= 0);
      CHECK(doc.member(root, "z").is(ailb::json::Type::kNumber));
    }
    const Exact open("{\"k\":\"" + std::string(length, 'x'));
    const ailb::json::Doc doc(open.data(), open.size);
    ailb::json::Value root;
    size_t next;
    CHECK(!doc.read(0, &root, &next));
    const Exact trailing_backslash("\"" + std::string(length, 'x') + "\\");
    const ailb::json::Doc doc2(trailing_backslash.data(), trailing_backslash.size);
    CHECK(!doc2.read(0, &root, &next));
  }
}

// An encoding where every byte is a token: a string costs its length in bytes, so the formula's
// arithmetic shows directly.
const ailb::bpe::Encoding& byte_encoding() {
  static ailb::bpe::Encoding* encoding = [] {
    auto* e = new ailb::bpe::Encoding{Pattern::kO200k, tiny_table({})};
    return e;
  }();
  return *encoding;
}

long long chat(const std::string& body) {
  const Exact exact(body);
  return ailb::chat::count_chat_tokens(byte_encoding(), exact.data(), exact.size);
}

std::string tools_text(const std::string& body) {
  const Exact exact(body);
  ailb::chat::detail::Counter counter(byte_encoding(), exact.data(), exact.size);
  const ailb::json::Doc doc(exact.data(), exact.size);
  ailb::json::Value root;
  size_t next;
  doc.read(0, &root, &next);
  std::string out;
  counter.format_function_definitions(doc.member(root, "tools"), &out);
  return out;
}

void test_chat_formula() {
  // 3 priming + 3 per message + role + content bytes.
  CHECK_EQ(chat(R"({"messages":[{"role":"user","content":"hi"}]})"), 3 + 3 + 4 + 2);
  // name: its bytes + 1; null values and non-string values count nothing.
  CHECK_EQ(chat(R"({"messages":[{"role":"user","name":"bo","content":null,"x":1}]})"), 3 + 3 + 4 + 2 + 1);
  // Escapes are decoded before counting: "\n" is one byte, "\u00e9" two.
  CHECK_EQ(chat(R"({"messages":[{"role":"user","content":"a\n\u00e9"}]})"), 3 + 3 + 4 + 4);
  // Content parts: text, low/auto images (85), a high image of unknown size (255).
  CHECK_EQ(chat(R"({"messages":[{"role":"user","content":[{"type":"text","text":"abc"},)"
                R"({"type":"image_url","image_url":{"url":"https://x/y.png"}},)"
                R"({"type":"image_url","image_url":{"url":"https://x/y.png","detail":"high"}}]}]})"),
           3 + 3 + 4 + 3 + 85 + 255);
  // Tool calls count their arguments only; function_call too.
  CHECK_EQ(chat(R"({"messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function",)"
                R"("function":{"name":"f","arguments":"{}"}}]}]})"),
           3 + 3 + 9 + 2);
  // tool_choice "none" adds 1; an object 7 + the name.
  CHECK_EQ(chat(R"({"messages":[],"tool_choice":"none"})"), 3 + 1);
  CHECK_EQ(chat(R"({"messages":[],"tool_choice":{"type":"function","function":{"name":"get"}}})"), 3 + 7 + 3);
  // Not an object.
  CHECK_EQ(chat("[1]"), -1);
  CHECK_EQ(chat("{\"messages\":[} "), -1);

  const std::string tools =
      R"({"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now",)"
      R"("parameters":{"type":"object","properties":{"city":{"type":"string","description":"City"},)"
      R"("unit":{"type":"string","enum":["c","f"]},"days":{"type":"integer"},)"
      R"("opts":{"type":"object","properties":{"deep":{"type":"boolean"}}},"tags":{"type":"array","items":{"type":"string"}}},)"
      R"("required":["city"]}}},{"type":"function","function":{"name":"noop"}}]})";
  CHECK_EQ(tools_text(tools), std::string("namespace functions {\n\n"
                                          "// Weather now\n"
                                          "type get_weather = (_: {\n"
                                          "// City\n"
                                          "city: string,\n"
                                          "unit?: \"c\" | \"f\",\n"
                                          "days?: number,\n"
                                          "opts?: {\n"
                                          "  deep?: boolean,\n"
                                          "},\n"
                                          "tags?: string[],\n"
                                          "}) => any;\n\n"
                                          "type noop = () => any;\n\n"
                                          "} // namespace functions"));
  // With tools: + the rendering + 9, - 4 when there is a system message.
  const std::string with_system =
      R"({"messages":[{"role":"system","content":""}],"tools":[{"type":"function","function":{"name":"noop"}}]})";
  const long long rendered = static_cast<long long>(
      std::strlen("namespace functions {\n\ntype noop = () => any;\n\n} // namespace functions"));
  CHECK_EQ(chat(with_system), 3 + 3 + 6 + rendered + 9 - 4);
}

void test_image_sizes() {
  using ailb::chat::detail::high_detail_tokens;
  CHECK_EQ(high_detail_tokens(300, 300), 255);
  CHECK_EQ(high_detail_tokens(1024, 1024), 765);
  CHECK_EQ(high_detail_tokens(4096, 2048), 85 + 170 * 6);
  CHECK_EQ(high_detail_tokens(100, 10000), 765);
  CHECK_EQ(high_detail_tokens(768, 768), 85 + 170 * 4);
  CHECK_EQ(high_detail_tokens(512, 512), 255);
  int64_t w = 0, h = 0;
  std::string png("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x04\0\0\0\x02\0", 24);
  CHECK(ailb::chat::detail::image_size(reinterpret_cast<const uint8_t*>(png.data()), png.size(), &w, &h));
  CHECK_EQ(w, 1024);
  CHECK_EQ(h, 512);
  std::string gif("GIF89a\x20\x03\x58\x02", 10);
  CHECK(ailb::chat::detail::image_size(reinterpret_cast<const uint8_t*>(gif.data()), gif.size(), &w, &h));
  CHECK_EQ(w, 800);
  CHECK_EQ(h, 600);
  // JPEG: SOI, an APP0 segment, then SOF0 with height 0x0123 and width 0x0456.
  std::string jpeg("\xFF\xD8\xFF\xE0\x00\x04\xAA\xBB\xFF\xC0\x00\x11\x08\x01\x23\x04\x56", 17);
  CHECK(ailb::chat::detail::image_size(reinterpret_cast<const uint8_t*>(jpeg.data()), jpeg.size(), &w, &h));
  CHECK_EQ(w, 0x456);
  CHECK_EQ(h, 0x123);
  CHECK(!ailb::chat::detail::image_size(reinterpret_cast<const uint8_t*>(jpeg.data()), 12, &w, &h));
}

}  // namespace

int main() {
  test_pretokenize_o200k();
  test_pretokenize_cl100k();
  test_bpe_merge();
  test_rank_table_errors();
  test_parse_bpe_ranks();
  test_json_walk();
  test_json_walk_string_steps();
  test_chat_formula();
  test_image_sizes();
  std::printf("tokenizer_test: %d passed, %d failed\n", ::ailb::check::passed, ::ailb::check::failed);
  return ::ailb::check::failed == 0 ? 0 : 1;
}
