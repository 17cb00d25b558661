#include "threadpool.h"

#include "common.h"

#include <chrono>
#include <mutex>
#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace lowbit {

namespace {

// A waiting thread spins with pause for kSpinNs, then yields its core (to whichever thread the OS has waiting, maybe
// the one it waits for) until kYieldNs, then sleeps.
constexpr int64_t kSpinNs = 20000, kYieldNs = 200000;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The ticket: generation (32 bits) | end (16 bits) | next (16 bits): pieces next..end-1 are unclaimed. The caller of
// run claims from the front (next), workers from the back (end), so with as many pieces as threads the caller runs
// piece 0 and a worker the last one run after run (row-wise ops split alike then read what their own core wrote),
// while either still takes the other's piece when that thread is late.
constexpr uint64_t kIndexMask = 0xffff;
inline uint32_t end_of(uint64_t t) { return static_cast<uint32_t>((t >> 16) & 0xffff); }
inline uint32_t next_of(uint64_t t) { return static_cast<uint32_t>(t & kIndexMask); }

/** Spins, then yields, until pred() holds or kYieldNs pass. True when pred() held. */
template <class P>
bool spin_until(P pred) {
  const int64_t start = now_ns();
  for (int i = 1;; i++) {
    if (pred()) return true;
    cpu_relax();
    if ((i & 63) == 0 && now_ns() - start > kSpinNs) break;
  }
  while (now_ns() - start < kYieldNs) {
    if (pred()) return true;
    std::this_thread::yield();
  }
  return pred();
}

}  // namespace

thread_local int tls_slot = 0;

ThreadPool::ThreadPool(int threads, bool grained) : grained_(grained) {
  for (int i = 1; i < threads; i++) workers_.emplace_back([this, i] { worker(i); });
}

int ThreadPool::current_slot() { return tls_slot; }

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    stopping_.store(true);
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

uint64_t ThreadPool::drain(bool front) {
  uint64_t t = ticket_.load(std::memory_order_acquire);
  while (next_of(t) < end_of(t)) {
    const uint64_t claimed = front ? t + 1 : t - (uint64_t(1) << 16);
    if (!ticket_.compare_exchange_weak(t, claimed, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    // The piece is claimed: its run cannot finish before done_ counts it, so fn_ and tasks_ are still this run's.
    const int tasks = tasks_.load(std::memory_order_relaxed);
    (*fn_.load(std::memory_order_acquire))(static_cast<int>(front ? next_of(t) : end_of(t) - 1));
    if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == tasks) {
      std::lock_guard<std::mutex> g(mu_);
      if (caller_waiting_) done_cv_.notify_one();
    }
    t = ticket_.load(std::memory_order_acquire);
  }
  return t;  // exhausted
}

void ThreadPool::run(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  if (tasks == 1 || workers_.empty()) {
    for (int t = 0; t < tasks; t++) fn(t);
    return;
  }
  std::lock_guard<std::mutex> serial(run_mu_);
  for (int base = 0; base < tasks; base += static_cast<int>(kIndexMask)) {  // more than 65535 pieces: in rounds
    const int n = tasks - base < static_cast<int>(kIndexMask) ? tasks - base : static_cast<int>(kIndexMask);
    const std::function<void(int)> shifted = [&](int t) { fn(base + t); };
    fn_.store(base == 0 ? &fn : &shifted, std::memory_order_relaxed);
    tasks_.store(n, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> g(mu_);
      generation_++;
      ticket_.store((static_cast<uint64_t>(generation_) << 32) | (static_cast<uint64_t>(n) << 16), std::memory_order_release);
      if (sleepers_ > 0) cv_.notify_all();
    }
    drain(true);
    if (!spin_until([&] { return done_.load(std::memory_order_acquire) == n; })) {
      std::unique_lock<std::mutex> lk(mu_);
      caller_waiting_ = true;
      done_cv_.wait(lk, [&] { return done_.load(std::memory_order_acquire) == n; });
      caller_waiting_ = false;
    }
  }
  fn_.store(nullptr, std::memory_order_relaxed);
}

void ThreadPool::worker(int slot) {
  tls_slot = slot;
  uint64_t seen = 0;  // the ticket this worker last found exhausted
  for (;;) {
    const auto changed = [&] { return ticket_.load(std::memory_order_acquire) != seen || stopping_.load(std::memory_order_relaxed); };
    if (!spin_until(changed)) {
      std::unique_lock<std::mutex> lk(mu_);
      sleepers_++;
      cv_.wait(lk, [&] { return stop_ || ticket_.load(std::memory_order_acquire) != seen; });
      sleepers_--;
    }
    if (stopping_.load()) return;
    seen = drain(false);  // a ticket published after this load differs from it: the next round runs it
  }
}

int physical_cores() {
  std::ifstream f("/proc/cpuinfo");
  std::set<std::pair<std::string, std::string>> cores;
  std::string line, phys = "0";
  int processors = 0;
  while (std::getline(f, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    const std::string val = colon + 2 <= line.size() ? line.substr(colon + 2) : "";
    if (key == "processor") processors++;
    if (key == "physical id") phys = val;
    if (key == "core id") cores.insert({phys, val});
  }
  const int n = !cores.empty() ? static_cast<int>(cores.size()) : processors;
  const unsigned hw = std::thread::hardware_concurrency();
  return n > 0 ? n : (hw > 0 ? static_cast<int>(hw) : 1);
}

void range_merge(RangeSink* sink, const RangeLanes16& lanes) {
  // the lanes first, in dynamic_range's order (x < lo ? x : lo from 0), then the sink under one lock
  float lo = 0.0f, hi = 0.0f;
  for (int k = 0; k < 16; k++) {
    lo = lanes.lo[k] < lo ? lanes.lo[k] : lo;
    hi = lanes.hi[k] > hi ? lanes.hi[k] : hi;
  }
  static std::mutex mu;
  std::lock_guard<std::mutex> hold(mu);
  sink->lo = lo < sink->lo ? lo : sink->lo;
  sink->hi = hi > sink->hi ? hi : sink->hi;
  sink->bad = sink->bad || lanes.nan != 0;
  sink->merged++;
}

}  // namespace lowbit
