// Unit tests for counters.h, single-threaded: window edges, all-or-nothing reservations,
// settle over and under, release, gauges, accumulators, reconfiguration and capacity errors.
// No framework: each CHECK counts a pass or prints the failure; the exit status is non-zero
// when anything failed. The multithreaded test is counters_stress_test.cc.

#include "check.h"
#include "counters.h"

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace ctr = ailb::counters;

namespace {


#define CHECK_EQ(a, b)                                                                  \
  do {                                                                                  \
    const long long got_ = static_cast<long long>(a);                                   \
    const long long want_ = static_cast<long long>(b);                                  \
    AILB_REPORT(got_ == want_, #a " == " #b, __LINE__,                                       \
           "got " + std::to_string(got_) + " want " + std::to_string(want_));           \
  } while (0)

std::unique_ptr<ctr::CounterStore> open_store(uint32_t capacity = 64, uint32_t reservations = 64) {
  auto store = std::make_unique<ctr::CounterStore>();
  if (store->init(capacity, reservations) != ctr::kOk) std::abort();
  return store;
}

int32_t make(ctr::CounterStore& s, const std::string& name, int32_t kind, int64_t limit,
             int64_t window, int64_t now = 0) {
  const int32_t id = s.intern(name.data(), name.size());
  if (id < 0 || s.configure(id, kind, limit, window, now) != ctr::kOk) std::abort();
  return id;
}

ctr::Info info(ctr::CounterStore& s, int32_t id, int64_t now) {
  ctr::Info out{};
  if (s.info(id, now, &out) != ctr::kOk) out.kind = -1;
  return out;
}

int64_t reserve1(ctr::CounterStore& s, int32_t id, int64_t amount, int64_t now,
                 ctr::Refusal* refusal = nullptr) {
  return s.reserve(&id, &amount, 1, now, refusal);
}

void test_init_and_intern() {
  ctr::CounterStore s;
  const char* a = "key:a:rpm";
  CHECK_EQ(s.intern(a, 9), ctr::kNotOpen);
  CHECK_EQ(s.init(ctr::kMaxCapacity + 1, 0), ctr::kBadArgument);
  CHECK_EQ(s.init(3, 8), ctr::kOk);
  CHECK_EQ(s.init(0, 0), ctr::kOk);
  CHECK_EQ(s.init(3, 8), ctr::kOk);
  CHECK_EQ(s.init(4, 8), ctr::kAlreadyOpen);
  CHECK_EQ(s.capacity(), 3);
  CHECK_EQ(s.reservation_capacity(), 8);

  CHECK_EQ(s.intern(a, 9), 0);
  CHECK_EQ(s.intern("key:b:rpm", 9), 1);
  CHECK_EQ(s.intern(a, 9), 0);
  CHECK_EQ(s.intern("key:a:rp", 8), 2);  // a prefix is another name
  CHECK_EQ(s.size(), 3);
  CHECK_EQ(s.intern("key:c", 5), ctr::kCapacityExceeded);
  CHECK_EQ(s.intern("key:b:rpm", 9), 1);  // existing names still resolve when full
  CHECK_EQ(s.intern("", 0), ctr::kBadArgument);
  std::string long_name(ctr::kMaxNameBytes + 1, 'x');
  CHECK_EQ(s.intern(long_name.data(), long_name.size()), ctr::kBadArgument);
  size_t length = 0;
  const char* name = s.name(1, &length);
  CHECK(name != nullptr && std::string(name, length) == "key:b:rpm");
  CHECK(s.name(3, &length) == nullptr);
  CHECK(s.name(-1, &length) == nullptr);

  // Names are bytes: embedded NULs and UTF-8 are kept.
  auto t = open_store();
  const std::string nul("a\0b", 3);
  CHECK_EQ(t->intern(nul.data(), nul.size()), 0);
  CHECK_EQ(t->intern("a", 1), 1);
  CHECK_EQ(t->intern(nul.data(), nul.size()), 0);
}

void test_configure_arguments() {
  auto s = open_store();
  const int32_t id = s->intern("x", 1);
  CHECK_EQ(s->configure(id, 0, 10, 0, 0), ctr::kBadArgument);
  CHECK_EQ(s->configure(id, 5, 10, 0, 0), ctr::kBadArgument);
  CHECK_EQ(s->configure(id, ctr::kFixedWindow, 10, 0, 0), ctr::kBadArgument);
  CHECK_EQ(s->configure(id, ctr::kSlidingWindow, 10, ctr::kMaxWindowMs + 1, 0),
           ctr::kBadArgument);
  CHECK_EQ(s->configure(id, ctr::kGauge, 10, 1000, 0), ctr::kBadArgument);
  CHECK_EQ(s->configure(id, ctr::kAccumulator, -1, 0, 0), ctr::kBadArgument);
  CHECK_EQ(s->configure(id, ctr::kAccumulator, ctr::kMaxAmount + 1, 0, 0), ctr::kBadArgument);
  CHECK_EQ(s->configure(id, ctr::kFixedWindow, 10, 1000, -1), ctr::kBadArgument);
  CHECK_EQ(s->configure(7, ctr::kGauge, 10, 0, 0), ctr::kUnknownId);
  CHECK_EQ(s->configure(-1, ctr::kGauge, 10, 0, 0), ctr::kUnknownId);
  ctr::Info out{};
  CHECK_EQ(s->info(id, 0, &out), ctr::kNotConfigured);
  CHECK_EQ(s->reset(id, 0, 0), ctr::kNotConfigured);
  CHECK_EQ(reserve1(*s, id, 1, 0), ctr::kNotConfigured);
  CHECK_EQ(s->configure(id, ctr::kFixedWindow, 10, 1000, 0), ctr::kOk);
  CHECK_EQ(s->configure(id, ctr::kFixedWindow, ctr::kMaxAmount, ctr::kMaxWindowMs, 0), ctr::kOk);
}

void test_reserve_arguments() {
  auto s = open_store();
  const int32_t a = make(*s, "a", ctr::kGauge, 10, 0);
  const int32_t b = make(*s, "b", ctr::kGauge, 10, 0);
  int32_t ids[ctr::kMaxIdsPerReservation + 1];
  int64_t amounts[ctr::kMaxIdsPerReservation + 1];
  for (uint32_t i = 0; i <= ctr::kMaxIdsPerReservation; ++i) {
    ids[i] = make(*s, "many" + std::to_string(i), ctr::kGauge, 10, 0);
    amounts[i] = 1;
  }
  CHECK_EQ(s->reserve(ids, amounts, 0, 0, nullptr), ctr::kBadArgument);
  CHECK_EQ(s->reserve(ids, amounts, ctr::kMaxIdsPerReservation + 1, 0, nullptr), ctr::kTooManyIds);
  const int64_t h = s->reserve(ids, amounts, ctr::kMaxIdsPerReservation, 0, nullptr);
  CHECK(h >= 0);
  CHECK_EQ(s->release(h), ctr::kOk);

  int32_t dup[3] = {a, b, a};
  int64_t ones[3] = {1, 1, 1};
  CHECK_EQ(s->reserve(dup, ones, 3, 0, nullptr), ctr::kDuplicateId);
  int32_t unknown[2] = {a, 1000};
  CHECK_EQ(s->reserve(unknown, ones, 2, 0, nullptr), ctr::kUnknownId);
  int32_t negative[2] = {a, -1};
  CHECK_EQ(s->reserve(negative, ones, 2, 0, nullptr), ctr::kUnknownId);
  int32_t pair[2] = {a, b};
  int64_t bad[2] = {1, -1};
  CHECK_EQ(s->reserve(pair, bad, 2, 0, nullptr), ctr::kBadArgument);
  int64_t huge[2] = {1, ctr::kMaxAmount + 1};
  CHECK_EQ(s->reserve(pair, huge, 2, 0, nullptr), ctr::kBadArgument);
  CHECK_EQ(s->reserve(pair, ones, 2, -5, nullptr), ctr::kBadArgument);
  // Nothing above changed a counter.
  CHECK_EQ(info(*s, a, 0).current, 0);
  CHECK_EQ(info(*s, b, 0).current, 0);
}

void test_fixed_window_edges() {
  auto s = open_store();
  // Windows are aligned to the epoch: [5000, 6000) even though first use is at 5500.
  const int32_t id = make(*s, "rpm", ctr::kFixedWindow, 10, 1000, 5500);
  ctr::Refusal r{};
  CHECK(reserve1(*s, id, 6, 5500) >= 0);
  CHECK_EQ(reserve1(*s, id, 5, 5999, &r), ctr::kRefused);
  CHECK_EQ(r.index, 0);
  CHECK_EQ(r.limit, 10);
  CHECK_EQ(r.remaining, 4);
  CHECK_EQ(r.retry_ms, 1);  // the window ends at 6000
  CHECK(reserve1(*s, id, 4, 5999) >= 0);  // exactly to the limit
  CHECK_EQ(reserve1(*s, id, 1, 5999), ctr::kRefused);
  ctr::Info i = info(*s, id, 5999);
  CHECK_EQ(i.current, 10);
  CHECK_EQ(i.reserved, 10);
  CHECK_EQ(i.remaining, 0);
  CHECK_EQ(i.reset_ms, 1);
  CHECK_EQ(i.window_ms, 1000);
  // 6000 starts a new window.
  i = info(*s, id, 6000);
  CHECK_EQ(i.current, 0);
  CHECK_EQ(i.reserved, 0);
  CHECK_EQ(i.reset_ms, 1000);
  CHECK(reserve1(*s, id, 10, 6000) >= 0);
  CHECK_EQ(reserve1(*s, id, 1, 6999, &r), ctr::kRefused);
  CHECK_EQ(r.retry_ms, 1);
  // Skipping several windows also starts from zero.
  CHECK(reserve1(*s, id, 10, 60'000) >= 0);
  // More than the limit never fits: no retry time.
  CHECK_EQ(reserve1(*s, id, 11, 120'000, &r), ctr::kRefused);
  CHECK_EQ(r.retry_ms, -1);
  CHECK_EQ(r.remaining, 10);
}

void test_amount_zero_and_over_limit() {
  auto s = open_store();
  const int32_t id = make(*s, "tpm", ctr::kFixedWindow, 10, 60'000);
  const int64_t h = reserve1(*s, id, 10, 0);
  CHECK(h >= 0);
  const int64_t zero = reserve1(*s, id, 0, 1);  // at the limit, an empty amount still fits
  CHECK(zero >= 0);
  CHECK_EQ(s->settle(zero, nullptr, 0), ctr::kOk);
  int64_t actual = 25;  // the work used more than reserved: settle goes over the limit
  CHECK_EQ(s->settle(h, &actual, 1), ctr::kOk);
  ctr::Info i = info(*s, id, 2);
  CHECK_EQ(i.current, 25);
  CHECK_EQ(i.remaining, 0);
  ctr::Refusal r{};
  CHECK_EQ(reserve1(*s, id, 0, 3, &r), ctr::kRefused);  // over the limit: nothing fits
  CHECK_EQ(r.remaining, 0);
  CHECK_EQ(r.retry_ms, 60'000 - 3);
}

void test_all_or_nothing() {
  auto s = open_store();
  const int32_t a = make(*s, "a", ctr::kFixedWindow, 10, 1000);
  const int32_t b = make(*s, "b", ctr::kSlidingWindow, 5, 1000);
  const int32_t c = make(*s, "c", ctr::kAccumulator, 10, 0);
  const int32_t d = make(*s, "d", ctr::kGauge, 1, 0);
  // Caller order differs from id order; the refusal names the caller's index.
  int32_t ids[4] = {c, a, b, d};
  int64_t too_much[4] = {3, 3, 6, 1};
  ctr::Refusal r{};
  CHECK_EQ(s->reserve(ids, too_much, 4, 100, &r), ctr::kRefused);
  CHECK_EQ(r.index, 2);
  CHECK_EQ(r.limit, 5);
  CHECK_EQ(r.remaining, 5);
  for (int32_t id : {a, b, c, d}) {
    CHECK_EQ(info(*s, id, 100).current, 0);
    CHECK_EQ(info(*s, id, 100).reserved, 0);
  }
  // Two refusing counters: the first in the caller's order is reported.
  int64_t both[4] = {11, 3, 6, 1};
  CHECK_EQ(s->reserve(ids, both, 4, 100, &r), ctr::kRefused);
  CHECK_EQ(r.index, 0);
  CHECK_EQ(r.retry_ms, -1);

  int64_t fits[4] = {3, 3, 5, 1};
  const int64_t h = s->reserve(ids, fits, 4, 100, &r);
  CHECK(h >= 0);
  CHECK_EQ(info(*s, c, 100).current, 3);
  CHECK_EQ(info(*s, a, 100).reserved, 3);
  CHECK_EQ(info(*s, b, 100).current, 5);
  CHECK_EQ(info(*s, d, 100).current, 1);
  // The gauge is full, so a second reservation over all four is refused and changes nothing.
  int64_t small[4] = {1, 1, 0, 1};
  CHECK_EQ(s->reserve(ids, small, 4, 100, &r), ctr::kRefused);
  CHECK_EQ(r.index, 3);
  CHECK_EQ(r.retry_ms, -1);
  CHECK_EQ(info(*s, c, 100).current, 3);
  CHECK_EQ(info(*s, a, 100).current, 3);

  // Settle in the caller's order: one actual per id.
  int64_t actual[4] = {2, 7, 1, 1};
  CHECK_EQ(s->settle(h, actual, 3), ctr::kLengthMismatch);  // reopened unchanged
  int64_t negative[4] = {2, -7, 1, 1};
  CHECK_EQ(s->settle(h, negative, 4), ctr::kBadArgument);   // reopened unchanged
  CHECK_EQ(s->settle(h, actual, 4), ctr::kOk);
  CHECK_EQ(info(*s, c, 100).current, 2);
  CHECK_EQ(info(*s, c, 100).reserved, 0);
  CHECK_EQ(info(*s, a, 100).current, 7);
  CHECK_EQ(info(*s, b, 100).current, 1);
  CHECK_EQ(info(*s, d, 100).current, 0);  // a gauge gives back its amount on settle
  CHECK_EQ(s->settle(h, actual, 4), ctr::kUnknownHandle);
  CHECK_EQ(s->release(h), ctr::kUnknownHandle);
}

// `after` carries each counter's current right after the reservation, in the caller's order.
void test_reserve_reports_current_after() {
  auto s = open_store();
  const int32_t a = make(*s, "after-a", ctr::kSlidingWindow, 10, 60000);
  const int32_t b = make(*s, "after-b", ctr::kFixedWindow, 100, 60000);
  int32_t ids[2] = {b, a};
  int64_t amounts[2] = {7, 1};
  int64_t after[2] = {-1, -1};
  CHECK(s->reserve(ids, amounts, 2, 1000, nullptr, after) >= 0);
  CHECK_EQ(after[0], 7);
  CHECK_EQ(after[1], 1);
  CHECK(s->reserve(ids, amounts, 2, 1000, nullptr, after) >= 0);
  CHECK_EQ(after[0], 14);
  CHECK_EQ(after[1], 2);
  // A refusal leaves `after` untouched.
  int64_t too_much[2] = {100, 1};
  after[0] = after[1] = -1;
  CHECK_EQ(s->reserve(ids, too_much, 2, 1000, nullptr, after), ctr::kRefused);
  CHECK_EQ(after[0], -1);
}

void test_settle_and_release() {
  auto s = open_store();
  const int32_t a = make(*s, "a", ctr::kFixedWindow, 100, 60'000);
  const int32_t b = make(*s, "b", ctr::kAccumulator, 1000, 0);
  int32_t ids[2] = {a, b};
  int64_t amounts[2] = {40, 400};
  const int64_t under = s->reserve(ids, amounts, 2, 10, nullptr);
  const int64_t at_reserved = s->reserve(ids, amounts, 2, 10, nullptr);
  const int64_t released = s->reserve(ids, amounts, 2, 10, nullptr);
  CHECK_EQ(released, ctr::kRefused);  // 80 + 40 > 100
  int64_t small[2] = {10, 100};
  const int64_t to_release = s->reserve(ids, small, 2, 10, nullptr);
  CHECK(under >= 0 && at_reserved >= 0 && to_release >= 0);
  CHECK_EQ(info(*s, a, 10).current, 90);
  CHECK_EQ(info(*s, b, 10).reserved, 900);

  int64_t actual[2] = {15, 150};
  CHECK_EQ(s->settle(under, actual, 2), ctr::kOk);
  CHECK_EQ(s->settle(at_reserved, nullptr, 0), ctr::kOk);
  CHECK_EQ(s->release(to_release), ctr::kOk);
  ctr::Info ia = info(*s, a, 10);
  ctr::Info ib = info(*s, b, 10);
  CHECK_EQ(ia.current, 55);
  CHECK_EQ(ia.reserved, 0);
  CHECK_EQ(ia.remaining, 45);
  CHECK_EQ(ib.current, 550);
  CHECK_EQ(ib.reserved, 0);
  CHECK_EQ(s->release(to_release), ctr::kUnknownHandle);
  CHECK_EQ(s->release(-1), ctr::kUnknownHandle);
  CHECK_EQ(s->release(int64_t{1} << 60), ctr::kUnknownHandle);
  CHECK_EQ(s->release(12345), ctr::kUnknownHandle);

  // A stale handle stays dead after its slot is reused many times.
  const int64_t first = reserve1(*s, a, 1, 10);
  CHECK_EQ(s->release(first), ctr::kOk);
  int64_t last = -1;
  for (int k = 0; k < 1000; ++k) {
    last = reserve1(*s, a, 1, 10);
    CHECK_EQ(s->release(first), ctr::kUnknownHandle);
    if (k + 1 < 1000) s->release(last);
  }
  CHECK_EQ(info(*s, a, 10).current, 56);
  CHECK_EQ(s->settle(last, nullptr, 0), ctr::kOk);
  CHECK_EQ(info(*s, a, 10).current, 56);
}

void test_straddling_window_boundary() {
  auto s = open_store();
  const int32_t id = make(*s, "rpm", ctr::kFixedWindow, 10, 1000);
  const int64_t old = reserve1(*s, id, 5, 900);
  CHECK(old >= 0);
  // The next window starts empty: the open reservation stays with the window it was made in.
  const int64_t fresh = reserve1(*s, id, 10, 1100);
  CHECK(fresh >= 0);
  int64_t actual = 7;
  CHECK_EQ(s->settle(old, &actual, 1), ctr::kOk);
  ctr::Info i = info(*s, id, 1100);
  CHECK_EQ(i.current, 10);
  CHECK_EQ(i.reserved, 10);
  CHECK_EQ(s->release(fresh), ctr::kOk);
  i = info(*s, id, 1100);
  CHECK_EQ(i.current, 0);
  CHECK_EQ(i.reserved, 0);

  // Same for a sliding window: a reservation whose sub-bucket expired changes nothing.
  const int32_t sl = make(*s, "tpm", ctr::kSlidingWindow, 100, 2000);  // g = 100 ms
  const int64_t early = reserve1(*s, sl, 30, 0);
  const int64_t later = reserve1(*s, sl, 30, 1500);
  CHECK_EQ(info(*s, sl, 2099).current, 60);
  CHECK_EQ(info(*s, sl, 2100).current, 30);  // bucket 0 stopped counting at 21 * 100 ms
  actual = 50;
  CHECK_EQ(s->settle(early, &actual, 1), ctr::kOk);
  CHECK_EQ(info(*s, sl, 2100).current, 30);
  CHECK_EQ(s->settle(later, &actual, 1), ctr::kOk);  // bucket 15 is still live
  CHECK_EQ(info(*s, sl, 2100).current, 50);
  CHECK_EQ(info(*s, sl, 2100).reserved, 0);
}

void test_clock_going_back() {
  auto s = open_store();
  const int32_t id = make(*s, "rpm", ctr::kFixedWindow, 10, 1000);
  CHECK(reserve1(*s, id, 6, 5000) >= 0);
  // An older `now` is counted in the counter's current window [5000, 6000).
  ctr::Refusal r{};
  CHECK_EQ(reserve1(*s, id, 5, 4000, &r), ctr::kRefused);
  CHECK_EQ(r.retry_ms, 2000);
  CHECK(reserve1(*s, id, 4, 4000) >= 0);
  CHECK_EQ(info(*s, id, 3000).current, 10);
  CHECK_EQ(info(*s, id, 6000).current, 0);
}

void test_sliding_window() {
  auto s = open_store();
  // W = 2000 ms: sub-buckets of 100 ms; a unit counts until 21 sub-buckets after its own.
  const int32_t id = make(*s, "rpm", ctr::kSlidingWindow, 10, 2000);
  ctr::Refusal r{};
  CHECK(reserve1(*s, id, 4, 50) >= 0);     // bucket 0, expires at 2100
  CHECK(reserve1(*s, id, 6, 1050) >= 0);   // bucket 10, expires at 3100
  CHECK_EQ(reserve1(*s, id, 1, 1999, &r), ctr::kRefused);
  CHECK_EQ(r.retry_ms, 2100 - 1999);
  CHECK_EQ(reserve1(*s, id, 5, 2000, &r), ctr::kRefused);
  CHECK_EQ(r.retry_ms, 3100 - 2000);  // bucket 0 frees 4, not enough: wait for bucket 10
  CHECK_EQ(reserve1(*s, id, 11, 2000, &r), ctr::kRefused);
  CHECK_EQ(r.retry_ms, -1);
  ctr::Info i = info(*s, id, 2000);
  CHECK_EQ(i.current, 10);
  CHECK_EQ(i.reset_ms, 3100 - 2000);  // everything counted now has expired by 3100
  CHECK_EQ(reserve1(*s, id, 1, 2099), ctr::kRefused);
  CHECK(reserve1(*s, id, 4, 2100) >= 0);
  CHECK_EQ(info(*s, id, 3099).current, 10);
  CHECK_EQ(info(*s, id, 3100).current, 4);
  CHECK_EQ(info(*s, id, 4199).current, 4);
  i = info(*s, id, 4200);
  CHECK_EQ(i.current, 0);
  CHECK_EQ(i.reset_ms, 0);
  // A long idle gap clears every sub-bucket.
  CHECK(reserve1(*s, id, 10, 1'000'000) >= 0);
  CHECK_EQ(info(*s, id, 1'000'000 + 2099).current, 10);
  CHECK_EQ(info(*s, id, 9'000'000).current, 0);

  // A window that 20 does not divide: g = ceil(999 / 20) = 50 ms, so units count for 1050 ms.
  const int32_t odd = make(*s, "odd", ctr::kSlidingWindow, 1, 999);
  CHECK(reserve1(*s, odd, 1, 0) >= 0);
  CHECK_EQ(reserve1(*s, odd, 1, 1049), ctr::kRefused);
  CHECK(reserve1(*s, odd, 1, 1050) >= 0);
}

// Property: with every admission settled at its reserved amount, no span of W ms holds more
// than `limit` units, and nothing is held for longer than 21 * g (W + g when 20 divides W).
void test_sliding_window_never_over_admits() {
  std::mt19937_64 rng(7);
  for (int64_t window : {1000, 60'000, 999, 7}) {
    auto s = open_store();
    const int64_t limit = 50;
    const int32_t id = make(*s, "w", ctr::kSlidingWindow, limit, window);
    const int64_t g = (window + 19) / 20;
    struct Admitted {
      int64_t t, amount;
    };
    std::vector<Admitted> admitted;
    int64_t now = 1'700'000'000'000;
    bool within = true;
    bool frees_in_time = true;
    for (int k = 0; k < 20'000; ++k) {
      now += static_cast<int64_t>(rng() % (window / 4 + 1));
      const int64_t amount = static_cast<int64_t>(rng() % 8);
      ctr::Refusal r{};
      const int64_t h = reserve1(*s, id, amount, now, &r);
      if (h >= 0) {
        s->settle(h, nullptr, 0);
        admitted.push_back({now, amount});
        int64_t in_span = 0;
        for (auto it = admitted.rbegin(); it != admitted.rend() && it->t > now - window; ++it) {
          in_span += it->amount;
        }
        within = within && in_span <= limit;
      } else if (h == ctr::kRefused) {
        // Everything admitted at or before now - 21 * g has expired: it cannot be the cause.
        int64_t recent = 0;
        for (auto it = admitted.rbegin(); it != admitted.rend() && it->t > now - 21 * g;
             ++it) {
          recent += it->amount;
        }
        frees_in_time = frees_in_time && recent + amount > limit;
      }
    }
    AILB_REPORT(within, "sliding window over-admitted", __LINE__, "W=" + std::to_string(window));
    AILB_REPORT(frees_in_time, "sliding window held units past 21 * g", __LINE__,
           "W=" + std::to_string(window));
  }
}

void test_gauge() {
  auto s = open_store();
  const int32_t id = make(*s, "parallel", ctr::kGauge, 2, 0);
  const int64_t a = reserve1(*s, id, 1, 0);
  const int64_t b = reserve1(*s, id, 1, 0);
  ctr::Refusal r{};
  CHECK_EQ(reserve1(*s, id, 1, 0, &r), ctr::kRefused);
  CHECK_EQ(r.retry_ms, -1);
  ctr::Info i = info(*s, id, 999'999);  // no window: time does not free a gauge
  CHECK_EQ(i.current, 2);
  CHECK_EQ(i.reserved, 2);
  CHECK_EQ(i.reset_ms, -1);
  int64_t actual = 100;
  CHECK_EQ(s->settle(a, &actual, 1), ctr::kOk);  // actual is ignored for a gauge
  CHECK_EQ(info(*s, id, 0).current, 1);
  CHECK_EQ(s->release(b), ctr::kOk);
  CHECK_EQ(info(*s, id, 0).current, 0);
  // reset sets the value; open reservations then no longer affect it.
  const int64_t c = reserve1(*s, id, 1, 0);
  CHECK_EQ(s->reset(id, 1, 0), ctr::kOk);
  CHECK_EQ(s->release(c), ctr::kOk);
  CHECK_EQ(info(*s, id, 0).current, 1);
}

void test_accumulator_micro_units() {
  auto s = open_store();
  const int64_t dollars = 1'000'000;  // micro-dollars per dollar
  const int32_t id = make(*s, "budget", ctr::kAccumulator, 5 * dollars, 0);
  const int64_t a = reserve1(*s, id, 3 * dollars, 0);
  ctr::Refusal r{};
  CHECK_EQ(reserve1(*s, id, 2'500'000, 0, &r), ctr::kRefused);
  CHECK_EQ(r.remaining, 2 * dollars);
  CHECK_EQ(r.retry_ms, -1);
  int64_t actual = 1'234'567;
  CHECK_EQ(s->settle(a, &actual, 1), ctr::kOk);
  CHECK_EQ(info(*s, id, 0).current, 1'234'567);
  const int64_t exact = reserve1(*s, id, 5 * dollars - 1'234'567, 0);
  CHECK(exact >= 0);
  CHECK_EQ(reserve1(*s, id, 1, 0), ctr::kRefused);
  // The budget period rolls over: the open reservation belongs to the old period.
  CHECK_EQ(s->reset(id, 0, 0), ctr::kOk);
  CHECK_EQ(info(*s, id, 0).current, 0);
  CHECK_EQ(s->settle(exact, nullptr, 0), ctr::kOk);
  CHECK_EQ(info(*s, id, 0).current, 0);
  // Spend loaded from the store at startup.
  CHECK_EQ(s->reset(id, 4 * dollars, 0), ctr::kOk);
  CHECK_EQ(info(*s, id, 0).remaining, dollars);

  // Large values stay exact up to 2^53 - 1 and saturate there.
  const int32_t big = make(*s, "big", ctr::kAccumulator, ctr::kMaxAmount, 0);
  const int64_t h1 = reserve1(*s, big, ctr::kMaxAmount - 1, 0);
  CHECK(h1 >= 0);
  CHECK(reserve1(*s, big, 1, 0) >= 0);
  CHECK_EQ(reserve1(*s, big, 1, 0), ctr::kRefused);
  actual = ctr::kMaxAmount;
  CHECK_EQ(s->settle(h1, &actual, 1), ctr::kOk);
  CHECK_EQ(info(*s, big, 0).current, ctr::kMaxAmount);
  CHECK_EQ(reserve1(*s, big, ctr::kMaxAmount + 1, 0), ctr::kBadArgument);
}

void test_reconfigure() {
  auto s = open_store();
  const int32_t id = make(*s, "rpm", ctr::kFixedWindow, 10, 1000);
  const int64_t h = reserve1(*s, id, 8, 0);
  // A new limit keeps usage and open reservations.
  CHECK_EQ(s->configure(id, ctr::kFixedWindow, 5, 1000, 0), ctr::kOk);
  ctr::Info i = info(*s, id, 0);
  CHECK_EQ(i.current, 8);
  CHECK_EQ(i.limit, 5);
  CHECK_EQ(i.remaining, 0);
  CHECK_EQ(reserve1(*s, id, 0, 0), ctr::kRefused);
  CHECK_EQ(s->configure(id, ctr::kFixedWindow, 20, 1000, 0), ctr::kOk);
  int64_t actual = 3;
  CHECK_EQ(s->settle(h, &actual, 1), ctr::kOk);
  CHECK_EQ(info(*s, id, 0).current, 3);

  // A new window length carries usage (settled and reserved) into the new current window.
  const int64_t open = reserve1(*s, id, 4, 0);
  CHECK_EQ(s->configure(id, ctr::kFixedWindow, 20, 60'000, 500), ctr::kOk);
  i = info(*s, id, 500);
  CHECK_EQ(i.current, 7);
  CHECK_EQ(i.reserved, 0);
  CHECK_EQ(s->release(open), ctr::kOk);  // its period ended: no change
  CHECK_EQ(info(*s, id, 500).current, 7);
  CHECK_EQ(info(*s, id, 60'000).current, 0);

  // Fixed to sliding: another kind starts from zero.
  CHECK(reserve1(*s, id, 5, 60'000) >= 0);
  CHECK_EQ(s->configure(id, ctr::kSlidingWindow, 20, 60'000, 60'000), ctr::kOk);
  CHECK_EQ(info(*s, id, 60'000).current, 0);
  CHECK(reserve1(*s, id, 5, 60'000) >= 0);
  // Sliding with a new window: carried into the current sub-bucket.
  CHECK_EQ(s->configure(id, ctr::kSlidingWindow, 20, 2000, 60'050), ctr::kOk);
  CHECK_EQ(info(*s, id, 60'050).current, 5);
  CHECK_EQ(info(*s, id, 60'000 + 2100).current, 0);
  CHECK_EQ(s->configure(id, ctr::kGauge, 3, 0, 0), ctr::kOk);
  CHECK_EQ(info(*s, id, 0).current, 0);
  CHECK_EQ(info(*s, id, 0).kind, ctr::kGauge);
}

void test_reservation_capacity() {
  auto s = open_store(8, 2);
  const int32_t id = make(*s, "g", ctr::kGauge, 100, 0);
  const int64_t a = reserve1(*s, id, 1, 0);
  const int64_t b = reserve1(*s, id, 1, 0);
  CHECK(a >= 0 && b >= 0 && a != b);
  CHECK_EQ(reserve1(*s, id, 1, 0), ctr::kReservationsFull);
  CHECK_EQ(info(*s, id, 0).current, 2);  // the failed reserve changed nothing
  CHECK_EQ(s->release(a), ctr::kOk);
  const int64_t c = reserve1(*s, id, 1, 0);
  CHECK(c >= 0 && c != a);
  // A refused reserve returns its slot.
  const int32_t full = make(*s, "full", ctr::kGauge, 0, 0);
  CHECK_EQ(s->release(b), ctr::kOk);
  CHECK_EQ(reserve1(*s, full, 1, 0), ctr::kRefused);
  CHECK(reserve1(*s, id, 1, 0) >= 0);
  CHECK_EQ(reserve1(*s, id, 1, 0), ctr::kReservationsFull);
}

void test_not_open() {
  ctr::CounterStore s;
  int32_t id = 0;
  int64_t amount = 1;
  CHECK_EQ(s.reserve(&id, &amount, 1, 0, nullptr), ctr::kNotOpen);
  CHECK_EQ(s.settle(0, nullptr, 0), ctr::kNotOpen);
  CHECK_EQ(s.release(0), ctr::kNotOpen);
  CHECK_EQ(s.configure(0, ctr::kGauge, 1, 0, 0), ctr::kNotOpen);
  CHECK_EQ(s.reset(0, 0, 0), ctr::kNotOpen);
  ctr::Info out{};
  CHECK_EQ(s.info(0, 0, &out), ctr::kNotOpen);
  CHECK(std::string(ctr::status_message(ctr::kReservationsFull)) == "too many open reservations");
  CHECK(std::string(ctr::status_message(-99)) == "unknown status");
}

}  // namespace

int main() {
  test_init_and_intern();
  test_configure_arguments();
  test_reserve_arguments();
  test_fixed_window_edges();
  test_amount_zero_and_over_limit();
  test_all_or_nothing();
  test_reserve_reports_current_after();
  test_settle_and_release();
  test_straddling_window_boundary();
  test_clock_going_back();
  test_sliding_window();
  test_sliding_window_never_over_admits();
  test_gauge();
  test_accumulator_micro_units();
  test_reconfigure();
  test_reservation_capacity();
  test_not_open();
  std::printf("counters_test: %d passed, %d failed\n", ::ailb::check::passed, ::ailb::check::failed);
  return ::ailb::check::failed == 0 ? 0 : 1;
}
