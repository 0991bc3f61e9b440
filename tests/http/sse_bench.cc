// Benchmark: one progress change delivered to 1,000 viewers of one operation, over SSE
// (service/http) and, in the same run on the same engine, over gRPC StreamStatus: p50/p99
// delivery time from the backend's Progress call to each viewer's read, and process memory per
// open viewer (server and client share the process: the figure is an upper bound for the server).
// Fails only when a viewer misses the change (lost work). Usage: sse_bench [viewers]

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gpop/v1/operations.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "service/api/server.h"
#include "service/core/backend.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/http/http_server.h"
#include "service/store/memory_store.h"
#include "tests/http/http_test_server.h"

namespace gpop {
namespace {

using Clock = std::chrono::steady_clock;

// A backend whose one run reports progress 1/2 when the benchmark opens the gate, and ends when
// it is told to. Thread-safe.
class GateBackend final : public core::Backend {
 public:
  std::string name() const override { return "gate"; }
  core::Outcome Run(const core::RunRequest&, core::ProgressSink& sink,
                    core::CancelToken&) override {
    std::unique_lock<std::mutex> lock(mu_);
    running_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return stage_ >= 1; });
    changed_at_ = Clock::now();
    sink.Progress(1, 2);
    cv_.wait(lock, [&] { return stage_ >= 2; });
    core::Outcome outcome;
    outcome.error = core::MakeError(core::Code::kAborted, "BENCH_DONE", "benchmark over");
    return outcome;
  }
  void WaitRunning() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return running_; });
  }
  Clock::time_point Advance() {
    std::lock_guard<std::mutex> lock(mu_);
    ++stage_;
    cv_.notify_all();
    return changed_at_;
  }
  Clock::time_point changed_at() {
    std::lock_guard<std::mutex> lock(mu_);
    return changed_at_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int stage_ = 0;
  bool running_ = false;
  Clock::time_point changed_at_;
};

