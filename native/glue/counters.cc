// N-API glue of the process-wide counter store (counters.h).
//
// One CounterStore serves the whole process: the addon's shared object is loaded once, so
// every thread that loads the addon (main thread, worker_threads) reaches the same store. It
// is never destroyed, so a thread still running at process exit never sees it freed.
//
// Numbers cross as JS numbers (doubles). Amounts, limits and usage must be integers in
// [0, 2^53 - 1]; times are ms since the epoch (fractions are dropped); ids are int32.
// Wrong JS types throw a TypeError; everything else is reported as a Status code (< 0).
//
// The per-request calls take only numbers: their arrays go through a scratch Float64Array
// that each thread registers once (countersScratch). Passing typed arrays instead costs about
// 35 ns per array in N-API, more than a reserve over 4 counters itself. The scratch is kept
// alive by a reference and found through a thread_local pointer (every JS thread is its own
// OS thread), dropped by the environment's cleanup hook. Scratch layout, in doubles:
//   [0, 32)   ids          [32, 64)  amounts / actual amounts
//   [64, 68)  refusal: index, limit, remaining, retryMs
//   [68, 76)  row: id, kind, current, reserved, limit, remaining, windowMs, resetMs
//
// Exports
//   countersOpen(capacity: number, reservations: number): number   Status; 0 = default size
//   countersSizes(out: Float64Array): void        out[0..2] = capacity, reservations, ids
//   countersScratch(scratch: Float64Array): void  this thread's scratch (>= 76 doubles); once
//                                                  per thread, a second call throws
//   internKey(name: string): number               id >= 0, or a Status
//   counterName(id: number): string | undefined
//   configureCounter(id, kind, limit, windowMs, nowMs): number      Status
//   reserve(n: number, nowMs: number): number
//     Reserves scratch amounts[i] against scratch ids[i], i < n. A handle >= 0, or a Status;
//     on kRefused the scratch refusal is filled.
//   settle(handle: number, n: number): number
//     Status. n = -1: at the reserved amounts; else the n scratch amounts are the actual ones.
//   release(handle: number): number                                        Status
//   resetCounter(id, used, nowMs): number                                  Status
//   counterInfo(id, nowMs): number                Status; fills the scratch row
//   countersSnapshot(nowMs, out: Float64Array): number
//     Writes one row per configured counter, as many as fit, and returns how many
//     configured counters there are (or a Status).
//   counterStatusMessage(code: number): string
//   counterScratchLength: 76
//   counterRowLength: 8
//   maxIdsPerReservation: 32

#include <cmath>

#include "../counters.h"
#include "glue.h"

namespace ailb::glue {
namespace {

namespace c = ailb::counters;

constexpr size_t kRowLength = 8;
constexpr size_t kIdsSlot = 0;
constexpr size_t kAmountsSlot = c::kMaxIdsPerReservation;
constexpr size_t kRefusalSlot = 2 * c::kMaxIdsPerReservation;
constexpr size_t kRowSlot = kRefusalSlot + 4;
constexpr size_t kScratchLength = kRowSlot + kRowLength;

// This thread's scratch (see the top of this file), or null before countersScratch.
thread_local double* t_scratch = nullptr;

c::CounterStore* store() {
  // Created once, never destroyed (see the top of this file).
  static c::CounterStore* const instance = new (std::nothrow) c::CounterStore();
  return instance;
}

// The store once countersOpen has succeeded, else null.
c::CounterStore* open_store() {
  c::CounterStore* s = store();
  return s != nullptr && s->is_open() ? s : nullptr;
}

napi_value JsDouble(napi_env env, double value) {
  napi_value result;
  napi_create_double(env, value, &result);
  return result;
}

bool args(napi_env env, napi_callback_info info, size_t want, napi_value* argv,
          const char* usage) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc < want) {
    napi_throw_type_error(env, "ERR_MISSING_ARGS", usage);
    return false;
  }
  return true;
}

bool number(napi_env env, napi_value value, const char* message, double* out) {
  if (napi_get_value_double(env, value, out) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
    return false;
  }
  return true;
}

// An integer in [0, kMaxAmount]; false for fractions, NaN and anything out of range.
bool amount(double value, int64_t* out) {
  if (!(value >= 0 && value <= static_cast<double>(c::kMaxAmount))) return false;
  *out = static_cast<int64_t>(value);
  return static_cast<double>(*out) == value;
}

// A time in ms: finite, in [0, kMaxAmount]; a fraction is dropped.
bool time_ms(double value, int64_t* out) {
  if (!(value >= 0 && value <= static_cast<double>(c::kMaxAmount))) return false;
  *out = static_cast<int64_t>(value);
  return true;
}

