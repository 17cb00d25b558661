#include "conv.h"

#include "qdq.h"

#include <cstring>
#include <vector>

namespace lowbit {

namespace {

template <class T>
void im2col(const T* x, const ConvGeom& g, T pad, T* col) {
  const int K = g.C * g.KH * g.KW;
  for (int oh = 0; oh < g.OH; oh++)
    for (int ow = 0; ow < g.OW; ow++) {
      T* row = col + (static_cast<size_t>(oh) * g.OW + ow) * K;
      for (int c = 0; c < g.C; c++) {
        const T* plane = x + static_cast<size_t>(c) * g.H * g.W;
        for (int kh = 0; kh < g.KH; kh++) {
          const int ih = oh * g.stride_h - g.pad_t + kh * g.dil_h;
          T* r = row + (c * g.KH + kh) * g.KW;
          if (ih < 0 || ih >= g.H) {
            for (int kw = 0; kw < g.KW; kw++) r[kw] = pad;
            continue;
          }
          const T* src = plane + static_cast<size_t>(ih) * g.W;
          for (int kw = 0; kw < g.KW; kw++) {
            const int iw = ow * g.stride_w - g.pad_l + kw * g.dil_w;
            r[kw] = iw < 0 || iw >= g.W ? pad : src[iw];
          }
        }
      }
    }
}

/** dst[m, p] = src[p, m] for an [P, M] block. */
template <class T>
void transpose(const T* src, int P, int M, T* dst) {
  constexpr int B = 32;
  for (int p0 = 0; p0 < P; p0 += B)
    for (int m0 = 0; m0 < M; m0 += B)
      for (int m = m0; m < m0 + B && m < M; m++)
        for (int p = p0; p < p0 + B && p < P; p++) dst[static_cast<size_t>(m) * P + p] = src[static_cast<size_t>(p) * M + m];
}

template <class T>
T* grow(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
  return v.data();
}

}  // namespace

namespace {

/** Row strips of near-equal height (<= mr): M = 16 with mr 12 is 8 + 8, not 12 + 4. `pairs` (an even mr): strips of
 *  whole row pairs, an odd row only in the last strip (the int8 epilogues requantize two rows at a time: M = 32 is
 *  10 + 10 + 12, not 10 + 11 + 11). */
int* strip_rows(int M, int mr, int extra, int* strips, bool pairs = false) {
  const int n = M > 0 ? (M + mr - 1) / mr : 0;
  int* row0 = static_cast<int*>(aligned_alloc64(sizeof(int) * (n + 2)));
  if (pairs && mr % 2 == 0 && n > 0) {
    // ceil(M / 2) pairs over n strips: at most ceil(pairs / n) <= mr / 2 pairs each, and at least one
    const long pr = (M + 1) / 2;
    for (int s = 0; s <= n; s++) {
      const long r = 2 * (pr * s / n);
      row0[s] = static_cast<int>(r < M ? r : M);
    }
    row0[n + 1] = M + extra;
    *strips = n;
    return row0;
  }
  for (int s = 0; s <= n; s++) row0[s] = static_cast<int>(static_cast<long>(M) * s / (n > 0 ? n : 1));
  row0[n + 1] = M + extra;
  *strips = n;
  return row0;
}

/** The direct convolution's weights from the GEMM's packed B (= W^T in panels of nr columns). */
void fconv_pack(const FGemmKernel& k, const FPackedB& B, FConvW* w) {
  const int M = B.N, K = B.K;
  w->M = M;
  w->K = K;
  w->row0 = strip_rows(M, k.conv_mr, 0, &w->strips);
  w->data = static_cast<float*>(aligned_alloc64(sizeof(float) * (static_cast<size_t>(M) * K + 16)));
  for (int s = 0; s < w->strips; s++) {
    const int r0 = w->row0[s], rows = w->row0[s + 1] - r0;
    float* d = w->data + static_cast<size_t>(r0) * K;
    for (int kk = 0; kk < K; kk++)
      for (int r = 0; r < rows; r++) {
        const int m = r0 + r;
        d[static_cast<size_t>(kk) * rows + r] = B.data[(static_cast<size_t>(m / B.nr) * K + kk) * B.nr + m % B.nr];
      }
  }
}

/** Splits the columns of `batch` images into contiguous runs of whole panels; calls fn(n, j0, j1, buffer slot). */
template <class F>
void conv_columns(ThreadPool* pool, int threads, bool by_slot, int batch, int P, int nr, int64_t unit_work, int64_t grain,
                  F&& fn) {
  const int panels = (P + nr - 1) / nr, units = batch * panels;
  int tasks = threads < units ? threads : units;
  // Several threads: 4 pieces per thread, claimed in turn (buffers by thread slot), so a thread the OS runs late holds
  // back one small piece rather than its whole share. Which thread computes a piece never changes its values.
  if (pool && threads > 1 && by_slot) tasks = 4 * threads < units ? 4 * threads : units;
  // and no piece under the grain (`unit_work` per panel of one image): see grain_tasks
  tasks = grain_tasks(pool, static_cast<int64_t>(units) * unit_work, grain, tasks);
  const bool slot = by_slot && pool && tasks > 1;
  auto body = [&](int t) {
    const int u0 = static_cast<int>(static_cast<long>(units) * t / tasks), u1 = static_cast<int>(static_cast<long>(units) * (t + 1) / tasks);
    for (int u = u0; u < u1;) {
      const int n = u / panels, p0 = u - n * panels;
      const int p1 = u1 - n * panels < panels ? u1 - n * panels : panels;
      fn(n, p0 * nr, p1 * nr < P ? p1 * nr : P, slot ? ThreadPool::current_slot() : t);
      u = n * panels + p1;
    }
  };
  if (pool && tasks > 1) pool->run(tasks, body);
  else body(0);
}

/** The direct convolution's int8 weights from the GEMM's packed B (b_s = b - boff already, in 4-k groups per column). */
// The QConvArgs both direct-convolution drivers set the same way: weights, geometry, zero points, column sums, and the
// requantize stage when r is given (the caller sets the float stage, X and the outputs).
void qconv_common_args(QConvArgs& a, const QConvW& W, const ConvGeom& g, bool x_signed, int32_t xzp, const int32_t* zwe, int zw_n, bool colsum,
                       const Requant* r) {
  a.W = &W;
  a.x_signed = x_signed;
  a.g = g;
  a.xpad = static_cast<uint8_t>(xzp);
  a.zxe = xzp + (x_signed ? 128 : 0);
  a.zwe = zwe;
  a.zwe_n = zw_n;
  a.colsum = colsum;
  if (r) {
    a.mult = r->mult;
    a.mult_n = r->mult_n;
    a.bias = r->bias;
    a.yzp = r->zp;
    a.y_signed = r->out_signed;
  }
}

void qconv_pack(const QGemmKernel& k, const QPackedB& B, QConvW* w, bool fold = false) {
  const int M = B.N, K = B.K, Kp = B.Kp;
  w->M = M;
  w->K = K;
  w->Kp = Kp;
  w->boff = B.boff;
  w->planes = k.conv_split && !B.sevenbit ? 2 : 1;
  w->folded = fold;
  w->row0 = fold ? strip_rows(M + 1, k.conv_mr, 0, &w->strips, true) : strip_rows(M, k.conv_mr, 1, &w->strips, true);
  const size_t bytes = static_cast<size_t>(M + 1) * Kp * w->planes;
  w->data = static_cast<int8_t*>(aligned_alloc64(bytes + 64));
  std::memset(w->data, 0, bytes + 64);
  w->wsum = static_cast<int32_t*>(aligned_alloc64(sizeof(int32_t) * (M + 1)));
  for (int m = 0; m < M; m++) w->wsum[m] = B.colsum[m];
  for (int s = 0; s <= w->strips; s++) {
    const int r0 = w->row0[s], rows = w->row0[s + 1] - r0;
    int8_t* d = w->data + static_cast<size_t>(r0) * Kp * w->planes;
    for (int kk = 0; kk < K; kk++)
      for (int r = 0; r < rows; r++) {
        const int m = r0 + r;
        const int v = m < M ? B.data[static_cast<size_t>(m / B.nr) * Kp * B.nr + static_cast<size_t>(kk / 4) * B.nr * 4 + (m % B.nr) * 4 + (kk & 3)] : 1;
        const size_t at = static_cast<size_t>(kk / 4) * rows * 4 + r * 4 + (kk & 3);
        if (w->planes == 1) {
          d[at] = static_cast<int8_t>(v);
        } else {
          d[at] = static_cast<int8_t>(v & 63);
          d[static_cast<size_t>(rows) * Kp + at] = static_cast<int8_t>(v >> 6);
        }
      }
  }
}

/** The weights in channel-group order for conv_c4 (see ConvC4): k4 = ((kh * KW + kw) * Cg + c / 4) * 4 + c % 4, zero
 *  weights for c >= C; the ones row (column sums) has ones at the real channels only. */
void qconv_pack_c4(const QGemmKernel& k, const QPackedB& B, const ConvGeom& g, QConvW* w, bool fold = false) {
  const int M = B.N, K = B.K, Cg = (g.C + 3) / 4, taps = g.KH * g.KW, Kp = taps * Cg * 4;
  w->M = M;
  w->K = K;
  w->Kp = Kp;
  w->boff = B.boff;
  w->planes = 1;
  w->folded = fold;
  w->row0 = fold ? strip_rows(M + 1, k.conv_mr, 0, &w->strips, true) : strip_rows(M, k.conv_mr, 1, &w->strips, true);
  const size_t bytes = static_cast<size_t>(M + 1) * Kp;
  w->data = static_cast<int8_t*>(aligned_alloc64(bytes + 64));
  std::memset(w->data, 0, bytes + 64);
  w->wsum = static_cast<int32_t*>(aligned_alloc64(sizeof(int32_t) * (M + 1)));
  for (int m = 0; m < M; m++) w->wsum[m] = B.colsum[m];
  for (int s = 0; s <= w->strips; s++) {
    const int r0 = w->row0[s], rows = w->row0[s + 1] - r0;
    int8_t* d = w->data + static_cast<size_t>(r0) * Kp;
    for (int c = 0; c < g.C; c++)
      for (int t = 0; t < taps; t++) {
        const int kk = c * taps + t, k4 = (t * Cg + c / 4) * 4 + c % 4;
        for (int r = 0; r < rows; r++) {
          const int m = r0 + r;
          const int v = m < M ? B.data[static_cast<size_t>(m / B.nr) * B.Kp * B.nr + static_cast<size_t>(kk / 4) * B.nr * 4 + (m % B.nr) * 4 + (kk & 3)] : 1;
          d[static_cast<size_t>(k4 / 4) * rows * 4 + r * 4 + (k4 & 3)] = static_cast<int8_t>(v);
        }
      }
  }
}

bool conv_is_pointwise_geom(const ConvGeom& g) {
  return g.KH == 1 && g.KW == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_t == 0 && g.pad_l == 0 && g.OH == g.H && g.OW == g.W;
}

bool finite_all(const float* v, int n) {
  for (int i = 0; i < n; i++)
    if (!(v[i] - v[i] == 0.0f)) return false;  // NaN or infinite
  return true;
}

/** The dynamic-int8 float epilogue of a convolution: Y = act(float(acc) * scale (+ bias[m])). */
struct FloatOut {
  float* Y;  // null for fmode 2 / 3
  float scale;
  const float* bias;
  FloatAct act;
  RangeSink* range;
  int fmode = 0;       // QConvArgs::fmode
  float qscale = 1.0f;
  int32_t qzp = 0;
  uint8_t* Y8 = nullptr;  // fmode 3
  bool prepped = false;   // conv_c4: the calling thread's layout scratch already holds X in the c4 layout (the second pass over the same X)
};

/** QConvArgs' float epilogue from f (the per-image outputs Yf / Y8 are set by the caller). */
void float_out_args(QConvArgs& a, const FloatOut& f) {
  a.fscale = f.scale;
  a.fbias = f.bias;
  a.fact = f.act;
  a.range = f.range;
  a.fmode = f.fmode;
  a.qscale = f.qscale;
  a.qzp = f.qzp;
}

/** QLinearConv (r) or the dynamic-int8 float epilogue (f) through conv_c4 when the kernel has it (finite multipliers,
 *  strides <= 2); false: not taken. */
bool qconv_c4(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
              const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, const Requant* r, uint8_t* Y8, const FloatOut* f = nullptr) {
  // (a 1x1 / stride 1 / unpadded convolution packs its panels from X in place: the c4 copy would be one more pass)
  if (!k.conv_c4 || conv_is_pointwise_geom(g) || g.stride_h > 2 || g.stride_w > 2 || (r && !finite_all(r->mult, r->mult_n))) return false;
  const ConvC4 l = conv_c4_layout(g);
  const size_t img = l.bytes;
  if (static_cast<double>(img) * batch > 1e9 || static_cast<size_t>(l.Cg) * l.phases * l.plane + 4 * (static_cast<size_t>(l.Wq) + 64) > (1u << 30)) return false;
  if (static_cast<int>(ws.zbe.size()) < zw_n) ws.zbe.resize(zw_n);
  bool colsum = false;
  for (int j = 0; j < zw_n; j++) {
    ws.zbe[j] = zw[j] - B.boff;
    colsum = colsum || ws.zbe[j] != 0;
  }
  // column sums needed: the weights with the ones row folded into the last strip when the kernel takes them
  const bool fold = colsum && k.conv_fold;
  QConvW& W = fold ? ws.qconvw4f : ws.qconvw4;
  if (!W.data) qconv_pack_c4(k, B, g, &W, fold);
  const int M = W.M, P = g.OH * g.OW, Q = g.OH * l.Wq, groups = W.Kp / 4;
  // group offsets: tap (kh, kw), channel group cg -> phase plane and shift
  if (static_cast<int>(ws.goff.size()) < groups) ws.goff.resize(groups);
  for (int kh = 0, gi = 0; kh < g.KH; kh++)
    for (int kw = 0; kw < g.KW; kw++) {
      // the tap's phase plane and shift (divisions once per tap), then one phase block per channel group
      const int dh = kh * g.dil_h, dw = kw * g.dil_w;
      const size_t phase = static_cast<size_t>(dh % g.stride_h) * g.stride_w + dw % g.stride_w;
      const size_t shift = 4 * (static_cast<size_t>(dh / g.stride_h) * l.Wq + dw / g.stride_w), block = static_cast<size_t>(l.phases) * l.plane;
      for (int cg = 0; cg < l.Cg; cg++, gi++) ws.goff[gi] = static_cast<int32_t>(cg * block + phase * l.plane + shift);
    }
  // the layout in the calling thread's scratch (a two-pass call's second pass finds the first pass's copy there)
  uint8_t* xi = static_cast<uint8_t*>(thread_scratch(kScratchLayout, img * batch));
  const size_t in = static_cast<size_t>(g.C) * g.H * g.W, out = static_cast<size_t>(M) * P;
  QConvArgs a{};
  qconv_common_args(a, W, g, x_signed, xzp, ws.zbe.data(), zw_n, colsum, r);
  if (!r) {
    float_out_args(a, *f);
    if (f->Y) prefault_output(f->Y, sizeof(float) * static_cast<size_t>(M) * P * batch);
  }
  a.goff = ws.goff.data();
  a.Wq = l.Wq;
  const int threads = pool ? (pool->size() < ws.threads() ? pool->size() : ws.threads()) : 1;
  // the layout copy split by rows over the pool (disjoint bytes: the same layout for any split)
  const int rows = conv_c4_rows(l);
  const int pieces = grain_tasks(threads > 1 ? pool : nullptr, static_cast<int64_t>(img), kGrainCheap, threads);
  for (int n = 0; n < batch && !(f && f->prepped); n++) {
    a.X = X + n * in;
    uint8_t* dst = xi + n * img;
    if (pieces > 1) pool->run(pieces, [&](int t) { k.conv_c4_prep(a, dst, static_cast<int>(static_cast<int64_t>(rows) * t / pieces), static_cast<int>(static_cast<int64_t>(rows) * (t + 1) / pieces)); });
    else k.conv_c4_prep(a, dst, 0, rows);
  }
  const size_t bytes = sizeof(int32_t) * (k.conv_nr + 3 * (static_cast<size_t>(M) + 1)) + 64;
  conv_columns(pool, threads, pool && pool->size() <= ws.threads(), batch, Q, k.conv_nr, static_cast<int64_t>(W.Kp) * k.conv_nr * M, kGrainI8, [&](int n, int j0, int j1, int t) {
    QConvArgs b = a;
    b.X = xi + n * img;
    if (r) b.Y8 = Y8 + n * out;
    else if (f->fmode == 3) b.Y8 = f->Y8 + n * out;
    else if (f->Y) b.Yf = f->Y + n * out;
    k.conv_c4(b, j0, j1, ws.thread_buf(t, bytes));
  });
  return true;
}

void qconv_direct(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
                  const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, const Requant* r, int32_t* Y32, uint8_t* Y8,
                  const FloatOut* f = nullptr) {
  // f: the dynamic-int8 float epilogue (f->Y null for its range-only / quantizing modes 2 / 3)
  const bool flt = f != nullptr;
  float* Yf = f ? f->Y : nullptr;
  if (static_cast<int>(ws.zbe.size()) < zw_n) ws.zbe.resize(zw_n);
  bool colsum = false;
  for (int j = 0; j < zw_n; j++) {
    ws.zbe[j] = zw[j] - B.boff;
    colsum = colsum || ws.zbe[j] != 0;
  }
  // Folded weights (the ones row in the last strip) only where the kernel's fused drivers run: one weight plane, the
  // float epilogue or a requantization with finite multipliers (QConvDriver::run).
  const bool fold = colsum && k.conv_fold && !Y32 && !(k.conv_split && !B.sevenbit) && (flt || (r && finite_all(r->mult, r->mult_n)));
  QConvW& W = fold ? ws.qconvwf : ws.qconvw;
  if (!W.data) qconv_pack(k, B, &W, fold);
  const int P = g.OH * g.OW, M = W.M;
  const int threads = pool ? (pool->size() < ws.threads() ? pool->size() : ws.threads()) : 1;
  const size_t in = static_cast<size_t>(g.C) * g.H * g.W, out = static_cast<size_t>(M) * P;
  if (Y32) prefault_output(Y32, sizeof(int32_t) * out * batch);
  if (Yf) prefault_output(Yf, sizeof(float) * out * batch);
  const size_t bytes = qconv_buf_bytes(W, k.conv_nr);
  conv_columns(pool, threads, pool && pool->size() <= ws.threads(), batch, P, k.conv_nr, static_cast<int64_t>(W.K) * k.conv_nr * M, kGrainI8, [&](int n, int j0, int j1, int t) {
    QConvArgs a{};
    qconv_common_args(a, W, g, x_signed, xzp, ws.zbe.data(), zw_n, colsum, r);
    a.X = X + n * in;
    a.Y32 = Y32 ? Y32 + n * out : nullptr;
    if (f) {
      float_out_args(a, *f);
      a.Yf = Yf ? Yf + n * out : nullptr;
      if (f->fmode == 3) a.Y8 = f->Y8 + n * out;
    }
    if (r) a.Y8 = Y8 + n * out;
    k.conv(a, j0, j1, ws.thread_buf(t, bytes));
  });
}

}  // namespace

void fconv(ThreadPool* pool, Workspace& ws, const FGemmKernel& k, const FPackedB& B, const float* X, int batch, const ConvGeom& g,
           const float* bias, float* Y) {
  const int P = g.OH * g.OW, K = g.C * g.KH * g.KW, M = B.N;
  if (k.conv && M > 0) {
    if (!ws.fconvw.data) fconv_pack(k, B, &ws.fconvw);
    const int threads = pool ? (pool->size() < ws.threads() ? pool->size() : ws.threads()) : 1;
    const size_t in = static_cast<size_t>(g.C) * g.H * g.W, out = static_cast<size_t>(M) * P;
    prefault_output(Y, sizeof(float) * out * batch);
    conv_columns(pool, threads, pool && pool->size() <= ws.threads(), batch, P, k.conv_nr, static_cast<int64_t>(K) * k.conv_nr * M, kGrainF32, [&](int n, int j0, int j1, int t) {
      float* panel = static_cast<float*>(ws.thread_buf(t, sizeof(float) * fconv_buf_floats(K, k.conv_nr)));
      const FConvArgs a{&ws.fconvw, X + n * in, g, bias, Y + n * out};
      k.conv(a, j0, j1, panel);
    });
    return;
  }
  float* col = grow(ws.colf, static_cast<size_t>(P) * K);
  float* acc = grow(ws.convf, static_cast<size_t>(P) * M);
  for (int n = 0; n < batch; n++) {
    im2col<float>(X + static_cast<size_t>(n) * g.C * g.H * g.W, g, 0.0f, col);
    fgemm(pool, ws, k, B, col, P, bias, acc);
    transpose<float>(acc, P, M, Y + static_cast<size_t>(n) * M * P);
  }
}

void qconv(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
           const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, int32_t* Y) {
  const int P = g.OH * g.OW, K = g.C * g.KH * g.KW, M = B.N;
  if (k.conv && M > 0) {
    qconv_direct(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, nullptr, Y, nullptr);
    return;
  }
  uint8_t* col = grow(ws.col8, static_cast<size_t>(P) * K);
  int32_t* acc = grow(ws.conv32, static_cast<size_t>(P) * M);
  const uint8_t pad = static_cast<uint8_t>(xzp);
  for (int n = 0; n < batch; n++) {
    im2col<uint8_t>(X + static_cast<size_t>(n) * g.C * g.H * g.W, g, pad, col);
    qgemm(pool, ws, k, B, col, x_signed, P, &xzp, 1, zw, zw_n, acc);
    transpose<int32_t>(acc, P, M, Y + static_cast<size_t>(n) * M * P);
  }
}

void qconv_requant(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
                   const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, const Requant& r, uint8_t* Y) {
  const int P = g.OH * g.OW, K = g.C * g.KH * g.KW, M = B.N;
  if (k.conv && M > 0) {
    if (qconv_c4(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, &r, Y)) return;
    qconv_direct(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, &r, nullptr, Y);
    return;
  }
  uint8_t* col = grow(ws.col8, static_cast<size_t>(P) * K);
  uint8_t* out = grow(ws.out8, static_cast<size_t>(P) * M);
  const uint8_t pad = static_cast<uint8_t>(xzp);
  for (int n = 0; n < batch; n++) {
    im2col<uint8_t>(X + static_cast<size_t>(n) * g.C * g.H * g.W, g, pad, col);
    Requant rr = r;
    rr.out = out;
    qgemm_requant(pool, ws, k, B, col, x_signed, P, &xzp, 1, zw, zw_n, rr);
    transpose<uint8_t>(out, P, M, Y + static_cast<size_t>(n) * M * P);
  }
}

int qconv_scaled_quantize(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
                          const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, float scale, const float* bias, FloatAct act, uint8_t* Yq,
                          float* qscale, uint8_t* qzp) {
  if (!k.conv || !k.conv_fmodes || B.N == 0) return 0;
  RangeSink sink;
  FloatOut f{nullptr, scale, bias, act, &sink};
  f.fmode = 2;  // pass 1: the range only
  if (!qconv_c4(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, nullptr, nullptr, &f))
    qconv_direct(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, nullptr, nullptr, nullptr, &f);
  if (sink.merged == 0) return 0;  // no fused epilogue ran (it is not this kernel's path for these operands)
  if (!sink.ok()) return -1;       // a NaN or an infinity: the caller's reference reports it
  float s;
  int z;
  dynamic_params(sink.lo, sink.hi, &s, &z);
  f.fmode = 3;  // pass 2: the same sums and float steps, each value quantized with (s, z)
  f.qscale = s;
  f.qzp = z;
  f.Y8 = Yq;
  f.range = nullptr;
  f.prepped = true;  // a c4 pass 1 left X's layout in the workspace (unused by the direct path)
  if (!qconv_c4(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, nullptr, nullptr, &f))
    qconv_direct(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, nullptr, nullptr, nullptr, &f);
  *qscale = s;
  *qzp = static_cast<uint8_t>(z);
  return 1;
}

bool qconv_scaled(ThreadPool* pool, Workspace& ws, const QGemmKernel& k, const QPackedB& B, const uint8_t* X, bool x_signed, int batch,
                  const ConvGeom& g, int32_t xzp, const int32_t* zw, int zw_n, float scale, const float* bias, float* Y, FloatAct act,
                  RangeSink* range) {
  if (!k.conv || B.N == 0) return false;
  const FloatOut f{Y, scale, bias, act, range};
  if (qconv_c4(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, nullptr, nullptr, &f)) return true;
  qconv_direct(pool, ws, k, B, X, x_signed, batch, g, xzp, zw, zw_n, nullptr, nullptr, nullptr, &f);
  return true;
}

}  // namespace lowbit
