// Multithreaded test of counters.h: several std::threads share one CounterStore and prove
// that no unit is lost or counted twice, that a limit admits exactly `limit` units however
// many threads race for it, that a gauge never holds more than its maximum, and that threads
// interning the same names get the same ids. Built plain, with ASan + UBSan and with TSan
// (native/Makefile: test, asan, tsan). STRESS_SCALE (an environment variable, default 1)
// multiplies the iteration counts.

#include "counters.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace ctr = ailb::counters;

namespace {

std::atomic<int> g_failed{0};
std::atomic<int> g_passed{0};

void expect(bool ok, const char* what, const std::string& detail) {
  if (ok) {
    ++g_passed;
    return;
  }
  ++g_failed;
  std::fprintf(stderr, "counters_stress_test: FAILED %s %s\n", what, detail.c_str());
}

int scale() {
  const char* value = std::getenv("STRESS_SCALE");
  const int parsed = value == nullptr ? 1 : std::atoi(value);
  return parsed > 0 ? parsed : 1;
}

constexpr int kThreads = 4;

template <typename Body>
void run_threads(Body body) {
  std::vector<std::thread> threads;
  std::atomic<int> ready{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Start together so the threads really contend.
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      body(t);
    });
  }
  for (auto& thread : threads) thread.join();
}

int32_t make(ctr::CounterStore& s, const std::string& name, int32_t kind, int64_t limit,
             int64_t window) {
  const int32_t id = s.intern(name.data(), name.size());
  if (id < 0 || s.configure(id, kind, limit, window, 0) != ctr::kOk) std::abort();
  return id;
}

ctr::Info info(ctr::CounterStore& s, int32_t id, int64_t now) {
  ctr::Info out{};
  s.info(id, now, &out);
  return out;
}

// A limit of N with 3N single-unit attempts racing from every thread admits exactly N.
void test_exact_admission() {
  for (int32_t kind : {ctr::kFixedWindow, ctr::kSlidingWindow, ctr::kGauge, ctr::kAccumulator}) {
    ctr::CounterStore s;
    s.init(16, 1u << 16);
    const int64_t limit = 3000 * scale();
    const bool windowed = kind == ctr::kFixedWindow || kind == ctr::kSlidingWindow;
    const int32_t id = make(s, "limited", kind, limit, windowed ? 3'600'000 : 0);
    const int32_t other = make(s, "other", ctr::kAccumulator, ctr::kMaxAmount, 0);
    std::atomic<int64_t> admitted{0};
    run_threads([&](int) {
      int32_t ids[2] = {other, id};
      int64_t amounts[2] = {1, 1};
      int64_t mine = 0;
      for (int64_t k = 0; k < 3 * limit / kThreads; ++k) {
        const int64_t h = s.reserve(ids, amounts, 2, 1000, nullptr);
        if (h >= 0) ++mine;  // left open: a gauge must keep holding it
      }
      admitted.fetch_add(mine);
    });
    const std::string name = "kind " + std::to_string(kind);
    expect(admitted.load() == limit, "exact admission", name + " admitted " +
                                                            std::to_string(admitted.load()));
    expect(info(s, id, 1000).current == limit, "counter total", name);
    // All-or-nothing: the unlimited counter took part only in admitted reservations.
    expect(info(s, other, 1000).current == limit, "partner total", name);
  }
}

