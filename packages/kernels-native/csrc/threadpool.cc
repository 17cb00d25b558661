#include "threadpool.h"

#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace lowbit {

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; i++) workers_.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  if (tasks == 1 || workers_.empty()) {
    for (int t = 0; t < tasks; t++) fn(t);
    return;
  }
  std::lock_guard<std::mutex> serial(run_mu_);
  {
    std::lock_guard<std::mutex> g(mu_);
    fn_ = &fn;
    tasks_ = tasks;
    next_.store(0);
    pending_ = static_cast<int>(workers_.size());
    generation_++;
  }
  cv_.notify_all();
  for (int t; (t = next_.fetch_add(1)) < tasks;) fn(t);
  std::unique_lock<std::mutex> lk(mu_);
  done_cv_.wait(lk, [this] { return pending_ == 0; });
  fn_ = nullptr;
}

void ThreadPool::worker() {
  unsigned seen = 0;
  for (;;) {
    const std::function<void(int)>* fn;
    int tasks;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      fn = fn_;
      tasks = tasks_;
    }
    for (int t; (t = next_.fetch_add(1)) < tasks;) (*fn)(t);
    {
      std::lock_guard<std::mutex> g(mu_);
      if (--pending_ == 0) done_cv_.notify_one();
    }
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

}  // namespace lowbit
