// Shared helpers for the N-API glue files in native/glue/ and the registration function of each
// native component. Glue files only unpack arguments and pack results; the work is in the
// standalone headers in native/. No C++ exceptions: argument errors throw JS errors through
// napi_throw_*, and every function returns after a failed N-API call.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>

namespace ailb::glue {

// The bytes and element count of a typed array of the given type, or false (a TypeError is
// then pending).
inline bool typed_array(napi_env env, napi_value value, napi_typedarray_type want, const char* message,
                 void** data, size_t* length) {
  napi_typedarray_type type;
  // napi_get_typedarray_info fails (without throwing) on anything but a typed array.
  if (napi_get_typedarray_info(env, value, &type, length, data, nullptr, nullptr) != napi_ok ||
      type != want) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return false;
  }
  return true;
}

inline napi_value Int32(napi_env env, int32_t value) {
  napi_value result;
  napi_create_int32(env, value, &result);
  return result;
}

inline napi_value Utf8(napi_env env, const char* text) {
  napi_value result;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &result);
  return result;
}


// Adds `properties` to `exports`; false when N-API refused (an exception is then pending).
inline bool define(napi_env env, napi_value exports, const napi_property_descriptor* properties,
                   size_t count) {
  return napi_define_properties(env, exports, count, properties) == napi_ok;
}

// One per native component, each in native/glue/<component>.cc.
bool register_scan(napi_env env, napi_value exports);
bool register_sse(napi_env env, napi_value exports);
bool register_counters(napi_env env, napi_value exports);
bool register_tokenizer(napi_env env, napi_value exports);

}  // namespace ailb::glue
