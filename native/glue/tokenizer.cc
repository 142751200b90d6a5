// N-API glue of the BPE tokenizer (tokenizer.h, chat_tokens.h).
//
// Exports (encoding: 0 = o200k_base, 1 = cl100k_base)
//   tokenizerLoaded(encoding): boolean     whether the process-wide table is built
//   tokenizerLoad(encoding, encoderJson: Uint8Array): void
//     Builds the table from the bytes of tiktoken's encoder file (encoders/<name>.json) unless it
//     is built already (by any thread). Throws an Error when the file is unusable, including
//     when its pat_str is not the pattern the native pre-tokenizer implements.
//   countTokens(encoding, text: Uint8Array | string): number
//   encodeTokens(encoding, text: Uint8Array | string): Uint32Array
//     encode_ordinary of the text's UTF-8 bytes (a string is converted to UTF-8 as
//     Buffer.from(text) does, lone surrogates becoming U+FFFD).
//   countChatTokens(encoding, body: Uint8Array): number
//     Prompt tokens of a chat/completions request body by the formula in chat_tokens.h, or -1
//     when the body is not a well-formed JSON object.
// Every function but tokenizerLoaded/tokenizerLoad throws an Error when the encoding is not
// loaded, and a RangeError for inputs of 2^31 bytes or more.

#include <cstring>
#include <string>
#include <vector>

#include "../chat_tokens.h"
#include "../tokenizer.h"
#include "glue.h"

namespace ailb::glue {
namespace {

using ailb::bpe::EncodingId;
using ailb::bpe::Registry;

constexpr size_t kMaxInputBytes = 0x7FFFFFFF;

bool encoding_arg(napi_env env, napi_value value, EncodingId* id) {
  int32_t n = -1;
  if (napi_get_value_int32(env, value, &n) != napi_ok || n < 0 || n >= ailb::bpe::kEncodingCount) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "encoding must be 0 or 1");
    return false;
  }
  *id = static_cast<EncodingId>(n);
  return true;
}

const ailb::bpe::Encoding* loaded_encoding(napi_env env, EncodingId id) {
  const ailb::bpe::Encoding* encoding = Registry::get(id);
  if (encoding == nullptr) napi_throw_error(env, "ERR_AILB_TOKENIZER", "encoding is not loaded");
  return encoding;
}

// Per-thread buffer for strings converted to UTF-8.
std::vector<char>& string_scratch() {
  thread_local std::vector<char> scratch;
  return scratch;
}

// The bytes of a Uint8Array, or of a string converted to UTF-8 in a per-thread buffer.
bool text_arg(napi_env env, napi_value value, const uint8_t** data, size_t* length) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok) return false;
  if (type == napi_string) {
    size_t needed = 0;
    if (napi_get_value_string_utf8(env, value, nullptr, 0, &needed) != napi_ok) return false;
    if (needed >= kMaxInputBytes) {
      napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "text must be shorter than 2^31 bytes");
      return false;
    }
    std::vector<char>& scratch = string_scratch();
    if (scratch.size() < needed + 1 || scratch.size() > (needed + 1) * 4 + (1u << 20)) {
      std::vector<char>(needed + 1).swap(scratch);
    }
    size_t written = 0;
    if (napi_get_value_string_utf8(env, value, scratch.data(), needed + 1, &written) != napi_ok) {
      return false;
    }
    *data = reinterpret_cast<const uint8_t*>(scratch.data());
    *length = written;
    return true;
  }
  void* bytes = nullptr;
  if (!typed_array(env, value, napi_uint8_array, "text must be a string, Uint8Array or Buffer",
                   &bytes, length)) {
    return false;
  }
  if (*length >= kMaxInputBytes) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "text must be shorter than 2^31 bytes");
    return false;
  }
  *data = bytes == nullptr ? reinterpret_cast<const uint8_t*>("") : static_cast<const uint8_t*>(bytes);
  if (bytes == nullptr) *length = 0;
  return true;
}

bool args(napi_env env, napi_callback_info info, size_t want, napi_value* argv, const char* usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", usage);
    return false;
  }
  return true;
}

napi_value Boolean(napi_env env, bool value) {
  napi_value result;
  napi_get_boolean(env, value, &result);
  return result;
}

