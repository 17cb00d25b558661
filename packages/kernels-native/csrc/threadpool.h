// A small fixed-size thread pool owned by one backend instance. run(n, fn) calls fn(0..n-1) once each, on the caller
// and the workers, and returns when all are done. Work is partitioned by the caller into n static pieces, so which
// thread runs a piece never changes a result.
#pragma once
#include <atomic>
#include <condition_variable>
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

 private:
  void worker();
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::mutex run_mu_;  // one run at a time
  std::condition_variable cv_, done_cv_;
  const std::function<void(int)>* fn_ = nullptr;
  int tasks_ = 0;
  std::atomic<int> next_{0};
  int pending_ = 0;
  unsigned generation_ = 0;
  bool stop_ = false;
};

/** Physical cores of this machine (distinct core ids in /proc/cpuinfo on Linux), at least 1. */
int physical_cores();

}  // namespace lowbit
