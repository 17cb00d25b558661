// A small fixed-size thread pool owned by one backend instance. run(n, fn) calls fn(0..n-1) once each, on the caller
// and the workers, and returns when all are done. Work is partitioned by the caller into n static pieces, so which
// thread runs a piece never changes a result.
//
// Hand-off without a system call on the fast path: run() publishes a ticket (generation, task count, next index) in one
// atomic word; workers that finished the previous run spin on it for a short while (kSpinNs) before sleeping on a
// condition variable, and every thread claims pieces with a compare-and-swap that also checks the generation, so a late
// worker can never run a piece of a finished run. The caller spins, then sleeps, until every piece is done.
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
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  int size() const { return static_cast<int>(workers_.size()) + 1; }
  void run(int tasks, const std::function<void(int)>& fn);
  /** The running thread's slot in its pool: 0 for the caller of run (or any other thread), 1..size()-1 for workers. */
  static int current_slot();

 private:
  void worker(int slot);
  /** Claims and runs pieces of the run published in `ticket_` while any is left; returns the exhausted ticket. */
  uint64_t drain();
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::mutex run_mu_;  // one run at a time
  std::condition_variable cv_, done_cv_;
  std::atomic<const std::function<void(int)>*> fn_{nullptr};
  // generation (32 bits) | tasks (16 bits) | next index (16 bits)
  std::atomic<uint64_t> ticket_{0};
  std::atomic<int> done_{0};
  int sleepers_ = 0;             // under mu_
  bool caller_waiting_ = false;  // under mu_
  bool stop_ = false;            // under mu_ (and read through stopping_ while spinning)
  std::atomic<bool> stopping_{false};
  uint32_t generation_ = 0;
};

/** Physical cores of this machine (distinct core ids in /proc/cpuinfo on Linux), at least 1. */
int physical_cores();

}  // namespace lowbit
