// Micro-benchmark of counters.h alone (no N-API): one reserve over 4 counters (fixed window,
// sliding window, gauge, accumulator) followed by its settle, as a request does. Prints a
// markdown table: median ns per reserve+settle over several timed rounds, single-threaded,
// then 2 threads on the same 4 counters (every lock contended) and on 4 counters each.
// bench/counters.ts measures the same through N-API from JavaScript.

#include "counters.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace ctr = ailb::counters;

namespace {

constexpr int kRounds = 9;
constexpr int kIterations = 1 << 20;

struct Set {
  int32_t ids[4];
};

Set make_set(ctr::CounterStore& s, const std::string& prefix) {
  Set set{};
  const int32_t kinds[4] = {ctr::kFixedWindow, ctr::kSlidingWindow, ctr::kGauge,
                            ctr::kAccumulator};
  for (int i = 0; i < 4; ++i) {
    const std::string name = prefix + std::to_string(i);
    set.ids[i] = s.intern(name.data(), name.size());
    const bool windowed = i < 2;
    s.configure(set.ids[i], kinds[i], ctr::kMaxAmount, windowed ? 60'000 : 0, 0);
  }
  return set;
}

// ns per reserve+settle for one thread running kIterations of them.
double run(ctr::CounterStore& s, const Set& set, int64_t start_ms) {
  int64_t amounts[4] = {1, 1000, 1, 2500};
  int64_t actual[4] = {1, 640, 1, 1800};
  int64_t sink = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < kIterations; ++k) {
    // Time moves 1 ms every 1024 operations, so windows roll over now and then.
    const int64_t h = s.reserve(set.ids, amounts, 4, start_ms + (k >> 10), nullptr);
    sink += h;
    s.settle(h, actual, 4);
  }
  const std::chrono::duration<double, std::nano> elapsed = std::chrono::steady_clock::now() - t0;
  if (sink == 42) std::puts("");
  return elapsed.count() / kIterations;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Median over rounds of the mean ns per operation across `threads` threads, each on
// sets[thread].
double measure(ctr::CounterStore& s, const std::vector<Set>& sets, int threads) {
  std::vector<double> rounds;
  int64_t start_ms = 1'700'000'000'000;
  for (int round = 0; round < kRounds; ++round, start_ms += 10'000'000) {
    std::vector<double> ns(threads);
    std::atomic<int> ready{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (ready.load() < threads) {
        }
        ns[t] = run(s, sets[t], start_ms);
      });
    }
    for (auto& thread : pool) thread.join();
    double total = 0;
    for (double v : ns) total += v;
    rounds.push_back(total / threads);
  }
  return median(rounds);
}

}  // namespace

int main() {
  ctr::CounterStore s;
  if (s.init(1024, 1024) != ctr::kOk) return 1;
  const Set shared = make_set(s, "shared:");
  const Set a = make_set(s, "a:");
  const Set b = make_set(s, "b:");
  const unsigned cores = std::thread::hardware_concurrency();
  std::printf("| case | ns per reserve+settle (4 counters) | ops/s per thread | ops/s total |\n");
  std::printf("|---|---:|---:|---:|\n");
  struct Case {
    const char* name;
    std::vector<Set> sets;
  };
  const Case cases[] = {
      {"1 thread", {shared}},
      {"2 threads, same counters", {shared, shared}},
      {"2 threads, own counters", {a, b}},
  };
  for (const Case& c : cases) {
    const int threads = static_cast<int>(c.sets.size());
    const double ns = measure(s, c.sets, threads);
    std::printf("| %s | %.0f | %.2fM | %.2fM |\n", c.name, ns, 1e3 / ns, threads * 1e3 / ns);
  }
  std::printf("\n%u hardware threads.\n", cores);
  return 0;
}
