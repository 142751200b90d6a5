{
  "targets": [
    {
      "target_name": "ailb_native",
      "sources": ["native/addon.cc", "native/glue/scan.cc", "native/glue/sse.cc", "native/glue/counters.cc", "native/glue/tokenizer.cc"],
      "include_dirs": ["native"],
      "cflags_cc": ["-std=c++17", "-O3", "-fno-exceptions", "-Wall", "-Wextra"],
      "cflags_cc!": ["-fno-rtti"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
