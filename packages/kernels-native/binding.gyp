# The native kernels: one static library per ISA so each translation unit gets its own target flags; the addon and
# the standalone equivalence executable link the same libraries and choose kernels at run time from CPUID.
{
  "target_defaults": {
    "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-fexceptions", "-ffp-contract=off"],
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20", "-O2", "-O0"],
    "cflags!": ["-O2", "-O0"],
    "include_dirs": ["csrc"],
  },
  "targets": [
    {
      "target_name": "lowbit_core",
      "type": "static_library",
      "sources": ["csrc/cpu.cc", "csrc/threadpool.cc", "csrc/ops.cc", "csrc/batched.cc", "csrc/conv.cc", "csrc/dwconv.cc", "csrc/elementwise.cc", "csrc/lookup.cc", "csrc/pool.cc", "csrc/qdq.cc", "csrc/qgemm_common.cc", "csrc/qgemm_scalar.cc", "csrc/fgemm_scalar.cc"],
      "dependencies": [],
      "conditions": [
        ["target_arch=='x64'", {"dependencies": ["lowbit_avx2", "lowbit_avxvnni", "lowbit_avx512", "lowbit_avx512vnni", "lowbit_amx"]}],
        ["target_arch=='arm64'", {"dependencies": ["lowbit_neon", "lowbit_neondot"]}],
      ],
    },
    {
      "target_name": "lowbit_native",
      "sources": ["csrc/addon.cc", "csrc/addon_gemm.cc", "csrc/addon_batched.cc", "csrc/addon_conv.cc", "csrc/addon_lookup.cc", "csrc/addon_qdq.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "dependencies": ["lowbit_core"],
    },
    {
      "target_name": "lowbit_equiv",
      "type": "executable",
      "sources": ["csrc/equiv_main.cc"],
      "dependencies": ["lowbit_core"],
      "libraries": ["-lpthread"],
    },
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {"target_name": "lowbit_avx2", "type": "static_library", "sources": ["csrc/qgemm_avx2.cc", "csrc/batched_avx2.cc", "csrc/fgemm_avx2.cc", "csrc/dwconv_avx2.cc", "csrc/elementwise_avx2.cc", "csrc/qdq_avx2.cc", "csrc/pool_avx2.cc"],
         "cflags_cc": ["-mavx2", "-mfma", "-ffp-contract=off"]},
        {"target_name": "lowbit_avxvnni", "type": "static_library", "sources": ["csrc/qgemm_vnni.cc"],
         "cflags_cc": ["-mavx2", "-mfma", "-mavxvnni"]},
        {"target_name": "lowbit_avx512", "type": "static_library", "sources": ["csrc/fgemm_avx512.cc", "csrc/elementwise_avx512.cc", "csrc/dwconv_avx512.cc", "csrc/qdq_avx512.cc", "csrc/dynq_avx512.cc"],
         "cflags_cc": ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq"]},
        {"target_name": "lowbit_avx512vnni", "type": "static_library", "sources": ["csrc/qgemm_avx512vnni.cc", "csrc/dwconv_avx512vnni.cc"],
         "cflags_cc": ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni"]},
        {"target_name": "lowbit_amx", "type": "static_library", "sources": ["csrc/qgemm_amx.cc"],
         "cflags_cc": ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512vl", "-mavx512dq", "-mavx512vnni", "-mamx-tile", "-mamx-int8"]},
      ],
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {"target_name": "lowbit_neon", "type": "static_library", "sources": ["csrc/qgemm_neon.cc", "csrc/fgemm_neon.cc"]},
        {"target_name": "lowbit_neondot", "type": "static_library", "sources": ["csrc/qgemm_neondot.cc"],
         "cflags_cc": ["-march=armv8.2-a+dotprod"]},
      ],
    }],
  ],
}
