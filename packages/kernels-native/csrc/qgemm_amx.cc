// AMX-INT8 tile GEMM (-mamx-tile -mamx-int8 plus AVX512-VNNI for the M < 16 rows path). Tiles: C0..C3 (16 x 16
// int32 each, a 32 x 32 output block), A0/A1 (16 rows x 64 k of u8), B0/B1 (16 k-groups x 16 columns x 4 k of s8: one
// 64-k slice of a packed panel, stride 64 bytes). tdpbusd accumulates u8 x s8 in int32 without saturation, so the
// result is exact for any weights. The caller must have obtained the XTILEDATA permission (request_amx_permission).
#include <immintrin.h>

#include <cstring>

#include "common.h"

namespace lowbit {
namespace {
#include "qgemm_driver.h"

inline __m512i bcast4(const uint8_t* p) {
  int32_t w;
  std::memcpy(&w, p, 4);
  return _mm512_set1_epi32(w);
}

// Few rows (and the GEMV) use vpdpbusd on the same 16-column panels.
struct Vnni16UK {
  static constexpr int MR = 8, NR = 16, PLANES = 1;
  __attribute__((noinline)) static void tile(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, int ldc, bool acc) {
    __m512i s[MR];
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) s[r] = _mm512_setzero_si512();
    for (int g = 0; g < kg; g++, a += MR * 4, b += 64) {
      const __m512i bv = _mm512_load_si512(b);
#pragma GCC unroll 8
      for (int r = 0; r < MR; r++) s[r] = _mm512_dpbusd_epi32(s[r], bcast4(a + 4 * r), bv);
    }
    #pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      int32_t* d = c + static_cast<size_t>(r) * ldc;
      _mm512_storeu_si512(d, acc ? _mm512_add_epi32(s[r], _mm512_loadu_si512(d)) : s[r]);
    }
  }
  __attribute__((noinline)) static void gemv(int kg, const uint8_t* a, int, const int8_t* b, int32_t* c, bool acc) {
    __m512i s[4];
    #pragma GCC unroll 16
    for (int u = 0; u < 4; u++) s[u] = _mm512_setzero_si512();
    int g = 0;
    for (; g + 4 <= kg; g += 4, a += 16, b += 256) {
#pragma GCC unroll 4
      for (int u = 0; u < 4; u++) s[u] = _mm512_dpbusd_epi32(s[u], bcast4(a + 4 * u), _mm512_load_si512(b + 64 * u));
    }
    for (; g < kg; g++, a += 4, b += 64) s[0] = _mm512_dpbusd_epi32(s[0], bcast4(a), _mm512_load_si512(b));
    __m512i r = _mm512_add_epi32(_mm512_add_epi32(s[0], s[1]), _mm512_add_epi32(s[2], s[3]));
    if (acc) r = _mm512_add_epi32(r, _mm512_loadu_si512(c));
    _mm512_storeu_si512(c, r);
  }
};
using DV = QDriver<Vnni16UK>;

struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0, reserved[14] = {0};
  uint16_t colsb[16] = {0};
  uint8_t rows[16] = {0};
};

constexpr int AMX_MC = 64;     // rows of A per packed block
constexpr int AMX_KC = 4096;   // k per block (C stays in tiles across it)

void pack_rows(const QGemmArgs& a, int i0, int mc, int pc, int kc, uint8_t* dst) {
  const uint8_t x = a.a_signed ? 0x80 : 0;
  const int rows = (mc + 31) / 32 * 32;
  for (int i = 0; i < rows; i++) {
    uint8_t* d = dst + static_cast<size_t>(i) * kc;
    const int valid = i < mc ? (a.K - pc < kc ? (a.K - pc > 0 ? a.K - pc : 0) : kc) : 0;
    const uint8_t* s = a.A + static_cast<size_t>(i0 + i) * a.lda + pc;
    if (x == 0 && valid > 0) {
      std::memcpy(d, s, valid);
    } else {
      for (int k = 0; k < valid; k++) d[k] = s[k] ^ x;
    }
    if (valid < kc) std::memset(d + valid, 0, kc - valid);
  }
}