// Random reservations over random subsets, settled with random actual amounts or released,
// from every thread at once. Each thread sums what it settled per counter; at the end every
// counter holds exactly the sum over threads and nothing is left reserved. The gauge is
// checked while running: reservations holding it never exceed its maximum.
void test_no_lost_or_double_counted_units() {
  ctr::CounterStore s;
  s.init(64, 1u << 16);
  constexpr int kCounters = 8;
  constexpr int64_t kGaugeMax = 3;
  int32_t ids[kCounters];
  for (int i = 0; i < kCounters; ++i) {
    // Counters 0..5 accumulate without a limit that matters; 6 fills up part-way through
    // the run and refuses from then on; 7 is the gauge.
    const std::string name = "c" + std::to_string(i);
    ids[i] = i < 6   ? make(s, name, i % 2 ? ctr::kFixedWindow : ctr::kAccumulator,
                            ctr::kMaxAmount, i % 2 ? 3'600'000 : 0)
             : i == 6 ? make(s, name, ctr::kAccumulator, 5'000'000, 0)
                      : make(s, name, ctr::kGauge, kGaugeMax, 0);
  }
  std::atomic<int64_t> gauge_held{0};
  std::atomic<bool> gauge_exceeded{false};
  std::vector<std::vector<int64_t>> settled(kThreads, std::vector<int64_t>(kCounters, 0));
  std::vector<int64_t> refusals(kThreads, 0);
  const int iterations = 40'000 * scale();
  run_threads([&](int t) {
    std::mt19937_64 rng(1234 + t);
    struct Open {
      int64_t handle;
      int n;
      int which[kCounters];
    };
    std::vector<Open> open;
    for (int k = 0; k < iterations; ++k) {
      // Either open a new reservation or finish one (keeps several open at a time).
      if (open.size() < 6 && (open.empty() || rng() % 2 == 0)) {
        Open o{};
        int order[kCounters];
        for (int i = 0; i < kCounters; ++i) order[i] = i;
        std::shuffle(order, order + kCounters, rng);  // ids in every order: lock order matters
        o.n = 1 + static_cast<int>(rng() % kCounters);
        int32_t res_ids[kCounters];
        int64_t amounts[kCounters];
        for (int i = 0; i < o.n; ++i) {
          o.which[i] = order[i];
          res_ids[i] = ids[order[i]];
          amounts[i] = order[i] == 7 ? 1 : static_cast<int64_t>(rng() % 1000);
        }
        ctr::Refusal refusal{};
        o.handle = s.reserve(res_ids, amounts, o.n, 1000, &refusal);
        if (o.handle < 0) {
          if (o.handle != ctr::kRefused) {
            expect(false, "reserve failed", std::to_string(o.handle));
            return;
          }
          ++refusals[t];
          continue;
        }
        if (std::find(o.which, o.which + o.n, 7) != o.which + o.n) {
          if (gauge_held.fetch_add(1) + 1 > kGaugeMax) gauge_exceeded.store(true);
        }
        open.push_back(o);
      } else {
        const size_t pick = rng() % open.size();
        const Open o = open[pick];
        open[pick] = open.back();
        open.pop_back();
        if (std::find(o.which, o.which + o.n, 7) != o.which + o.n) gauge_held.fetch_sub(1);
        if (rng() % 4 == 0) {
          expect(s.release(o.handle) == ctr::kOk, "release", "");
        } else {
          int64_t actual[kCounters];
          for (int i = 0; i < o.n; ++i) {
            actual[i] = static_cast<int64_t>(rng() % 2000);
            if (o.which[i] != 7) settled[t][o.which[i]] += actual[i];
          }
          expect(s.settle(o.handle, actual, o.n) == ctr::kOk, "settle", "");
        }
      }
    }
    for (const Open& o : open) {
      if (std::find(o.which, o.which + o.n, 7) != o.which + o.n) gauge_held.fetch_sub(1);
      s.release(o.handle);
    }
  });
  expect(!gauge_exceeded.load(), "gauge never over its maximum", "");
  for (int i = 0; i < kCounters; ++i) {
    int64_t want = 0;
    for (int t = 0; t < kThreads; ++t) want += settled[t][i];
    const ctr::Info got = info(s, ids[i], 1000);
    expect(got.current == want && got.reserved == 0, "totals",
           "counter " + std::to_string(i) + " current " + std::to_string(got.current) +
               " reserved " + std::to_string(got.reserved) + " want " + std::to_string(want));
  }
  int64_t total_refusals = 0;
  for (int64_t r : refusals) total_refusals += r;
  // The tight limit and the gauge must have refused some reservations, or the test proves
  // less than it claims.
  expect(total_refusals > 0, "some reservations refused", "");
}

// Threads intern the same names in different orders and get the same ids.
void test_concurrent_interning() {
  ctr::CounterStore s;
  s.init(4096, 16);
  constexpr int kNames = 2000;
  std::vector<std::vector<int32_t>> seen(kThreads, std::vector<int32_t>(kNames, -1));
  run_threads([&](int t) {
    std::vector<int> order(kNames);
    for (int i = 0; i < kNames; ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), std::mt19937(t));
    for (int i : order) {
      const std::string name = "key:" + std::to_string(i) + ":tpm";
      seen[t][i] = s.intern(name.data(), name.size());
    }
  });
  bool same = true;
  for (int i = 0; i < kNames; ++i) {
    for (int t = 1; t < kThreads; ++t) same = same && seen[t][i] == seen[0][i] && seen[0][i] >= 0;
  }
  expect(same, "same ids in every thread", "");
  expect(s.size() == kNames, "one id per name", std::to_string(s.size()));
}

// Reservations race with windows rolling over (time advances while threads work) and with
// reconfiguration of the limit; afterwards nothing is reserved and no counter is negative.
void test_rollover_under_contention() {
  ctr::CounterStore s;
  s.init(16, 1u << 12);
  const int32_t fixed = make(s, "fixed", ctr::kFixedWindow, 500, 10);
  const int32_t sliding = make(s, "sliding", ctr::kSlidingWindow, 500, 40);
  std::atomic<int64_t> clock{0};
  const int iterations = 20'000 * scale();
  run_threads([&](int t) {
    std::mt19937_64 rng(99 + t);
    int32_t ids[2] = {fixed, sliding};
    for (int k = 0; k < iterations; ++k) {
      const int64_t now = clock.fetch_add(1) / 8;
      int64_t amounts[2] = {static_cast<int64_t>(rng() % 20), static_cast<int64_t>(rng() % 20)};
      const int64_t h = s.reserve(ids, amounts, 2, now, nullptr);
      if (t == 0 && k % 1000 == 0) {
        s.configure(fixed, ctr::kFixedWindow, 400 + static_cast<int64_t>(rng() % 200), 10, now);
      }
      if (h < 0) continue;
      if (rng() % 3 == 0) {
        s.release(h);
      } else {
        int64_t actual[2] = {static_cast<int64_t>(rng() % 30), static_cast<int64_t>(rng() % 30)};
        s.settle(h, actual, 2);
      }
    }
  });
  const int64_t end = clock.load() / 8;
  for (int32_t id : {fixed, sliding}) {
    const ctr::Info i = info(s, id, end);
    expect(i.reserved == 0 && i.current >= 0, "rollover leaves nothing reserved",
           std::to_string(i.reserved));
  }
  expect(info(s, sliding, end + 1000).current == 0, "everything expires", "");
}

}  // namespace

int main() {
  test_exact_admission();
  test_no_lost_or_double_counted_units();
  test_concurrent_interning();
  test_rollover_under_contention();
  std::printf("counters_stress_test: %d passed, %d failed (%d threads)\n", g_passed.load(),
              g_failed.load(), kThreads);
  return g_failed == 0 ? 0 : 1;
}
