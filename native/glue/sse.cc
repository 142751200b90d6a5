// N-API glue of the streaming usage scanner (sse_usage.h).
//
// Exports
//   sseCreate(format, flags, maxEventBytes, maxTextBytes): object
//     A scanner for one stream: format 0 OpenAI, 1 Anthropic; flags bit 0 strips usage-only
//     events, bit 1 collects the output text. The handle is an opaque external, freed by
//     sseClose or, failing that, when it is garbage collected.
//   sseFeed(handle, chunk: Uint8Array, out?: Uint8Array): number | Buffer
//     Scans chunk without keeping a reference to it, and says what to forward:
//       n >= 0   chunk[0, n) (n === chunk.length: the chunk itself);
//       n < 0    out[0, -n - 1): the bytes were written into out (only when they are not a
//                prefix of chunk, e.g. held bytes of an earlier chunk come first, and fit);
//       Buffer   a new Buffer holding them (when they did not fit in out, or out is absent).
//   sseEnd(handle, out?: Uint8Array): number | Buffer
//                                       the same for the end of the stream (n >= 0 is then 0)
//   sseRead(handle, out: Float64Array)  writes the stats and usage, layout at kRead*, into out
//                                       (at least sseOutLength elements)
//   sseString(handle, which): string | null
//                                       0 model, 1 finish reason, 2 error type; null if empty
//   sseText(handle, take: boolean): Buffer
//                                       a copy of the output text; take also empties it
//   sseClose(handle)                    frees the scanner; later calls with the handle throw
//   sseOutLength: number                21, so the JS side can check the layout
//
// Handles are type-tagged, so a foreign object is refused with a TypeError. A scanner is used
// by the thread that created it; scanners share nothing, so every thread can have its own.

#include <memory>

#include "../sse_usage.h"
#include "glue.h"

namespace ailb::glue {
namespace {

// Layout of sseRead's output, mirrored in src/native/sse.ts.
enum ReadSlot : int32_t {
  kReadBytesIn = 0,
  kReadEvents,
  kReadMalformedEvents,
  kReadOversizedEvents,
  kReadErrorEvents,
  kReadUsageEvents,
  kReadStrippedEvents,
  kReadStrippedBytes,
  kReadUsageEventStart,
  kReadUsageEventEnd,
  kReadDone,
  kReadEndedMidEvent,
  kReadTextTruncated,
  kReadTextBytes,
  kReadHasUsage,
  kReadUsage,  // kSseUsageFieldCount slots, -1 where absent
  kReadLength = kReadUsage + ailb::kSseUsageFieldCount,
};

constexpr napi_type_tag kHandleTag = {0x9f3c2a7e51d84b06ULL, 0xa1e5c8b7d2f04936ULL};

struct Handle {
  std::unique_ptr<ailb::SseUsageScanner> scanner;
};

void FinalizeHandle(napi_env, void* data, void*) { delete static_cast<Handle*>(data); }

// Reads `capacity` arguments (missing ones are undefined); false (a TypeError pending) when
// fewer than `required` were given.
bool args(napi_env env, napi_callback_info info, size_t capacity, size_t required,
          napi_value* argv, const char* usage) {
  size_t argc = capacity;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < required) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", usage);
    return false;
  }
  return true;
}

// The handle's holder, or null with a TypeError pending.
Handle* handle_of(napi_env env, napi_value value) {
  bool tagged = false;
  void* data = nullptr;
  if (napi_check_object_type_tag(env, value, &kHandleTag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &data) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "handle must come from sseCreate");
    return nullptr;
  }
  return static_cast<Handle*>(data);
}

// The open scanner of a handle, or null with an error pending.
ailb::SseUsageScanner* scanner_of(napi_env env, napi_value value) {
  Handle* handle = handle_of(env, value);
  if (handle == nullptr) return nullptr;
  if (!handle->scanner) {
    napi_throw_error(env, "ERR_SSE_CLOSED", "the stream scanner is closed");
    return nullptr;
  }
  return handle->scanner.get();
}