void amx_run(const QGemmArgs& a, int m0, int m1, int p0, int p1, void* scratch_v) {
  if (m1 - m0 < 16) {
    DV::run(a, m0, m1, p0, p1, scratch_v);
    return;
  }
  uint8_t* apack = static_cast<uint8_t*>(scratch_v);
  const QPackedB& B = *a.B;
  const int Kp = B.Kp;
  TileConfig cfg;
  for (int t = 0; t < 8; t++) {
    cfg.colsb[t] = 64;
    cfg.rows[t] = 16;
  }
  _tile_loadconfig(&cfg);
  alignas(64) int32_t tmp[32 * 32];
  for (int pc = 0; pc < Kp; pc += AMX_KC) {
    const int kc = Kp - pc < AMX_KC ? Kp - pc : AMX_KC;
    const bool acc = pc > 0;
    for (int ic = m0; ic < m1; ic += AMX_MC) {
      const int mc = m1 - ic < AMX_MC ? m1 - ic : AMX_MC;
      pack_rows(a, ic, mc, pc, kc, apack);
      for (int jp = p0; jp < p1; jp += 2) {
        const bool two = jp + 1 < p1;
        const int8_t* b0 = B.data + static_cast<size_t>(jp) * Kp * 16 + static_cast<size_t>(pc) * 16;
        const int8_t* b1 = two ? b0 + static_cast<size_t>(Kp) * 16 : b0;
        const int n0 = jp * 16, nv = (a.N - n0 < (two ? 32 : 16)) ? a.N - n0 : (two ? 32 : 16);
        for (int ir = 0; ir < mc; ir += 32) {
          const int mv = mc - ir < 32 ? mc - ir : 32;
          const bool full = mv == 32 && nv == 32;
          int32_t* c = a.C + static_cast<size_t>(ic + ir) * a.ldc + n0;
          int32_t* cdst = full ? c : tmp;
          const size_t ldd = full ? static_cast<size_t>(a.ldc) * 4 : 128;
          if (acc) {
            if (!full)
              for (int r = 0; r < mv; r++)
                for (int j = 0; j < nv; j++) tmp[r * 32 + j] = c[static_cast<size_t>(r) * a.ldc + j];
            _tile_loadd(0, cdst, ldd);
            _tile_loadd(1, cdst + 16, ldd);
            _tile_loadd(2, cdst + 16 * (ldd / 4), ldd);
            _tile_loadd(3, cdst + 16 * (ldd / 4) + 16, ldd);
          } else {
            _tile_zero(0);
            _tile_zero(1);
            _tile_zero(2);
            _tile_zero(3);
          }
          const uint8_t* ap = apack + static_cast<size_t>(ir) * kc;
          for (int kb = 0; kb < kc; kb += 64) {
            _tile_loadd(4, ap + kb, kc);
            _tile_loadd(5, ap + static_cast<size_t>(16) * kc + kb, kc);
            _tile_loadd(6, b0 + static_cast<size_t>(kb) * 16, 64);
            _tile_dpbusd(0, 4, 6);
            _tile_dpbusd(2, 5, 6);
            if (two) {
              _tile_loadd(7, b1 + static_cast<size_t>(kb) * 16, 64);
              _tile_dpbusd(1, 4, 7);
              _tile_dpbusd(3, 5, 7);
            }
          }
          _tile_stored(0, cdst, ldd);
          _tile_stored(2, cdst + 16 * (ldd / 4), ldd);
          if (two) {
            _tile_stored(1, cdst + 16, ldd);
            _tile_stored(3, cdst + 16 * (ldd / 4) + 16, ldd);
          }
          if (!full)
            for (int r = 0; r < mv; r++)
              for (int j = 0; j < nv; j++) c[static_cast<size_t>(r) * a.ldc + j] = tmp[r * 32 + j];
        }
      }
    }
  }
  _tile_release();
  DV::fixup(a, m0, m1, p0 * 16, p1 * 16 < a.N ? p1 * 16 : a.N);
}

constexpr size_t amx_scratch() {
  return static_cast<size_t>(AMX_MC) * AMX_KC > DV::scratch_bytes() ? static_cast<size_t>(AMX_MC) * AMX_KC + 64 : DV::scratch_bytes();
}
}  // namespace

const QGemmKernel kQGemmAmx = {"amx-int8", "amx-int8", ISA_AVX2 | ISA_AVX512 | ISA_AVX512VNNI | ISA_AMXINT8, 16, 64, false, amx_scratch(), &amx_run,
                               false, nullptr, nullptr, 0, 0, false, nullptr, nullptr, nullptr, /*float_epi=*/false};

}  // namespace lowbit
