// What the load tool's scenarios share: command-line options, channels to one server, latency
// statistics, gpopd's memory from /proc, the JSON line a scenario prints, and a callback-API
// StatusStream watcher (thousands of them without a thread each).

#ifndef GPOP_TESTS_BENCH_LOAD_SUPPORT_H_
#define GPOP_TESTS_BENCH_LOAD_SUPPORT_H_

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gpop/v1/operations.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gpop::bench {

using SteadyClock = std::chrono::steady_clock;

// Args
//
// --name=value options; Get* return the default when the option is absent and exit with a
// usage error when its value is malformed. Not thread-safe (read once, before the load starts).
class Args {
 public:
  Args(int argc, char** argv, int first);
  std::string Get(const std::string& name, const std::string& fallback) const;
  int64_t GetInt(const std::string& name, int64_t fallback) const;
  std::vector<int64_t> GetInts(const std::string& name, std::vector<int64_t> fallback) const;
  bool Has(const std::string& name) const { return values_.count(name) > 0; }

 private:
  std::map<std::string, std::string> values_;
};

// Channels
//
// `count` channels to `target`, each with its own connection (a local subchannel pool), so that
// load spreads over several HTTP/2 connections as several clients' would. Thread-safe.
std::vector<std::shared_ptr<grpc::Channel>> MakeChannels(const std::string& target, int count);

// Principal
//
// The bearer token of simulated principal `i` of `count` ("bench-principal-<i % count>").
std::string PrincipalToken(int i, int count);

// Latencies
//
// Samples in microseconds; percentiles by nearest rank. Not thread-safe: one per thread, then
// merged.
class Latencies {
 public:
  void Add(double micros) { samples_.push_back(micros); }
  void Merge(const Latencies& other);
  size_t size() const { return samples_.size(); }
  double Percentile(double p);  // 0 when empty

 private:
  std::vector<double> samples_;
  bool sorted_ = false;
};

// RssKib
//
// VmRSS of process `pid` in KiB, read from /proc/<pid>/status; -1 when unreadable.
int64_t RssKib(pid_t pid);

// JsonLine
//
// One flat JSON object printed on one stdout line: what a scenario measured. Not thread-safe.
class JsonLine {
 public:
  JsonLine& Set(const std::string& key, double value);
  JsonLine& Set(const std::string& key, int64_t value);
  JsonLine& Set(const std::string& key, const std::string& value);
  void Print() const;

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// SecondsSince
double SecondsSince(SteadyClock::time_point start);

// StatusWatcher
//
// One server-streaming call of StatusUpdates over the callback API (gpop's StreamStatus or the
// raw baseline's Push): counts Progress items and, for those that carry observe_time, their
// delivery latency (arrival minus observe_time, both the host's wall clock); remembers the
// first item's arrival and the terminal event's state and arrival time. Deletes nothing by itself:
// the owner keeps it until Done(). Thread-safe.
class StatusWatcher final : public grpc::ClientReadReactor<v1::StatusUpdate> {
 public:
  // Shared by a group of watchers: how many got their first item (or ended without one) and how
  // many are done.
  struct Group {
    std::mutex mu;
    std::condition_variable cv;
    int first_items = 0;
    int done = 0;
    void WaitFirstItems(int n);
    void WaitDone(int n);
  };

  // Starts the call on the given context and reactor (e.g. stub->async()->StreamStatus).
  using Call = std::function<void(grpc::ClientContext*, StatusWatcher*)>;

  StatusWatcher(Call call, const std::string& token, Group* group);
  void Start();  // begins the call
  void Cancel() { context_.TryCancel(); }

  int64_t progress_items() const { return progress_items_.load(); }
  int64_t last_numerator() const { return last_numerator_.load(); }
  v1::OperationState terminal_state() const { return terminal_state_.load(); }
  SteadyClock::time_point terminal_time() const;          // valid once terminal_state() is set
  const grpc::Status& status() const { return status_; }  // valid once the group counted it done
  // Microseconds per delivered progress item with observe_time; valid once counted done.
  const Latencies& delivery() const { return delivery_; }

  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  const Call call_;
  grpc::ClientContext context_;
  v1::StatusUpdate update_;  // only touched by the reactor's callbacks, one at a time
  Group* const group_;
  bool first_seen_ = false;  // reactor callbacks only
  std::atomic<int64_t> progress_items_{0};
  std::atomic<int64_t> last_numerator_{0};
  std::atomic<v1::OperationState> terminal_state_{v1::OPERATION_STATE_UNSPECIFIED};
  std::atomic<int64_t> terminal_ns_{0};
  grpc::Status status_;  // written in OnDone, before the group counts it
  Latencies delivery_;   // reactor callbacks only, read once done
};

}  // namespace gpop::bench

#endif  // GPOP_TESTS_BENCH_LOAD_SUPPORT_H_
