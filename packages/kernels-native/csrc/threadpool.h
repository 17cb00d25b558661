// A small fixed-size thread pool owned by one backend instance. run(n, fn) calls fn(0..n-1) once each, on the caller
// and the workers, and returns when all are done. Work is partitioned by the caller into n static pieces, so which
// thread runs a piece never changes a result.
//
// Hand-off without a system call on the fast path: run() publishes a ticket (generation, the unclaimed pieces) in one
// atomic word; workers that finished the previous run spin on it for a short while (kSpinNs) before sleeping on a
// condition variable, and every thread claims pieces with a compare-and-swap that also checks the generation, so a late
// worker can never run a piece of a finished run. The caller claims pieces from the front, workers from the back (the
// same thread mostly runs the same piece of ops split alike). The caller spins, then sleeps, until every piece is done.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lowbit {

class ThreadPool {
 public:
  /** `grained` false: every op splits however small (tests of the parallel paths); see grain_tasks. */
  explicit ThreadPool(int threads, bool grained = true);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  bool grained() const { return grained_; }
  void run(int tasks, const std::function<void(int)>& fn);
  /** The running thread's slot in its pool: 0 for the caller of run (or any other thread), 1..size()-1 for workers. */
  static int current_slot();

 private:
  void worker(int slot);
  /** Claims and runs pieces of the run published in `ticket_` while any is left, from the front (the caller of run)
      or the back (workers); returns the exhausted ticket. */
  uint64_t drain(bool front);
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::mutex run_mu_;  // one run at a time
  std::condition_variable cv_, done_cv_;
  std::atomic<const std::function<void(int)>*> fn_{nullptr};
  // generation (32 bits) | end (16 bits) | next (16 bits): the unclaimed pieces are next..end-1
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> tasks_{0};  // pieces of the run published in ticket_
  std::atomic<int> done_{0};
  int sleepers_ = 0;             // under mu_
  bool caller_waiting_ = false;  // under mu_
  bool stop_ = false;            // under mu_ (and read through stopping_ while spinning)
  std::atomic<bool> stopping_{false};
  uint32_t generation_ = 0;
  bool grained_ = true;
};

// Smallest piece of parallel work, in multiply-adds (float GEMM / convolution, int8 GEMM / convolution) or depthwise
// taps: about 10 microseconds of one core, several times the cost of waking a sleeping worker on a virtual machine.
constexpr int64_t kGrainF32 = int64_t(1) << 18, kGrainI8 = int64_t(1) << 20, kGrainDw = int64_t(1) << 16;
/**
 * How many pieces to split an op into: at most `want`, each at least `grain` of the `work` units (1 when work <
 * 2 * grain), so an op too small to pay for a hand-off to another thread runs on the caller alone. A function of the
 * problem's shape only, never of timing, so a result never depends on how threads were scheduled. A pool made with
 * grained = false splits every op into `want` pieces.
 * There is no floor on the reduction depth: shallow convolutions (ultraface's and ppocr's depth 9 to 200) split too.
 * An earlier floor of 256 multiply-adds an output kept them on the caller, because the op after a split one read the
 * worker's part from the other core; since the row-wise and element-wise ops split as well (caller from the front,
 * workers from the back) that cost is mostly gone: on the 2-vCPU Zen 5 VM, 2 threads, in-process A/B against the floor,
 * ultraface-rfb-320 float / static / dynamic B/A 0.81 / 0.82 / 0.69, ppocr-mobile-v2-cls 0.95 / 0.92 / 0.84.
 */
inline int grain_tasks(const ThreadPool* pool, int64_t work, int64_t grain, int want) {
  const bool grained = pool && pool->grained();
  const int64_t most = grained && grain > 0 ? work / grain : want;
  return want < most ? (want > 1 ? want : 1) : (most > 1 ? static_cast<int>(most) : 1);
}

// Fewest elements in one piece of a row-wise float op split across the pool (Softmax, LayerNormalization, GELU and
// their quantizing forms: about 3 to 5 microseconds of one core, a few times a hand-off to a worker that is spinning).
// Element-wise ops of about a nanosecond an element or less (QuantizeLinear, DequantizeLinear, Add / Mul, Transpose):
// twice that.
constexpr int64_t kGrainRows = 4096, kGrainCheap = 8192;

/**
 * Runs fn(r0, r1) over `rows` rows of `cols` elements each, in at most pool->size() pieces of whole rows (equal but
 * for the last), each at least `grain` elements (one piece when rows * cols < 2 * grain; every pool piece when
 * the pool was made with grained = false). Every row is computed by exactly one call, the same for any split, so a
 * row-wise op gives the same bytes for any thread count. No pool, or one piece: fn(0, rows) on the caller.
 */
template <class F>
void split_rows(ThreadPool* pool, size_t rows, size_t cols, const F& fn, int64_t grain = kGrainRows) {
  int tasks = pool && rows > 1 ? grain_tasks(pool, static_cast<int64_t>(rows) * static_cast<int64_t>(cols), grain, pool->size()) : 1;
  if (static_cast<size_t>(tasks) > rows) tasks = static_cast<int>(rows);
  if (tasks <= 1) {
    fn(size_t(0), rows);
    return;
  }
  const size_t per = (rows + tasks - 1) / tasks;
  pool->run(tasks, [&](int t) {
    const size_t r0 = per * static_cast<size_t>(t), r1 = r0 + per < rows ? r0 + per : rows;
    if (r0 < r1) fn(r0, r1);
  });
}

/** Physical cores of this machine (distinct core ids in /proc/cpuinfo on Linux), at least 1. */
int physical_cores();

}  // namespace lowbit
