// check.h: the few helpers every native unit test uses. No framework: a failed check prints
// file:line and what failed, and the test's main prints "N passed, M failed" and exits non-zero
// when M > 0.
#pragma once

#include <cstdio>
#include <string>

namespace ailb::check {

inline int passed = 0;
inline int failed = 0;

inline void report(bool ok, const char* what, const char* file, int line, const std::string& detail) {
  if (ok) {
    ++passed;
    return;
  }
  ++failed;
  const char* slash = file;
  for (const char* p = file; *p != '\0'; ++p) {
    if (*p == '/') slash = p + 1;
  }
  std::fprintf(stderr, "%s:%d: FAILED %s %s\n", slash, line, what, detail.c_str());
}

}  // namespace ailb::check

#define AILB_REPORT(ok, what, line, detail) ::ailb::check::report((ok), (what), __FILE__, (line), (detail))
#define CHECK(cond) AILB_REPORT((cond), #cond, __LINE__, "")
#define CHECK_MSG(cond, detail) AILB_REPORT((cond), #cond, __LINE__, (detail))
