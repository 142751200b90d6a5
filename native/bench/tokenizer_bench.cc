// Micro-benchmark of the native tokenizer (tokenizer.h): MB/s of count_text on synthetic text
// and the time of the adversarial inputs of the BPE merge (one letter repeated 1 MiB, a long run
// of spaces, one CJK character repeated, random letters without spaces).
//
//   out/tokenizer_bench [path/to/node_modules/tiktoken/encoders]
//
// Loads o200k_base and cl100k_base from the tiktoken package's encoder files (load time is
// printed too) and prints a markdown table.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

struct Input {
  const char* name;
  std::string text;
};

std::vector<Input> inputs() {
  const size_t mib = size_t{1} << 20;
  std::vector<Input> list;
  const std::string prose =
      "The committee met on Tuesday to review the proposal. After a long discussion, they agreed "
      "that the budget wasn't sufficient, and they'd revisit it next quarter. \"We can't approve "
      "this yet,\" said the chair; others nodded.\n";
  std::string text;
  while (text.size() < mib) text += prose;
  list.push_back({"English prose", text});
  const std::string code =
      "def merge(ranks, piece):\n    parts = list(range(len(piece) + 1))\n    while True:\n"
      "        best = min((ranks.get(piece[a:b], 1 << 30), i) for i, (a, b) in enumerate(pairs))\n"
      "        if best[0] == 1 << 30:\n            return parts\n\t// C: for (int i = 0; i < n; ++i) { x[i] += y[i]; }\r\n";
  text.clear();
  while (text.size() < mib) text += code;
  list.push_back({"source code", text});
  const std::string multi =
      "日本語のテキストと中文文本。한국어 문장입니다. Привет, мир! مرحبا بالعالم नमस्ते दुनिया สวัสดีชาวโลก "
      "שלום עולם Γειά σου κόσμε 😀👍🏽👨‍👩‍👧\n";
  text.clear();
  while (text.size() < mib) text += multi;
  list.push_back({"multilingual", text});
  list.push_back({"'a' x 1 MiB", std::string(mib, 'a')});
  list.push_back({"' ' x 1 MiB", std::string(mib, ' ')});
  text.clear();
  while (text.size() < mib) text += "\xE4\xB8\xAD";  // 中
  list.push_back({"'中' x 1 MiB", text});
  text.clear();
  uint32_t seed = 12345;
  for (size_t i = 0; i < mib; ++i) {
    seed = seed * 1103515245u + 12345u;
    text.push_back(static_cast<char>('a' + (seed >> 16) % 26));
  }
  list.push_back({"random letters 1 MiB", text});
  return list;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "../node_modules/tiktoken/encoders";
  const char* names[] = {"o200k_base", "cl100k_base"};
  const ailb::bpe::Encoding* encodings[2] = {};
  for (int id = 0; id < 2; ++id) {
    std::string file;
    if (!read_file(dir + "/" + names[id] + ".json", &file)) {
      std::fprintf(stderr, "cannot read %s/%s.json\n", dir.c_str(), names[id]);
      return 1;
    }
    std::string error;
    const auto t0 = Clock::now();
    encodings[id] = ailb::bpe::Registry::load(static_cast<ailb::bpe::EncodingId>(id),
                                              reinterpret_cast<const uint8_t*>(file.data()),
                                              file.size(), &error);
    if (encodings[id] == nullptr) {
      std::fprintf(stderr, "%s: %s\n", names[id], error.c_str());
      return 1;
    }
    std::printf("load %s: %.1f ms (%zu tokens, %.1f MiB)\n", names[id], ms_since(t0),
                encodings[id]->table.size(), encodings[id]->table.memory_bytes() / 1048576.0);
  }
  std::printf("\n| input | bytes | o200k tokens | o200k ms | o200k MB/s | cl100k ms | cl100k MB/s |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
  for (const Input& input : inputs()) {
    const auto* data = reinterpret_cast<const uint8_t*>(input.text.data());
    double ms[2];
    size_t tokens[2];
    for (int id = 0; id < 2; ++id) {
      double best = 1e30;
      for (int round = 0; round < 5; ++round) {
        const auto t0 = Clock::now();
        tokens[id] = ailb::bpe::count_text(*encodings[id], data, input.text.size());
        const double elapsed = ms_since(t0);
        if (elapsed < best) best = elapsed;
      }
      ms[id] = best;
    }
    std::printf("| %s | %zu | %zu | %.2f | %.0f | %.2f | %.0f |\n", input.name, input.text.size(),
                tokens[0], ms[0], input.text.size() / 1e3 / ms[0], ms[1],
                input.text.size() / 1e3 / ms[1]);
  }
  return 0;
}