bool number_arg(napi_env env, napi_value value, const char* message, double* out) {
  if (napi_get_value_double(env, value, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return false;
  }
  return true;
}

// The optional output array `value` (undefined when absent), or false with a TypeError pending.
bool out_arg(napi_env env, napi_value value, uint8_t** data, size_t* length) {
  napi_valuetype type;
  *data = nullptr;
  *length = 0;
  if (napi_typeof(env, value, &type) != napi_ok || type == napi_undefined) return true;
  void* bytes = nullptr;
  if (!typed_array(env, value, napi_uint8_array, "out must be a Uint8Array or Buffer", &bytes,
                   length)) {
    return false;
  }
  *data = static_cast<uint8_t*>(bytes);
  if (*data == nullptr) *length = 0;
  return true;
}

// See sseFeed above for the encoding.
napi_value forward(napi_env env, const ailb::SseOutput& output, const uint8_t* chunk,
                   uint8_t* out, size_t out_length) {
  size_t prefix = 0;
  napi_value result = nullptr;
  if (output.is_chunk_prefix(&prefix)) {
    napi_create_double(env, static_cast<double>(prefix), &result);
    return result;
  }
  const size_t size = output.size();
  if (out != nullptr && size <= out_length) {
    output.copy_to(chunk, out);
    napi_create_double(env, -static_cast<double>(size) - 1, &result);
    return result;
  }
  void* bytes = nullptr;
  if (napi_create_buffer(env, output.size(), &bytes, &result) != napi_ok) return nullptr;
  output.copy_to(chunk, static_cast<uint8_t*>(bytes));
  return result;
}

napi_value SseCreate(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!args(env, info, 4, 4, argv, "sseCreate(format, flags, maxEventBytes, maxTextBytes)")) {
    return nullptr;
  }
  int32_t format = 0;
  int32_t flags = 0;
  double max_event = 0;
  double max_text = 0;
  if (napi_get_value_int32(env, argv[0], &format) != napi_ok ||
      napi_get_value_int32(env, argv[1], &flags) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "format and flags must be numbers");
    return nullptr;
  }
  if (!number_arg(env, argv[2], "maxEventBytes must be a number", &max_event) ||
      !number_arg(env, argv[3], "maxTextBytes must be a number", &max_text)) {
    return nullptr;
  }
  // Backstops only: src/native/sse.ts validates the options first.
  if ((format != 0 && format != 1) || !(max_event >= 1 && max_event <= 9007199254740991.0) ||
      !(max_text >= 0 && max_text <= 9007199254740991.0)) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "invalid stream scanner options");
    return nullptr;
  }
  ailb::SseOptions options;
  options.format = format == 1 ? ailb::SseFormat::Anthropic : ailb::SseFormat::OpenAI;
  options.strip_usage_events = (flags & 1) != 0;
  options.collect_text = (flags & 2) != 0;
  options.max_event_bytes = static_cast<size_t>(max_event);
  options.max_text_bytes = static_cast<size_t>(max_text);
  Handle* handle = new Handle{std::make_unique<ailb::SseUsageScanner>(options)};
  napi_value result;
  if (napi_create_external(env, handle, FinalizeHandle, nullptr, &result) != napi_ok) {
    delete handle;
    return nullptr;
  }
  if (napi_type_tag_object(env, result, &kHandleTag) != napi_ok) return nullptr;
  return result;
}

napi_value SseFeed(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args(env, info, 3, 2, argv, "sseFeed(handle, chunk[, out]) takes 2 or 3 arguments")) {
    return nullptr;
  }
  ailb::SseUsageScanner* scanner = scanner_of(env, argv[0]);
  if (scanner == nullptr) return nullptr;
  void* chunk = nullptr;
  size_t length = 0;
  if (!typed_array(env, argv[1], napi_uint8_array, "chunk must be a Uint8Array or Buffer", &chunk,
                   &length)) {
    return nullptr;
  }
  uint8_t* out = nullptr;
  size_t out_length = 0;
  if (!out_arg(env, argv[2], &out, &out_length)) return nullptr;
  if (scanner->ended()) {
    napi_throw_error(env, "ERR_SSE_ENDED", "the stream already ended");
    return nullptr;
  }
  // A detached or empty array has no data pointer; feed accepts null with length 0.
  const uint8_t* bytes = static_cast<const uint8_t*>(chunk);
  if (bytes == nullptr) length = 0;
  return forward(env, scanner->feed(bytes, length), bytes, out, out_length);
}

napi_value SseEnd(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, 1, argv, "sseEnd(handle[, out]) takes 1 or 2 arguments")) {
    return nullptr;
  }
  ailb::SseUsageScanner* scanner = scanner_of(env, argv[0]);
  if (scanner == nullptr) return nullptr;
  uint8_t* out = nullptr;
  size_t out_length = 0;
  if (!out_arg(env, argv[1], &out, &out_length)) return nullptr;
  return forward(env, scanner->end(), nullptr, out, out_length);
}