// An int32 id; anything else maps to -1 (an unknown id).
int32_t id_of(double value) {
  return value >= 0 && value <= 2147483647.0 && std::floor(value) == value
             ? static_cast<int32_t>(value)
             : -1;
}

// Reads n amounts from the scratch; false when one is not an integer in [0, kMaxAmount].
bool scratch_amounts(const double* scratch, uint32_t n, int64_t* out) {
  bool valid = true;
  for (uint32_t i = 0; i < n; ++i) valid = amount(scratch[kAmountsSlot + i], &out[i]) && valid;
  return valid;
}

void drop_scratch(void*) {
  // The reference dies with the environment; only the pointer must not outlive it.
  t_scratch = nullptr;
}

napi_value CountersScratch(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void* data;
  size_t length;
  if (!args(env, info, 1, argv, "countersScratch(scratch) takes 1 argument") ||
      !typed_array(env, argv[0], napi_float64_array, "scratch must be a Float64Array", &data,
                   &length)) {
    return nullptr;
  }
  if (length < kScratchLength) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "scratch must hold at least 76 elements");
    return nullptr;
  }
  // A second copy of the wrapper in the same thread would silently read the other copy's
  // arrays, so it is refused.
  if (t_scratch != nullptr) {
    napi_throw_error(env, "ERR_INVALID_STATE",
                     "countersScratch: this thread already registered a scratch (is "
                     "src/native/counters.ts loaded twice?)");
    return nullptr;
  }
  napi_ref ref;  // keeps the scratch alive until the environment is torn down
  if (napi_create_reference(env, argv[0], 1, &ref) != napi_ok) return nullptr;
  napi_add_env_cleanup_hook(env, drop_scratch, nullptr);
  t_scratch = static_cast<double*>(data);
  return nullptr;
}

napi_value CountersOpen(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double capacity, reservations;
  if (!args(env, info, 2, argv, "countersOpen(capacity, reservations) takes 2 arguments") ||
      !number(env, argv[0], "capacity must be a number", &capacity) ||
      !number(env, argv[1], "reservations must be a number", &reservations)) {
    return nullptr;
  }
  c::CounterStore* s = store();
  if (s == nullptr) return Int32(env, c::kOutOfMemory);
  int64_t cap, res;
  if (!amount(capacity, &cap) || !amount(reservations, &res) || cap > c::kMaxCapacity ||
      res > c::kMaxReservations) {
    return Int32(env, c::kBadArgument);
  }
  return Int32(env, s->init(static_cast<uint32_t>(cap), static_cast<uint32_t>(res)));
}

napi_value CountersSizes(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void* data;
  size_t length;
  if (!args(env, info, 1, argv, "countersSizes(out) takes 1 argument") ||
      !typed_array(env, argv[0], napi_float64_array, "out must be a Float64Array", &data,
                   &length)) {
    return nullptr;
  }
  if (length < 3) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "out must hold at least 3 elements");
    return nullptr;
  }
  double* out = static_cast<double*>(data);
  c::CounterStore* s = open_store();
  out[0] = s == nullptr ? 0 : s->capacity();
  out[1] = s == nullptr ? 0 : s->reservation_capacity();
  out[2] = s == nullptr ? 0 : s->size();
  return nullptr;
}

napi_value InternKey(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!args(env, info, 1, argv, "internKey(name) takes 1 argument")) return nullptr;
  size_t length = 0;
  if (napi_get_value_string_utf8(env, argv[0], nullptr, 0, &length) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "name must be a string");
    return nullptr;
  }
  c::CounterStore* s = open_store();
  if (s == nullptr) return Int32(env, c::kNotOpen);
  if (length == 0 || length > c::kMaxNameBytes) return Int32(env, c::kBadArgument);
  char name[c::kMaxNameBytes + 1];
  napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length);
  return Int32(env, s->intern(name, length));
}

napi_value CounterName(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  double id;
  if (!args(env, info, 1, argv, "counterName(id) takes 1 argument") ||
      !number(env, argv[0], "id must be a number", &id)) {
    return nullptr;
  }
  c::CounterStore* s = open_store();
  size_t length = 0;
  const char* name = s == nullptr ? nullptr : s->name(id_of(id), &length);
  napi_value result;
  if (name == nullptr) {
    napi_get_undefined(env, &result);
  } else {
    napi_create_string_utf8(env, name, length, &result);
  }
  return result;
}

