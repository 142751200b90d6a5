// Entry point of the native addon: registers each component's functions (native/glue/*.cc).
// The work lives in standalone headers in native/ that are unit-tested and fuzzed alone.
//
// The module keeps no per-environment JS state, so it can be loaded by the main thread and any
// number of worker threads at once. Process-wide native state (the shared counters) is meant to
// be shared by every thread that loads the addon.
//
// Exports: version (string), plus what each native/glue/<component>.cc documents.

#include "glue/glue.h"

namespace {
constexpr const char* kVersion = "0.1.0";
}  // namespace

NAPI_MODULE_INIT() {
  using namespace ailb::glue;
  const napi_property_descriptor properties[] = {
      {"version", nullptr, nullptr, nullptr, nullptr, Utf8(env, kVersion), napi_enumerable,
       nullptr},
  };
  if (!define(env, exports, properties, 1)) return nullptr;
  if (!register_scan(env, exports)) return nullptr;
  if (!register_sse(env, exports)) return nullptr;
  if (!register_counters(env, exports)) return nullptr;
  if (!register_tokenizer(env, exports)) return nullptr;
  return exports;
}
