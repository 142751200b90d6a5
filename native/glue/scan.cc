// N-API glue of the request scanner (json_scan.h).
//
// Exports
//   scanRequest(body: Uint8Array, out: Int32Array): number
//     Scans body with ailb::scan_request without copying it. Writes out[3*i], out[3*i+1],
//     out[3*i+2] = kind, start, end of ScanField i and out[21] = error offset; returns the
//     ScanError code (0 = ok). out must hold at least scanOutLength (22) elements.
//   scanErrorMessage(code: number): string   short English text for a ScanError code
//   scanOutLength: number                    22, so the JS side can check the layout

#include "../json_scan.h"
#include "glue.h"

namespace ailb::glue {
namespace {

constexpr int32_t kErrorOffsetSlot = 3 * ailb::kFieldCount;
constexpr size_t kScanOutLength = kErrorOffsetSlot + 1;

napi_value ScanRequest(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 2) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", "scanRequest(body, out) takes 2 arguments");
    return nullptr;
  }
  void* body = nullptr;
  size_t body_length = 0;
  void* out_data = nullptr;
  size_t out_length = 0;
  if (!typed_array(env, argv[0], napi_uint8_array, "body must be a Uint8Array or Buffer", &body,
                   &body_length) ||
      !typed_array(env, argv[1], napi_int32_array, "out must be an Int32Array", &out_data,
                   &out_length)) {
    return nullptr;
  }
  if (out_length < kScanOutLength) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "out must hold at least 22 elements");
    return nullptr;
  }
  // A detached or empty buffer has no data pointer; scan_request accepts null with length 0.
  const ailb::ScanResult result =
      ailb::scan_request(static_cast<const uint8_t*>(body), body == nullptr ? 0 : body_length);
  int32_t* out = static_cast<int32_t*>(out_data);
  for (int f = 0; f < ailb::kFieldCount; ++f) {
    out[3 * f] = result.fields[f].kind;
    out[3 * f + 1] = result.fields[f].start;
    out[3 * f + 2] = result.fields[f].end;
  }
  out[kErrorOffsetSlot] = result.error_offset;
  napi_value code;
  napi_create_int32(env, static_cast<int32_t>(result.error), &code);
  return code;
}

napi_value ScanErrorMessage(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t code = -1;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < 1 ||
      napi_get_value_int32(env, argv[0], &code) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "code must be a number");
    return nullptr;
  }
  napi_value message;
  napi_create_string_utf8(env, ailb::scan_error_message(static_cast<ailb::ScanError>(code)),
                          NAPI_AUTO_LENGTH, &message);
  return message;
}

}  // namespace

bool register_scan(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"scanRequest", nullptr, ScanRequest, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"scanErrorMessage", nullptr, ScanErrorMessage, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"scanOutLength", nullptr, nullptr, nullptr, nullptr,
       Int32(env, static_cast<int32_t>(kScanOutLength)), napi_enumerable, nullptr},
  };
  return define(env, exports, properties, sizeof properties / sizeof properties[0]);
}

}  // namespace ailb::glue