napi_value ConfigureCounter(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  double id, kind, limit, window, now;
  if (!args(env, info, 5, argv,
            "configureCounter(id, kind, limit, windowMs, nowMs) takes 5 arguments") ||
      !number(env, argv[0], "id must be a number", &id) ||
      !number(env, argv[1], "kind must be a number", &kind) ||
      !number(env, argv[2], "limit must be a number", &limit) ||
      !number(env, argv[3], "windowMs must be a number", &window) ||
      !number(env, argv[4], "nowMs must be a number", &now)) {
    return nullptr;
  }
  c::CounterStore* s = open_store();
  if (s == nullptr) return Int32(env, c::kNotOpen);
  int64_t limit64, window64, now64;
  if (!amount(limit, &limit64) || !amount(window, &window64) || !time_ms(now, &now64) ||
      id_of(kind) < 0) {
    return Int32(env, c::kBadArgument);
  }
  return Int32(env, s->configure(id_of(id), id_of(kind), limit64, window64, now64));
}

napi_value Reserve(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double count, now;
  if (!args(env, info, 2, argv, "reserve(n, nowMs) takes 2 arguments") ||
      !number(env, argv[0], "n must be a number", &count) ||
      !number(env, argv[1], "nowMs must be a number", &now)) {
    return nullptr;
  }
  c::CounterStore* s = open_store();
  double* scratch = t_scratch;
  if (s == nullptr || scratch == nullptr) return Int32(env, c::kNotOpen);
  if (!(count >= 1)) return Int32(env, c::kBadArgument);
  if (count > c::kMaxIdsPerReservation) return Int32(env, c::kTooManyIds);
  const uint32_t n = static_cast<uint32_t>(count);
  int32_t ids[c::kMaxIdsPerReservation];
  int64_t values[c::kMaxIdsPerReservation];
  int64_t now64;
  for (uint32_t i = 0; i < n; ++i) ids[i] = id_of(scratch[kIdsSlot + i]);
  if (static_cast<double>(n) != count || !scratch_amounts(scratch, n, values) ||
      !time_ms(now, &now64)) {
    return Int32(env, c::kBadArgument);
  }
  c::Refusal refusal;
  int64_t after[c::kMaxIdsPerReservation];
  const int64_t result = s->reserve(ids, values, n, now64, &refusal, after);
  if (result >= 0) {
    // The amounts slots are free again once the reserve has read them: they carry back each
    // counter's current right after this reservation (CounterStore.currentAfterReserve).
    for (uint32_t i = 0; i < n; ++i) scratch[kAmountsSlot + i] = static_cast<double>(after[i]);
  } else if (result == c::kRefused) {
    scratch[kRefusalSlot] = refusal.index;
    scratch[kRefusalSlot + 1] = static_cast<double>(refusal.limit);
    scratch[kRefusalSlot + 2] = static_cast<double>(refusal.remaining);
    scratch[kRefusalSlot + 3] = static_cast<double>(refusal.retry_ms);
  }
  return JsDouble(env, static_cast<double>(result));
}

// A handle argument: an integer >= 0 below 2^53, else -1 (an unknown handle).
bool handle_arg(napi_env env, napi_value value, int64_t* handle) {
  double number_value;
  if (!number(env, value, "handle must be a number", &number_value)) return false;
  if (!amount(number_value, handle)) *handle = -1;
  return true;
}

napi_value Settle(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int64_t handle;
  double count;
  if (!args(env, info, 2, argv, "settle(handle, n) takes 2 arguments") ||
      !handle_arg(env, argv[0], &handle) || !number(env, argv[1], "n must be a number", &count)) {
    return nullptr;
  }
  c::CounterStore* s = open_store();
  const double* scratch = t_scratch;
  if (s == nullptr || scratch == nullptr) return Int32(env, c::kNotOpen);
  if (count == -1) return Int32(env, s->settle(handle, nullptr, 0));
  if (!(count >= 0 && count <= c::kMaxIdsPerReservation) || std::floor(count) != count) {
    return Int32(env, c::kLengthMismatch);
  }
  const uint32_t n = static_cast<uint32_t>(count);
  int64_t values[c::kMaxIdsPerReservation];
  // An out-of-range value goes through as -1, so the store reopens the reservation and
  // reports kBadArgument (or kLengthMismatch) the same way for every bad input.
  if (!scratch_amounts(scratch, n, values)) values[0] = -1;
  return Int32(env, s->settle(handle, values, n));
}

napi_value Release(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t handle;
  if (!args(env, info, 1, argv, "release(handle) takes 1 argument") ||
      !handle_arg(env, argv[0], &handle)) {
    return nullptr;
  }
  c::CounterStore* s = open_store();
  return Int32(env, s == nullptr ? c::kNotOpen : s->release(handle));
}