size_t RssBytes() {
  long pages_total = 0, pages_resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(pages_resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// The process's threads now (client threads included: the benchmark's own are fixed too).
int ThreadCount() {
  int threads = 0;
  FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return 0;
  char line[256];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    if (std::sscanf(line, "Threads: %d", &threads) == 1) break;
  }
  std::fclose(f);
  return threads;
}

// Arrival times, one slot per viewer, and counters the waiting thread polls.
struct Arrivals {
  explicit Arrivals(int n) : at(n) {}
  std::vector<Clock::time_point> at;
  std::atomic<int> opened{0};
  std::atomic<int> changed{0};
  std::atomic<int> done{0};
};

// One gRPC StreamStatus reader (callback API).
class GrpcViewer final : public grpc::ClientReadReactor<v1::StatusUpdate> {
 public:
  GrpcViewer(v1::GroupPolicyOperations::Stub* stub, const std::string& id, int slot,
             Arrivals* arrivals)
      : slot_(slot), arrivals_(arrivals) {
    request_.set_operation_id(id);
    stub->async()->StreamStatus(&context_, &request_, this);
    StartRead(&update_);
    StartCall();
  }
  void OnReadDone(bool ok) override {
    if (!ok) return;
    if (update_.has_event() && update_.event().sequence() == 1) arrivals_->opened++;
    if (update_.has_progress() && update_.progress().numerator() == 1 && !seen_) {
      seen_ = true;
      arrivals_->at[slot_] = Clock::now();
      arrivals_->changed++;
    }
    StartRead(&update_);
  }
  void OnDone(const grpc::Status&) override { arrivals_->done++; }

 private:
  grpc::ClientContext context_;
  v1::StreamStatusRequest request_;
  v1::StatusUpdate update_;
  const int slot_;
  Arrivals* const arrivals_;
  bool seen_ = false;
};

bool WaitFor(const std::atomic<int>& counter, int n, std::chrono::seconds limit) {
  auto until = Clock::now() + limit;
  while (counter.load() < n) {
    if (Clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling a counter, not syncing
  }
  return true;
}

struct Figures {
  double p50_ms = 0, p99_ms = 0;
};

Figures Percentiles(const std::vector<Clock::time_point>& at, Clock::time_point t0) {
  std::vector<double> ms;
  for (const auto& t : at) ms.push_back(std::chrono::duration<double, std::milli>(t - t0).count());
  std::sort(ms.begin(), ms.end());
  Figures f;
  if (ms.empty()) return f;
  f.p50_ms = ms[ms.size() / 2];
  f.p99_ms = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  return f;
}

int Run(int viewers) {
  engine::RealClock clock;
  store::MemoryStore store;
  GateBackend backend;
  engine::EngineOptions options;
  // Both kinds of viewers are one principal's streams.
  options.max_streams_per_principal = 2 * viewers + 16;
  options.max_streams = options.max_streams_per_principal;
  engine::Engine engine(options, &backend, &store, &clock);
  if (!engine.Recover().ok()) return 1;
  api::ServerOptions grpc_options;
  grpc_options.listen = "127.0.0.1:0";
  auto grpc_server = api::Server::Start(grpc_options, &engine, &backend, &clock);
  http::HttpOptions http_options;
  http_options.listen = "127.0.0.1:0";
  auto http_server = http::HttpServer::Start(
      http_options, std::make_unique<api::OperationsApi>(&engine, &backend, api::ServiceOptions{}));
  if (!grpc_server.ok() || !http_server.ok()) {
    std::printf("sse_bench: cannot start the servers\n");
    return 1;
  }
  engine::StartRequest start;
  start.principal = "bench";
  core::BackupSpec backup;
  backup.gpo.display_name = "bench";
  backup.location = "bench";
  start.spec = backup;
  auto record = engine.Start(start);
  if (!record.ok()) {
    std::printf("sse_bench: start failed: %s\n", record.status().ToString().c_str());
    return 1;
  }
  backend.WaitRunning();

  // SSE viewers: raw sockets read by one epoll thread.
  Arrivals sse(viewers);
  size_t rss0 = RssBytes();
  const int threads0 = ThreadCount();
  std::string request = "GET /v1/operations/" + record->id + "/events HTTP/1.0\r\n\r\n";
  std::vector<int> fds;
  std::vector<std::string> buffers(viewers);
  std::vector<bool> opened(viewers, false), seen(viewers, false);
  int ep = epoll_create1(0);
  for (int i = 0; i < viewers; ++i) {
    int fd = http_test::Connect((*http_server)->port(), request);
    if (fd < 0) {
      std::printf("sse_bench: viewer %d cannot connect\n", i);
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    fds.push_back(fd);
  }
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    epoll_event events[256];
    char buf[8192];
    while (!stop.load()) {
      int n = epoll_wait(ep, events, 256, 50);
      for (int k = 0; k < n; ++k) {
        int i = static_cast<int>(events[k].data.u32);
        ssize_t got = read(fds[i], buf, sizeof(buf));
        if (got <= 0) {
          epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], nullptr);
          sse.done++;
          continue;
        }
        buffers[i].append(buf, static_cast<size_t>(got));
        if (!opened[i] && buffers[i].find("id: 1\n") != std::string::npos) {
          opened[i] = true;
          sse.opened++;
        }
        if (!seen[i] && buffers[i].find("\"numerator\":\"1\"") != std::string::npos) {
          seen[i] = true;
          sse.at[i] = Clock::now();
          sse.changed++;
        }
        if (buffers[i].size() > 4096) buffers[i].erase(0, buffers[i].size() - 256);
      }
    }
  });
  bool sse_open = WaitFor(sse.opened, viewers, std::chrono::seconds(60));
  size_t rss_sse = RssBytes();
  const int threads_sse = ThreadCount();  // the reader thread is the one more

  // gRPC viewers on 8 connections.
  Arrivals grpc_arrivals(viewers);
  std::vector<std::unique_ptr<v1::GroupPolicyOperations::Stub>> stubs;
  for (int c = 0; c < 8; ++c) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stubs.push_back(v1::GroupPolicyOperations::NewStub(grpc::CreateCustomChannel(
        (*grpc_server)->target(), grpc::InsecureChannelCredentials(), args)));
  }
  std::vector<std::unique_ptr<GrpcViewer>> grpc_viewers;
  for (int i = 0; i < viewers; ++i) {
    grpc_viewers.push_back(
        std::make_unique<GrpcViewer>(stubs[i % 8].get(), record->id, i, &grpc_arrivals));
  }
  bool grpc_open = WaitFor(grpc_arrivals.opened, viewers, std::chrono::seconds(60));
  size_t rss_grpc = RssBytes();
  const int threads_grpc = ThreadCount();
  if (!sse_open || !grpc_open) {
    std::printf("sse_bench: viewers did not all open (sse %d, grpc %d of %d)\n", sse.opened.load(),
                grpc_arrivals.opened.load(), viewers);
    std::fflush(stdout);
    stop = true;
    reader.join();
    backend.Advance();
    backend.Advance();  // the run ends, so the engine can stop
    return 1;
  }

  // The one progress change.
  backend.Advance();
  bool all = WaitFor(sse.changed, viewers, std::chrono::seconds(60)) &&
             WaitFor(grpc_arrivals.changed, viewers, std::chrono::seconds(60));
  Clock::time_point t0 = backend.changed_at();
  Figures s = Percentiles(sse.at, t0), g = Percentiles(grpc_arrivals.at, t0);
  backend.Advance();  // the run ends; every stream ends with the terminal event
  WaitFor(grpc_arrivals.done, viewers, std::chrono::seconds(60));
  WaitFor(sse.done, viewers, std::chrono::seconds(60));
  stop = true;
  reader.join();
  for (int fd : fds) close(fd);
  close(ep);

  double kib = 1024.0 * viewers;
  std::printf(
      "sse_bench: one progress change to %d viewers of one operation (same engine, "
      "same run; memory = process RSS growth per open viewer, client included)\n",
      viewers);
  std::printf(
      "  gRPC StreamStatus : p50 %7.2f ms  p99 %7.2f ms  %6.1f KiB/viewer  threads %d -> %d\n",
      g.p50_ms, g.p99_ms, (rss_grpc - rss_sse) / kib, threads_sse, threads_grpc);
  std::printf(
      "  SSE over HTTP     : p50 %7.2f ms  p99 %7.2f ms  %6.1f KiB/viewer  threads %d -> %d\n",
      s.p50_ms, s.p99_ms, (rss_sse - rss0) / kib, threads0, threads_sse);
  std::printf("  ratio SSE/gRPC    : p50 %7.2fx   p99 %7.2fx\n",
              s.p50_ms / std::max(g.p50_ms, 1e-3), s.p99_ms / std::max(g.p99_ms, 1e-3));
  // Bounded threads: the HTTP server's are fixed (io + blocking pool); only the reader is new.
  if (threads_sse > threads0 + 1) {
    std::printf("THREADS GREW with SSE viewers: %d -> %d\n", threads0, threads_sse);
    return 1;
  }
  if (!all) {
    std::printf("LOST PROGRESS: sse %d, grpc %d of %d viewers\n", sse.changed.load(),
                grpc_arrivals.changed.load(), viewers);
    return 1;
  }
  grpc_viewers.clear();
  (*http_server)->Shutdown();
  (*grpc_server)->Shutdown(engine::Duration::zero(), engine::Duration::zero());
  return 0;
}

}  // namespace
}  // namespace gpop

int main(int argc, char** argv) { return gpop::Run(argc > 1 ? std::atoi(argv[1]) : 1000); }