napi_value Number(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

napi_value TokenizerLoaded(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  EncodingId id;
  if (!args(env, info, 1, argv, "tokenizerLoaded(encoding) takes 1 argument") ||
      !encoding_arg(env, argv[0], &id)) {
    return nullptr;
  }
  return Boolean(env, Registry::get(id) != nullptr);
}

napi_value TokenizerLoad(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  EncodingId id;
  void* text = nullptr;
  size_t length = 0;
  if (!args(env, info, 2, argv, "tokenizerLoad(encoding, encoderJson) takes 2 arguments") ||
      !encoding_arg(env, argv[0], &id) ||
      !typed_array(env, argv[1], napi_uint8_array, "encoderJson must be a Uint8Array or Buffer", &text,
                   &length)) {
    return nullptr;
  }
  std::string error;
  if (Registry::load(id, static_cast<const uint8_t*>(text), text == nullptr ? 0 : length, &error) ==
      nullptr) {
    const std::string message = "cannot load the encoding: " + error;
    napi_throw_error(env, "ERR_AILB_TOKENIZER", message.c_str());
    return nullptr;
  }
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  return undefined;
}

napi_value CountTokens(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  EncodingId id;
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!args(env, info, 2, argv, "countTokens(encoding, text) takes 2 arguments") ||
      !encoding_arg(env, argv[0], &id)) {
    return nullptr;
  }
  const ailb::bpe::Encoding* encoding = loaded_encoding(env, id);
  if (encoding == nullptr || !text_arg(env, argv[1], &data, &length)) return nullptr;
  return Number(env, static_cast<double>(ailb::bpe::count_text(*encoding, data, length)));
}

napi_value EncodeTokens(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  EncodingId id;
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!args(env, info, 2, argv, "encodeTokens(encoding, text) takes 2 arguments") ||
      !encoding_arg(env, argv[0], &id)) {
    return nullptr;
  }
  const ailb::bpe::Encoding* encoding = loaded_encoding(env, id);
  if (encoding == nullptr || !text_arg(env, argv[1], &data, &length)) return nullptr;
  std::vector<uint32_t> tokens;
  tokens.reserve(length / 4 + 16);
  ailb::bpe::encode_text(*encoding, data, length, [&](uint32_t rank) { tokens.push_back(rank); });
  napi_value buffer;
  void* out = nullptr;
  if (napi_create_arraybuffer(env, tokens.size() * sizeof(uint32_t), &out, &buffer) != napi_ok) {
    return nullptr;
  }
  if (!tokens.empty()) std::memcpy(out, tokens.data(), tokens.size() * sizeof(uint32_t));
  napi_value array;
  if (napi_create_typedarray(env, napi_uint32_array, tokens.size(), buffer, 0, &array) != napi_ok) {
    return nullptr;
  }
  return array;
}

napi_value CountChatTokens(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  EncodingId id;
  void* body = nullptr;
  size_t length = 0;
  if (!args(env, info, 2, argv, "countChatTokens(encoding, body) takes 2 arguments") ||
      !encoding_arg(env, argv[0], &id)) {
    return nullptr;
  }
  const ailb::bpe::Encoding* encoding = loaded_encoding(env, id);
  if (encoding == nullptr ||
      !typed_array(env, argv[1], napi_uint8_array, "body must be a Uint8Array or Buffer", &body,
                   &length)) {
    return nullptr;
  }
  if (length >= kMaxInputBytes) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "body must be shorter than 2^31 bytes");
    return nullptr;
  }
  const int64_t tokens = ailb::chat::count_chat_tokens(
      *encoding, body == nullptr ? nullptr : static_cast<const uint8_t*>(body),
      body == nullptr ? 0 : length);
  return Number(env, static_cast<double>(tokens));
}

}  // namespace

bool register_tokenizer(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"tokenizerLoaded", nullptr, TokenizerLoaded, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"tokenizerLoad", nullptr, TokenizerLoad, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countTokens", nullptr, CountTokens, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"encodeTokens", nullptr, EncodeTokens, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countChatTokens", nullptr, CountChatTokens, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
  };
  return define(env, exports, properties, sizeof properties / sizeof properties[0]);
}

}  // namespace ailb::glue
