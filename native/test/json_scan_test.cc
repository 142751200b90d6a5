// Unit tests for json_scan.h. No framework: each CHECK counts a pass or prints the failure;
// the exit status is non-zero when anything failed.
//
// Every input is copied into a heap block of exactly its length, so a sanitizer build reports
// any read past the end of the body.

#include "check.h"
#include "json_scan.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

using ailb::JsonKind;
using ailb::ScanError;
using ailb::ScanResult;

namespace {



std::string printable(const std::string& s) {
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
  return out.size() > 120 ? out.substr(0, 120) + "..." : out;
}

ScanResult scan(const std::string& body) {
  std::unique_ptr<uint8_t[]> exact(new uint8_t[body.size()]);
  std::memcpy(exact.get(), body.data(), body.size());
  return ailb::scan_request(exact.get(), body.size());
}

void expect_error(const std::string& body, ScanError error, int32_t offset, int line) {
  const ScanResult r = scan(body);
  const bool ok = r.error == error && r.error_offset == offset;
  bool fields_absent = true;
  for (const auto& f : r.fields) fields_absent &= f.kind == 0 && f.start == 0 && f.end == 0;
  AILB_REPORT(ok && fields_absent, "expect_error", line,
         "body=\"" + printable(body) + "\" want " + std::to_string(static_cast<int>(error)) +
             "@" + std::to_string(offset) + " got " +
             std::to_string(static_cast<int>(r.error)) + "@" +
             std::to_string(r.error_offset) + (fields_absent ? "" : " (fields not cleared)"));
}

void expect_ok(const std::string& body, int line) {
  const ScanResult r = scan(body);
  AILB_REPORT(r.error == ScanError::Ok, "expect_ok", line,
         "body=\"" + printable(body) + "\" got " + std::to_string(static_cast<int>(r.error)) +
             "@" + std::to_string(r.error_offset));
}

// The field's kind and the exact bytes of its span.
void expect_field(const std::string& body, int field, JsonKind kind, const std::string& text,
                  int line) {
  const ScanResult r = scan(body);
  const auto& f = r.fields[field];
  const bool in_bounds = f.start >= 0 && f.start <= f.end && f.end <= (int32_t)body.size();
  const std::string got = in_bounds ? body.substr(f.start, f.end - f.start) : "<out of bounds>";
  const bool ok = r.error == ScanError::Ok && f.kind == static_cast<int32_t>(kind) && got == text;
  AILB_REPORT(ok, "expect_field", line,
         "body=\"" + printable(body) + "\" field " + ailb::kScanFieldNames[field] + " want kind " +
             std::to_string(static_cast<int>(kind)) + " \"" + printable(text) + "\" got error " +
             std::to_string(static_cast<int>(r.error)) + " kind " + std::to_string(f.kind) +
             " \"" + printable(got) + "\"");
}

void expect_absent(const std::string& body, int field, int line) {
  const ScanResult r = scan(body);
  const auto& f = r.fields[field];
  AILB_REPORT(r.error == ScanError::Ok && f.kind == 0 && f.start == 0 && f.end == 0, "expect_absent",
         line, "body=\"" + printable(body) + "\" field " + ailb::kScanFieldNames[field]);
}

#define EXPECT_ERROR(body, error, offset) expect_error(body, ScanError::error, offset, __LINE__)
#define EXPECT_OK(body) expect_ok(body, __LINE__)
#define EXPECT_FIELD(body, field, kind, text) \
  expect_field(body, ailb::field, JsonKind::kind, text, __LINE__)
#define EXPECT_ABSENT(body, field) expect_absent(body, ailb::field, __LINE__)

// std::string from a literal that may hold NUL bytes.
template <size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

void test_empty_and_not_object() {
  EXPECT_ERROR("", Empty, 0);
  EXPECT_ERROR(" \t\r\n", Empty, 4);
  EXPECT_ERROR("[]", NotObject, 0);
  EXPECT_ERROR("  \"model\"", NotObject, 2);
  EXPECT_ERROR("1", NotObject, 0);
  EXPECT_ERROR("null", NotObject, 0);
  EXPECT_ERROR("\xEF\xBB\xBF{}", NotObject, 0);  // BOM: JSON.parse rejects it as well
  EXPECT_ERROR("\f{}", NotObject, 0);            // form feed is not JSON whitespace
  EXPECT_ERROR(bytes("\0{}"), NotObject, 0);
}

void test_unexpected_byte() {
  EXPECT_ERROR("{\"a\" 1}", UnexpectedByte, 5);
  EXPECT_ERROR("{\"a\":1 \"b\":2}", UnexpectedByte, 7);
  EXPECT_ERROR("{,}", UnexpectedByte, 1);
  EXPECT_ERROR("{\"a\":1,}", UnexpectedByte, 7);  // trailing comma in object
  EXPECT_ERROR("{\"a\":[1,]}", UnexpectedByte, 8);  // trailing comma in array
  EXPECT_ERROR("{\"a\":[,1]}", UnexpectedByte, 6);
  EXPECT_ERROR("{\"a\":tru}", UnexpectedByte, 8);
  EXPECT_ERROR("{\"a\":nul}", UnexpectedByte, 8);
  EXPECT_ERROR("{\"a\":True}", UnexpectedByte, 5);
  EXPECT_ERROR("{\"a\":truex}", UnexpectedByte, 9);
  EXPECT_ERROR("{\"a\":x}", UnexpectedByte, 5);
  EXPECT_ERROR("{'a':1}", UnexpectedByte, 1);
  EXPECT_ERROR("{a:1}", UnexpectedByte, 1);
  EXPECT_ERROR("{\"a\":1]", UnexpectedByte, 6);
  EXPECT_ERROR("{\"a\":[1}", UnexpectedByte, 7);
  EXPECT_ERROR("{\"a\"::1}", UnexpectedByte, 5);
  EXPECT_ERROR("{\"a\":1,,\"b\":2}", UnexpectedByte, 7);
  EXPECT_ERROR("{\"a\":\xC3\xA9}", UnexpectedByte, 5);  // raw non-ASCII outside a string
  EXPECT_ERROR("{\"a\":1/*c*/}", UnexpectedByte, 6);
  EXPECT_ERROR("{\"a\":undefined}", UnexpectedByte, 5);
  EXPECT_ERROR("{\"a\":\f1}", UnexpectedByte, 5);
}

void test_unexpected_end() {
  EXPECT_ERROR("{", UnexpectedEnd, 1);
  EXPECT_ERROR("{ ", UnexpectedEnd, 2);
  EXPECT_ERROR("{\"a", UnexpectedEnd, 3);
  EXPECT_ERROR("{\"a\"", UnexpectedEnd, 4);
  EXPECT_ERROR("{\"a\":", UnexpectedEnd, 5);
  EXPECT_ERROR("{\"a\":\"abc", UnexpectedEnd, 9);
  EXPECT_ERROR("{\"a\":1", UnexpectedEnd, 6);
  EXPECT_ERROR("{\"a\":1,", UnexpectedEnd, 7);
  EXPECT_ERROR("{\"a\":[", UnexpectedEnd, 6);
  EXPECT_ERROR("{\"a\":[1,", UnexpectedEnd, 8);
  EXPECT_ERROR("{\"a\":{}", UnexpectedEnd, 7);
  EXPECT_ERROR("{\"a\":tr", UnexpectedEnd, 7);
  EXPECT_ERROR("{\"a\":\"\\", UnexpectedEnd, 7);
  EXPECT_ERROR("{\"a\":\"\\u12", UnexpectedEnd, 10);
  EXPECT_ERROR("{\"a\":-", UnexpectedEnd, 6);
  EXPECT_ERROR("{\"a\":1.", UnexpectedEnd, 7);
  EXPECT_ERROR("{\"a\":1e", UnexpectedEnd, 7);
  EXPECT_ERROR("{\"a\":1e+", UnexpectedEnd, 8);
  EXPECT_ERROR("{\"a\":\"\xE2\x82", UnexpectedEnd, 8);  // truncated by the end of input
  EXPECT_ERROR("{\"a\":\"\xF0\x9F\x98", UnexpectedEnd, 9);
}

void test_bad_string() {
  EXPECT_ERROR("{\"a\":\"x\ny\"}", BadString, 7);
  EXPECT_ERROR("{\"a\":\"\t\"}", BadString, 6);
  EXPECT_ERROR("{\"a\":\"\x1F\"}", BadString, 6);
  EXPECT_ERROR(bytes("{\"a\":\"\0\"}"), BadString, 6);
  EXPECT_ERROR("{\"a\x01\":1}", BadString, 3);  // in a key
  EXPECT_OK("{\"a\":\"\x7F\"}");                // DEL is allowed
}

void test_bad_escape() {
  EXPECT_ERROR("{\"a\":\"\\x\"}", BadEscape, 6);
  EXPECT_ERROR("{\"a\":\"\\'\"}", BadEscape, 6);
  EXPECT_ERROR("{\"a\":\"\\U0041\"}", BadEscape, 6);
  EXPECT_ERROR("{\"a\":\"ab\\u12G4\"}", BadEscape, 8);
  EXPECT_ERROR("{\"a\":\"\\u004\"}", BadEscape, 6);  // the quote is not a hex digit
  EXPECT_ERROR("{\"a\":\"\\\xC3\xA9\"}", BadEscape, 6);
  EXPECT_ERROR("{\"a\\z\":1}", BadEscape, 3);  // in a key
}

void test_bad_utf8() {
  EXPECT_ERROR("{\"a\":\"\x80\"}", BadUtf8, 6);              // stray continuation
  EXPECT_ERROR("{\"a\":\"ab\xBF\"}", BadUtf8, 8);
  EXPECT_ERROR("{\"a\":\"\xC0\xAF\"}", BadUtf8, 6);          // overlong '/'
  EXPECT_ERROR("{\"a\":\"\xC1\xBF\"}", BadUtf8, 6);          // overlong
  EXPECT_ERROR("{\"a\":\"\xE0\x80\xAF\"}", BadUtf8, 6);      // overlong 3-byte
  EXPECT_ERROR("{\"a\":\"\xE0\x9F\xBF\"}", BadUtf8, 6);      // overlong U+07FF
  EXPECT_ERROR("{\"a\":\"\xF0\x80\x80\xAF\"}", BadUtf8, 6);  // overlong 4-byte
  EXPECT_ERROR("{\"a\":\"\xF0\x8F\xBF\xBF\"}", BadUtf8, 6);  // overlong U+FFFF
  EXPECT_ERROR("{\"a\":\"\xED\xA0\x80\"}", BadUtf8, 6);      // U+D800 encoded
  EXPECT_ERROR("{\"a\":\"\xED\xBF\xBF\"}", BadUtf8, 6);      // U+DFFF encoded
  EXPECT_ERROR("{\"a\":\"\xF4\x90\x80\x80\"}", BadUtf8, 6);  // U+110000
  EXPECT_ERROR("{\"a\":\"\xF5\x80\x80\x80\"}", BadUtf8, 6);
  EXPECT_ERROR("{\"a\":\"\xF8\x88\x80\x80\x80\"}", BadUtf8, 6);
  EXPECT_ERROR("{\"a\":\"\xFF\"}", BadUtf8, 6);
  EXPECT_ERROR("{\"a\":\"\xFE\"}", BadUtf8, 6);
  EXPECT_ERROR("{\"a\":\"\xC3\"}", BadUtf8, 6);              // truncated by the quote
  EXPECT_ERROR("{\"a\":\"\xC3x\"}", BadUtf8, 6);
  EXPECT_ERROR("{\"a\":\"\xE2\x82\"}", BadUtf8, 6);
  EXPECT_ERROR("{\"a\":\"\xF0\x9F\x98\"}", BadUtf8, 6);
  EXPECT_ERROR("{\"a\":\"\xC3\xA9\xA9\"}", BadUtf8, 8);      // continuation after a full char
  EXPECT_ERROR("{\"a\":\"\xE2\x82\xAC\xF0\x9F\x98\x80\xED\xA0\x80\"}", BadUtf8, 13);
  EXPECT_ERROR("{\"k\xE9y\":1}", BadUtf8, 3);                // Latin-1 in a key
}

void test_numbers() {
  const char* valid[] = {"0",      "-0",    "1",       "-1",     "10",       "1.5",
                         "0.0",    "1e5",   "1E5",     "1e+5",   "1e-5",     "-0.5e-10",
                         "0e0",    "0.25E+02", "123456789012345678901234567890",
                         "1.7976931348623157e308", "5e-324"};
  for (const char* n : valid) {
    EXPECT_FIELD(std::string("{\"max_tokens\":") + n + "}", kMaxTokens, Number, n);
    EXPECT_FIELD(std::string("{\"max_tokens\":") + n + " }", kMaxTokens, Number, n);
  }
  EXPECT_ERROR("{\"a\":01}", BadNumber, 6);
  EXPECT_ERROR("{\"a\":-01}", BadNumber, 7);
  EXPECT_ERROR("{\"a\":00}", BadNumber, 6);
  EXPECT_ERROR("{\"a\":-}", BadNumber, 6);
  EXPECT_ERROR("{\"a\":- 1}", BadNumber, 6);
  EXPECT_ERROR("{\"a\":1.}", BadNumber, 7);
  EXPECT_ERROR("{\"a\":1.e5}", BadNumber, 7);
  EXPECT_ERROR("{\"a\":1e}", BadNumber, 7);
  EXPECT_ERROR("{\"a\":1e+}", BadNumber, 8);
  EXPECT_ERROR("{\"a\":1e+-1}", BadNumber, 8);
  EXPECT_ERROR("{\"a\":-Infinity}", BadNumber, 6);
  EXPECT_ERROR("{\"a\":-.5}", BadNumber, 6);
  EXPECT_ERROR("{\"a\":+1}", UnexpectedByte, 5);  // '+' cannot start a value
  EXPECT_ERROR("{\"a\":.5}", UnexpectedByte, 5);
  EXPECT_ERROR("{\"a\":NaN}", UnexpectedByte, 5);
  EXPECT_ERROR("{\"a\":Infinity}", UnexpectedByte, 5);
  EXPECT_ERROR("{\"a\":0x10}", UnexpectedByte, 6);
  EXPECT_ERROR("{\"a\":1.5.2}", UnexpectedByte, 8);
  EXPECT_ERROR("{\"a\":1e5e5}", UnexpectedByte, 8);
  EXPECT_ERROR("{\"a\":1 2}", UnexpectedByte, 7);
}

std::string nested_arrays(int depth) {
  return "{\"a\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

void test_depth() {
  // The top-level object is level 1, so 511 arrays reach exactly kMaxDepth.
  EXPECT_OK(nested_arrays(ailb::kMaxDepth - 1));
  EXPECT_ERROR(nested_arrays(ailb::kMaxDepth), TooDeep, 5 + ailb::kMaxDepth - 1);
  std::string objects = "{";
  for (int i = 1; i < ailb::kMaxDepth; ++i) objects += "\"k\":{";
  EXPECT_OK(objects + std::string(ailb::kMaxDepth, '}'));
  EXPECT_ERROR(objects + "\"k\":{}" + std::string(ailb::kMaxDepth, '}'), TooDeep,
               static_cast<int32_t>(objects.size()) + 4);
  // Hostile depth far beyond the limit fails fast, without recursion.
  EXPECT_ERROR("{\"a\":" + std::string(1000000, '['), TooDeep, 5 + ailb::kMaxDepth - 1);
}

void test_trailing_data() {
  EXPECT_ERROR("{} x", TrailingData, 3);
  EXPECT_ERROR("{}{}", TrailingData, 2);
  EXPECT_ERROR("{}}", TrailingData, 2);
  EXPECT_ERROR(bytes("{}\0"), TrailingData, 2);
  EXPECT_OK("{} \r\n\t ");
}

void test_too_large() {
  const uint8_t one = '{';
  // The size check comes before any read, so a one-byte buffer is enough to exercise it.
  const ScanResult r = ailb::scan_request(&one, ailb::kMaxScanBytes + 1);
  CHECK(r.error == ScanError::TooLarge && r.error_offset == 0);
  CHECK(ailb::scan_request(nullptr, 0).error == ScanError::Empty);
}

const char kFullBody[] =
    "{\"model\":\"gpt-4o\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
    "\"max_tokens\":100,\"max_completion_tokens\":null,\"user\":\"u-1\","
    "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":0.2}";

void test_every_field_kind() {
  const std::string body = kFullBody;
  EXPECT_FIELD(body, kModel, String, "gpt-4o");
  EXPECT_FIELD(body, kStream, True, "true");
  EXPECT_FIELD(body, kStreamOptions, Object, "{\"include_usage\":true}");
  EXPECT_FIELD(body, kMaxTokens, Number, "100");
  EXPECT_FIELD(body, kMaxCompletionTokens, Null, "null");
  EXPECT_FIELD(body, kUser, String, "u-1");
  EXPECT_FIELD(body, kMessages, Array, "[{\"role\":\"user\",\"content\":\"hi\"}]");
  EXPECT_FIELD("{\"stream\":false}", kStream, False, "false");
  EXPECT_FIELD("{\"model\":\"a\\\"b\"}", kModel, StringEscaped, "a\\\"b");
  EXPECT_FIELD("{\"model\":\"\"}", kModel, String, "");
  EXPECT_FIELD("{\"model\":7}", kModel, Number, "7");
  EXPECT_FIELD("{\"messages\":[]}", kMessages, Array, "[]");
  EXPECT_FIELD("{\"messages\":[ \n ]}", kMessages, Array, "[ \n ]");
  EXPECT_FIELD("{\"stream_options\":{}}", kStreamOptions, Object, "{}");
  EXPECT_FIELD("{\"stream_options\":{ }}", kStreamOptions, Object, "{ }");
  EXPECT_FIELD("{\"user\":[[{}],{\"a\":[]}]}", kUser, Array, "[[{}],{\"a\":[]}]");
  const ScanResult r = scan("{\"model\":\"m\"}");
  CHECK(r.fields[ailb::kModel].start == 10 && r.fields[ailb::kModel].end == 11);
  for (int f = 1; f < ailb::kFieldCount; ++f) CHECK(r.fields[f].kind == 0);
  EXPECT_ABSENT("{}", kModel);
  EXPECT_ABSENT("{\"Model\":\"x\",\"models\":1,\"mode\":2}", kModel);
}

void test_duplicate_keys() {
  EXPECT_FIELD("{\"model\":\"a\",\"model\":\"b\"}", kModel, String, "b");
  EXPECT_FIELD("{\"model\":\"a\",\"x\":1,\"model\":{\"x\":1}}", kModel, Object, "{\"x\":1}");
  EXPECT_FIELD("{\"model\":[1,2],\"model\":null}", kModel, Null, "null");
  EXPECT_FIELD("{\"stream\":true,\"stream\":false}", kStream, False, "false");
  EXPECT_FIELD("{\"model\":\"a\",\"mod\\u0065l\":\"b\"}", kModel, String, "b");
}

void test_nested_keys_ignored() {
  const std::string body =
      "{\"messages\":[{\"model\":\"inner\",\"user\":\"x\",\"stream\":true}],"
      "\"metadata\":{\"model\":\"m2\",\"max_tokens\":5,\"deeper\":{\"user\":\"y\"}}}";
  EXPECT_ABSENT(body, kModel);
  EXPECT_ABSENT(body, kUser);
  EXPECT_ABSENT(body, kStream);
  EXPECT_ABSENT(body, kMaxTokens);
  EXPECT_FIELD(body, kMessages,
               Array, "[{\"model\":\"inner\",\"user\":\"x\",\"stream\":true}]");
  EXPECT_FIELD("{\"x\":{\"model\":\"inner\"},\"model\":\"outer\"}", kModel, String, "outer");
  EXPECT_FIELD("{\"model\":\"outer\",\"x\":{\"model\":\"inner\"}}", kModel, String, "outer");
  // A field whose container value holds the same key keeps the outer span.
  EXPECT_FIELD("{\"model\":{\"model\":\"inner\"}}", kModel, Object, "{\"model\":\"inner\"}");
  // A field name used as a string value is not a key.
  EXPECT_ABSENT("{\"x\":\"model\",\"y\":[\"model\"]}", kModel);
}

void test_escapes_in_strings() {
  EXPECT_FIELD("{\"model\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00\"}", kModel,
               StringEscaped, "a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\uDE00");
  // Lone surrogate escapes are accepted, as JSON.parse accepts them.
  EXPECT_FIELD("{\"user\":\"\\uD800\"}", kUser, StringEscaped, "\\uD800");
  EXPECT_FIELD("{\"user\":\"\\udc00x\"}", kUser, StringEscaped, "\\udc00x");
  EXPECT_FIELD("{\"user\":\"\\u0000\"}", kUser, StringEscaped, "\\u0000");
  EXPECT_FIELD("{\"user\":\"\\\\\"}", kUser, StringEscaped, "\\\\");
  EXPECT_FIELD("{\"user\":\"x\\\"\"}", kUser, StringEscaped, "x\\\"");
}

void test_escaped_keys() {
  EXPECT_FIELD("{\"mod\\u0065l\":\"a\"}", kModel, String, "a");
  EXPECT_FIELD("{\"\\u006D\\u006f\\u0064\\u0065\\u006C\":\"a\"}", kModel, String, "a");
  EXPECT_FIELD("{\"max\\u005fcompletion\\u005ftokens\":1}", kMaxCompletionTokens, Number, "1");
  EXPECT_FIELD("{\"\\u0075ser\":\"u\"}", kUser, String, "u");
  EXPECT_ABSENT("{\"model\\u0000\":\"x\"}", kModel);
  EXPECT_ABSENT("{\"mod\\u00e9l\":\"x\"}", kModel);
  EXPECT_ABSENT("{\"\\\\model\":\"x\"}", kModel);
  EXPECT_ABSENT("{\"model\\n\":\"x\"}", kModel);
  EXPECT_ABSENT("{\"max_completion_tokens\\u0020\":1}", kMaxCompletionTokens);
  EXPECT_ABSENT("{\"max_completion_tokens\\u0020and more\":1}", kMaxCompletionTokens);
  EXPECT_ABSENT("{\"\\uD83D\\uDE00model\":\"x\"}", kModel);
  EXPECT_ABSENT("{\"x\":{\"mod\\u0065l\":\"inner\"}}", kModel);
}

void test_unicode() {
  EXPECT_FIELD("{\"model\":\"\xE6\xA8\xA1\xE5\x9E\x8B-\xF0\x9F\x98\x80\"}", kModel, String,
               "\xE6\xA8\xA1\xE5\x9E\x8B-\xF0\x9F\x98\x80");
  EXPECT_OK("{\"a\":\"\xC2\x80\xDF\xBF\"}");              // U+0080, U+07FF
  EXPECT_OK("{\"a\":\"\xE0\xA0\x80\xED\x9F\xBF\"}");      // U+0800, U+D7FF
  EXPECT_OK("{\"a\":\"\xEE\x80\x80\xEF\xBF\xBF\"}");      // U+E000, U+FFFF
  EXPECT_OK("{\"a\":\"\xF0\x90\x80\x80\xF4\x8F\xBF\xBF\"}");  // U+10000, U+10FFFF
  EXPECT_OK("{\"a\":\"\xE2\x80\xA8\xE2\x80\xA9\"}");      // U+2028, U+2029
  EXPECT_OK("{\"\xE9\x94\xAE\":\"\xE5\x80\xBC\"}");       // non-ASCII key
  EXPECT_FIELD("{\"mod\xC3\xA9l\":1,\"model\":\"\xC3\xA9\"}", kModel, String, "\xC3\xA9");
}

void test_whitespace_variants() {
  const std::string body =
      "\r\n\t {\n  \"model\" \t:\r \"x\" ,\n  \"stream\"\n:\nfalse\t,\"messages\" : [ 1 , 2 ] "
      "} \n";
  EXPECT_FIELD(body, kModel, String, "x");
  EXPECT_FIELD(body, kStream, False, "false");
  EXPECT_FIELD(body, kMessages, Array, "[ 1 , 2 ]");
  EXPECT_OK("{}");
  EXPECT_OK(" { } ");
}

// Special bytes at every offset around the 16- and 32-byte vector steps, so each lane of the
// vector loop and the scalar tail is exercised.
void test_vector_boundaries() {
  for (int len = 0; len < 80; ++len) {
    for (int at = 0; at < len; ++at) {
      std::string content(len, 'a');
      std::string body = "{\"a\":\"" + content + "\"}";
      body[6 + at] = '\x01';
      EXPECT_ERROR(body, BadString, 6 + at);
      body[6 + at] = '\x80';
      EXPECT_ERROR(body, BadUtf8, 6 + at);
      body[6 + at] = '"';
      EXPECT_ERROR(body, UnexpectedByte, 7 + at);
      std::string escaped = "{\"user\":\"" + content + "\"}";
      escaped.replace(9 + at, 1, "\\n");
      EXPECT_FIELD(escaped, kUser, StringEscaped, escaped.substr(9, len + 1));
    }
    // Unterminated strings of every length end exactly at the buffer end.
    EXPECT_ERROR("{\"a\":\"" + std::string(len, 'b'), UnexpectedEnd, 6 + len);
    EXPECT_FIELD("{\"model\":\"" + std::string(len, 'm') + "\"}", kModel, String,
                 std::string(len, 'm'));
  }
}

void test_large_string() {
  std::string content;
  const std::string phrase = "The quick brown fox \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 ";
  while (content.size() < 600 * 1024) content += phrase;
  const std::string messages = "[{\"role\":\"user\",\"content\":\"" + content + "\"}]";
  const std::string body = "{\"messages\":" + messages + ",\"model\":\"gpt-4o-mini\"}";
  EXPECT_FIELD(body, kMessages, Array, messages);
  EXPECT_FIELD(body, kModel, String, "gpt-4o-mini");
  std::string broken = body;
  const size_t at = 500 * 1024;
  broken[at] = '\xFF';
  // Whatever character byte `at` was in, the error is reported at or just before it.
  const ScanResult r = scan(broken);
  CHECK(r.error == ScanError::BadUtf8 && r.error_offset <= (int32_t)at &&
        r.error_offset >= (int32_t)at - 3);
}

void test_error_messages() {
  for (int32_t e = 0; e < ailb::kScanErrorCount; ++e) {
    const char* message = ailb::scan_error_message(static_cast<ScanError>(e));
    CHECK(message != nullptr && std::strcmp(message, "unknown scan error") != 0);
  }
  CHECK(std::strcmp(ailb::scan_error_message(static_cast<ScanError>(99)),
                    "unknown scan error") == 0);
  CHECK(std::strcmp(ailb::scan_error_message(ScanError::BadUtf8),
                    "invalid UTF-8 in JSON string") == 0);
}

}  // namespace

int main() {
  test_empty_and_not_object();
  test_unexpected_byte();
  test_unexpected_end();
  test_bad_string();
  test_bad_escape();
  test_bad_utf8();
  test_numbers();
  test_depth();
  test_trailing_data();
  test_too_large();
  test_every_field_kind();
  test_duplicate_keys();
  test_nested_keys_ignored();
  test_escapes_in_strings();
  test_escaped_keys();
  test_unicode();
  test_whitespace_variants();
  test_vector_boundaries();
  test_large_string();
  test_error_messages();
  std::printf("%d passed, %d failed\n", ::ailb::check::passed, ::ailb::check::failed);
  return ::ailb::check::failed == 0 ? 0 : 1;
}
