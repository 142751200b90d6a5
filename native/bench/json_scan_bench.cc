// Micro-benchmark of scan_request alone (no N-API), to separate the scanner's own speed from
// the cost of crossing into JavaScript (bench/scanner.ts measures that path).
// Prints one markdown row per body: size, median MB/s over several timed rounds.

#include "json_scan.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

std::string chat_body(size_t content_bytes, const std::string& phrase) {
  std::string content;
  while (content.size() < content_bytes) content += phrase;
  return "{\"model\":\"gpt-4o-mini\",\"stream\":true,\"max_tokens\":512,\"messages\":["
         "{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
         "{\"role\":\"user\",\"content\":\"" + content + "\"}],\"user\":\"user-1234\"}";
}

// Structure-heavy: many short messages and numbers, so the state machine dominates.
std::string many_messages_body(int count) {
  std::string messages;
  for (int k = 0; k < count; ++k) {
    messages += std::string(k ? "," : "") + "{\"role\":\"" + (k % 2 ? "assistant" : "user") +
                "\",\"content\":\"turn " + std::to_string(k) + "\",\"logprob\":-0." +
                std::to_string(k * 7919 % 1000) + ",\"ok\":true,\"tags\":[1,2,null]}";
  }
  return "{\"model\":\"gpt-4o-mini\",\"messages\":[" + messages + "]}";
}

double median_mb_per_s(const std::string& body) {
  const auto* data = reinterpret_cast<const uint8_t*>(body.data());
  // Enough iterations per round for about 64 MB of input, so timer resolution does not matter.
  const size_t iterations = std::max<size_t>(1, (64u << 20) / body.size());
  std::vector<double> rates;
  int32_t sink = 0;
  for (int round = 0; round < 9; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    for (size_t k = 0; k < iterations; ++k) {
      const ailb::ScanResult r = ailb::scan_request(data, body.size());
      sink += r.fields[ailb::kModel].end + static_cast<int32_t>(r.error);
    }
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - t0;
    rates.push_back(static_cast<double>(body.size() * iterations) / elapsed.count() / 1e6);
  }
  if (sink == 42) std::puts("");  // keeps the scans observable to the optimizer
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main() {
  const std::string ascii = "Explain how a load balancer spreads requests across servers. ";
  const std::string mixed = "Ünïcödé text — 日本語のテキスト — emoji 😀🎉 and plain words. ";
  const std::string cjk = "负载均衡器将请求分配到多个服务器上。";
  const struct { const char* name; std::string body; } cases[] = {
      {"chat 1 KB", chat_body(800, ascii)},
      {"chat 64 KB", chat_body(64 * 1024, ascii)},
      {"chat 600 KB ASCII", chat_body(600 * 1024, ascii)},
      {"chat 600 KB mixed unicode", chat_body(600 * 1024, mixed)},
      {"chat 600 KB CJK", chat_body(600 * 1024, cjk)},
      {"64 KB of short messages", many_messages_body(850)},
  };
  std::printf("| body | bytes | scan_request MB/s |\n|---|---:|---:|\n");
  for (const auto& c : cases) {
    if (ailb::scan_request(reinterpret_cast<const uint8_t*>(c.body.data()), c.body.size()).error !=
        ailb::ScanError::Ok) {
      std::fprintf(stderr, "%s: body does not scan\n", c.name);
      return 1;
    }
    std::printf("| %s | %zu | %.0f |\n", c.name, c.body.size(), median_mb_per_s(c.body));
  }
  return 0;
}
