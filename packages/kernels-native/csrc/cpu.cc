// Run-time CPU feature detection: CPUID leaf 7 plus XGETBV (the OS must save the register state) on x86-64,
// getauxval(AT_HWCAP) on arm64. Also the AMX permission request Linux requires before the first tile instruction.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "common.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#elif defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

namespace lowbit {

#if defined(__x86_64__) || defined(_M_X64)
static uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

uint32_t detect_isas() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const bool osxsave = c & (1u << 27), fma = c & (1u << 12), avx = c & (1u << 28);
  if (!osxsave || !avx) return 0;
  const uint64_t xcr0 = xgetbv0();
  const bool ymm = (xcr0 & 0x6) == 0x6, zmm = (xcr0 & 0xe6) == 0xe6, tiles = (xcr0 & 0x60000) == 0x60000;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
  const unsigned b7 = b, c7 = c, d7 = d;
  unsigned a71 = 0, b71, c71, d71;
  if (a >= 1) __get_cpuid_count(7, 1, &a71, &b71, &c71, &d71);
  uint32_t out = 0;
  if (ymm && fma && (b7 & (1u << 5))) out |= ISA_AVX2;
  const bool f = b7 & (1u << 16), dq = b7 & (1u << 17), bw = b7 & (1u << 30), vl = b7 & (1u << 31);
  if ((out & ISA_AVX2) && zmm && f && dq && bw && vl) out |= ISA_AVX512;
  if ((out & ISA_AVX2) && (a71 & (1u << 4))) out |= ISA_AVXVNNI;
  if ((out & ISA_AVX512) && (c7 & (1u << 11))) out |= ISA_AVX512VNNI;
  if (tiles && (d7 & (1u << 24)) && (d7 & (1u << 25)) && (out & ISA_AVX512)) out |= ISA_AMXINT8;
  return out;
}

void cpu_brand(char out[64]) {
  unsigned r[12] = {0};
  unsigned a = 0, b = 0, c = 0, d = 0;
  __get_cpuid(0x80000000, &a, &b, &c, &d);
  if (a < 0x80000004) {
    std::snprintf(out, 64, "unknown x86-64");
    return;
  }
  for (unsigned i = 0; i < 3; i++) __get_cpuid(0x80000002 + i, &r[4 * i], &r[4 * i + 1], &r[4 * i + 2], &r[4 * i + 3]);
  std::memcpy(out, r, 48);
  out[48] = 0;
}

bool request_amx_permission() {
#if defined(__linux__)
  constexpr long ARCH_GET_XCOMP_PERM = 0x1022, ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18;
  unsigned long bitmask = 0;
  if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &bitmask) == 0 && (bitmask & (1ul << XFEATURE_XTILEDATA))) return true;
  if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0) return false;
  bitmask = 0;
  return syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &bitmask) == 0 && (bitmask & (1ul << XFEATURE_XTILEDATA));
#else
  return false;
#endif
}

#elif defined(__aarch64__)
uint32_t detect_isas() {
  uint32_t out = ISA_NEON;
#if defined(__linux__)
  const unsigned long hw = getauxval(AT_HWCAP);
  if (hw & (1ul << 20)) out |= ISA_NEONDOT;  // HWCAP_ASIMDDP
#endif
  return out;
}
void cpu_brand(char out[64]) { std::snprintf(out, 64, "arm64"); }
bool request_amx_permission() { return false; }
#else
uint32_t detect_isas() { return 0; }
void cpu_brand(char out[64]) { std::snprintf(out, 64, "unknown"); }
bool request_amx_permission() { return false; }
#endif

void* aligned_alloc64(size_t bytes) {
  void* p = nullptr;
  // Packed weights are streamed once per call: large ones go on 2 MiB pages where the kernel allows it (fewer TLB
  // misses for a GEMV over 16-64 MiB of weights).
  const size_t huge = size_t(2) << 20;
  const size_t align = bytes >= huge ? huge : 64;
  if (posix_memalign(&p, align, bytes < 64 ? 64 : bytes) != 0) return nullptr;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == huge) madvise(p, (bytes + huge - 1) / huge * huge, MADV_HUGEPAGE);
#endif
  return p;
}
void aligned_free(void* p) { std::free(p); }

}  // namespace lowbit