napi_value SseRead(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, 2, argv, "sseRead(handle, out) takes 2 arguments")) return nullptr;
  ailb::SseUsageScanner* scanner = scanner_of(env, argv[0]);
  if (scanner == nullptr) return nullptr;
  void* data = nullptr;
  size_t length = 0;
  if (!typed_array(env, argv[1], napi_float64_array, "out must be a Float64Array", &data,
                   &length)) {
    return nullptr;
  }
  if (length < kReadLength) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "out must hold at least 21 elements");
    return nullptr;
  }
  double* out = static_cast<double*>(data);
  const ailb::SseStats& s = scanner->stats();
  out[kReadBytesIn] = static_cast<double>(s.bytes_in);
  out[kReadEvents] = static_cast<double>(s.events);
  out[kReadMalformedEvents] = static_cast<double>(s.malformed_events);
  out[kReadOversizedEvents] = static_cast<double>(s.oversized_events);
  out[kReadErrorEvents] = static_cast<double>(s.error_events);
  out[kReadUsageEvents] = static_cast<double>(s.usage_events);
  out[kReadStrippedEvents] = static_cast<double>(s.stripped_events);
  out[kReadStrippedBytes] = static_cast<double>(s.stripped_bytes);
  out[kReadUsageEventStart] = static_cast<double>(s.usage_event_start);
  out[kReadUsageEventEnd] = static_cast<double>(s.usage_event_end);
  out[kReadDone] = s.done ? 1 : 0;
  out[kReadEndedMidEvent] = s.ended_mid_event ? 1 : 0;
  out[kReadTextTruncated] = s.text_truncated ? 1 : 0;
  out[kReadTextBytes] = static_cast<double>(scanner->output_text().size());
  out[kReadHasUsage] = scanner->has_usage() ? 1 : 0;
  for (int f = 0; f < ailb::kSseUsageFieldCount; ++f) {
    out[kReadUsage + f] = static_cast<double>(scanner->usage()[f]);
  }
  return nullptr;
}

napi_value SseString(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, 2, argv, "sseString(handle, which) takes 2 arguments")) return nullptr;
  ailb::SseUsageScanner* scanner = scanner_of(env, argv[0]);
  if (scanner == nullptr) return nullptr;
  int32_t which = -1;
  napi_get_value_int32(env, argv[1], &which);
  const std::string* text = which == 0   ? &scanner->model()
                            : which == 1 ? &scanner->finish_reason()
                            : which == 2 ? &scanner->error_type()
                                         : nullptr;
  if (text == nullptr) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "which must be 0, 1 or 2");
    return nullptr;
  }
  napi_value result;
  if (text->empty()) {
    napi_get_null(env, &result);
  } else {
    napi_create_string_utf8(env, text->data(), text->size(), &result);
  }
  return result;
}

napi_value SseText(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!args(env, info, 2, 2, argv, "sseText(handle, take) takes 2 arguments")) return nullptr;
  ailb::SseUsageScanner* scanner = scanner_of(env, argv[0]);
  if (scanner == nullptr) return nullptr;
  bool take = false;
  napi_get_value_bool(env, argv[1], &take);
  const std::vector<uint8_t>& text = scanner->output_text();
  void* bytes = nullptr;
  napi_value result;
  if (napi_create_buffer(env, text.size(), &bytes, &result) != napi_ok) return nullptr;
  if (!text.empty()) std::memcpy(bytes, text.data(), text.size());
  if (take) scanner->clear_output_text();
  return result;
}

napi_value SseClose(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, 1, argv, "sseClose(handle) takes 1 argument")) return nullptr;
  Handle* handle = handle_of(env, argv[0]);
  if (handle != nullptr) handle->scanner.reset();
  return nullptr;
}

}  // namespace

bool register_sse(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"sseCreate", nullptr, SseCreate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sseFeed", nullptr, SseFeed, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sseEnd", nullptr, SseEnd, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sseRead", nullptr, SseRead, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sseString", nullptr, SseString, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sseText", nullptr, SseText, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sseClose", nullptr, SseClose, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"sseOutLength", nullptr, nullptr, nullptr, nullptr, Int32(env, kReadLength),
       napi_enumerable, nullptr},
  };
  return define(env, exports, properties, sizeof properties / sizeof properties[0]);
}

}  // namespace ailb::glue