napi_value ResetCounter(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  double id, used, now;
  if (!args(env, info, 3, argv, "resetCounter(id, used, nowMs) takes 3 arguments") ||
      !number(env, argv[0], "id must be a number", &id) ||
      !number(env, argv[1], "used must be a number", &used) ||
      !number(env, argv[2], "nowMs must be a number", &now)) {
    return nullptr;
  }
  c::CounterStore* s = open_store();
  if (s == nullptr) return Int32(env, c::kNotOpen);
  int64_t used64, now64;
  if (!amount(used, &used64) || !time_ms(now, &now64)) return Int32(env, c::kBadArgument);
  return Int32(env, s->reset(id_of(id), used64, now64));
}

void write_row(double* row, int32_t id, const c::Info& info) {
  row[0] = id;
  row[1] = info.kind;
  row[2] = static_cast<double>(info.current);
  row[3] = static_cast<double>(info.reserved);
  row[4] = static_cast<double>(info.limit);
  row[5] = static_cast<double>(info.remaining);
  row[6] = static_cast<double>(info.window_ms);
  row[7] = static_cast<double>(info.reset_ms);
}

napi_value CounterInfo(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double id, now;
  if (!args(env, info, 2, argv, "counterInfo(id, nowMs) takes 2 arguments") ||
      !number(env, argv[0], "id must be a number", &id) ||
      !number(env, argv[1], "nowMs must be a number", &now)) {
    return nullptr;
  }
  c::CounterStore* s = open_store();
  if (s == nullptr || t_scratch == nullptr) return Int32(env, c::kNotOpen);
  int64_t now64;
  if (!time_ms(now, &now64)) return Int32(env, c::kBadArgument);
  c::Info counter_info;
  const c::Status status = s->info(id_of(id), now64, &counter_info);
  if (status == c::kOk) write_row(t_scratch + kRowSlot, id_of(id), counter_info);
  return Int32(env, status);
}

napi_value CountersSnapshot(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double now;
  void* data;
  size_t length;
  if (!args(env, info, 2, argv, "countersSnapshot(nowMs, out) takes 2 arguments") ||
      !number(env, argv[0], "nowMs must be a number", &now) ||
      !typed_array(env, argv[1], napi_float64_array, "out must be a Float64Array", &data,
                   &length)) {
    return nullptr;
  }
  c::CounterStore* s = open_store();
  if (s == nullptr) return Int32(env, c::kNotOpen);
  int64_t now64;
  if (!time_ms(now, &now64)) return Int32(env, c::kBadArgument);
  const size_t room = length / kRowLength;
  double* out = static_cast<double*>(data);
  const uint32_t size = s->size();
  size_t configured = 0;
  for (uint32_t id = 0; id < size; ++id) {
    c::Info counter_info;
    if (s->info(static_cast<int32_t>(id), now64, &counter_info) != c::kOk) continue;
    if (configured < room) write_row(out + configured * kRowLength, id, counter_info);
    ++configured;
  }
  return JsDouble(env, static_cast<double>(configured));
}

napi_value CounterStatusMessage(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  double code;
  if (!args(env, info, 1, argv, "counterStatusMessage(code) takes 1 argument") ||
      !number(env, argv[0], "code must be a number", &code)) {
    return nullptr;
  }
  const int32_t status = code >= -1000 && code <= 0 ? static_cast<int32_t>(code) : 1;
  return Utf8(env, c::status_message(status));
}

}  // namespace

bool register_counters(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"countersOpen", nullptr, CountersOpen, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countersSizes", nullptr, CountersSizes, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"countersScratch", nullptr, CountersScratch, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"internKey", nullptr, InternKey, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"counterName", nullptr, CounterName, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"configureCounter", nullptr, ConfigureCounter, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"reserve", nullptr, Reserve, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"settle", nullptr, Settle, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"release", nullptr, Release, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"resetCounter", nullptr, ResetCounter, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"counterInfo", nullptr, CounterInfo, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"countersSnapshot", nullptr, CountersSnapshot, nullptr, nullptr, nullptr, napi_enumerable,
       nullptr},
      {"counterStatusMessage", nullptr, CounterStatusMessage, nullptr, nullptr, nullptr,
       napi_enumerable, nullptr},
      {"counterRowLength", nullptr, nullptr, nullptr, nullptr,
       Int32(env, static_cast<int32_t>(kRowLength)), napi_enumerable, nullptr},
      {"counterScratchLength", nullptr, nullptr, nullptr, nullptr,
       Int32(env, static_cast<int32_t>(kScratchLength)), napi_enumerable, nullptr},
      {"maxIdsPerReservation", nullptr, nullptr, nullptr, nullptr,
       Int32(env, static_cast<int32_t>(c::kMaxIdsPerReservation)), napi_enumerable, nullptr},
  };
  return define(env, exports, properties, sizeof properties / sizeof properties[0]);
}

}  // namespace ailb::glue
