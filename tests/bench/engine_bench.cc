// Engine benchmark: prints figures, asserts nothing about time.
//
// Measures how many durable events per second the engine sustains when every store commit costs
// a simulated fsync, against a baseline measured in the same run: the same events committed one
// per commit (what an engine without group commit would do). The ratio is the figure to watch;
// absolute numbers depend on the machine. It also measures fan-out: events delivered per second
// to many cursors on one operation. Exits non-zero only if an event is lost.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>
#include <thread>
#include <vector>

#include "service/backends/synthetic/synthetic_backend.h"
#include "service/core/mutex.h"
#include "service/engine/engine.h"
#include "service/store/memory_store.h"
#include "service/store/sqlite_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/store/forwarding_store.h"
#include "tests/testing/fixtures.h"

namespace gpop {
namespace {

using Clock = std::chrono::steady_clock;
using testing::NextBlocking;

// A store whose every commit waits `fsync` (a stand-in for a disk flush).
class SlowStore final : public testing::ForwardingStore {
 public:
  explicit SlowStore(std::chrono::microseconds fsync) : ForwardingStore(&inner_), fsync_(fsync) {}
  absl::Status Commit(const std::vector<Change>& batch) override {
    std::this_thread::sleep_for(fsync_);
    return ForwardingStore::Commit(batch);
  }
  store::MemoryStore& inner() { return inner_; }

 private:
  const std::chrono::microseconds fsync_;
  store::MemoryStore inner_;
};

// A Start of a report on the Default Domain Policy: reports only read, so all run at once.
engine::StartRequest ReportRequest(const std::string& principal) {
  engine::StartRequest r;
  r.principal = principal;
  core::ReportSpec spec;
  spec.subject = core::GpoRef{"{31B2F340-016D-11D2-945F-00C04FB984F9}", ""};
  r.spec = spec;
  return r;
}

// StartOperation calls per second from `threads` callers, each starting `per_thread` reports
// (they run at once: reports only read) on `store`. -1 when a Start fails.
double StartQps(engine::Store* store, int threads, int per_thread) {
  synthetic::Script script;
  script.steps = 1;
  script.step_delay = std::chrono::milliseconds(0);
  synthetic::SyntheticBackend backend(script);
  engine::RealClock clock;
  engine::EngineOptions options;
  options.max_queued = threads * per_thread;
  options.max_queued_per_principal = per_thread;
  engine::Engine engine(options, &backend, store, &clock);
  if (!engine.Recover().ok()) return -1;
  std::atomic<int> failed{0};
  auto start = Clock::now();
  std::vector<std::thread> callers;
  for (int t = 0; t < threads; ++t) {
    callers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        engine::StartRequest r = ReportRequest("bench-" + std::to_string(t));
        if (!engine.Start(r).ok()) ++failed;
      }
    });
  }
  for (std::thread& c : callers) c.join();
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  engine.Shutdown(std::chrono::seconds(5));
  return failed.load() > 0 ? -1 : threads * per_thread / secs;
}

// Drains a status stream to its end; returns the number of events.
int Drain(engine::Cursor* cursor) {
  int events = 0;
  for (;;) {
    auto next = NextBlocking(cursor);
    if (std::holds_alternative<engine::Cursor::End>(next)) return events;
    if (std::holds_alternative<engine::Event>(std::get<engine::StreamItem>(next))) ++events;
  }
}

// Mean microseconds per StartOperation (run to its end, and the removal of the oldest finished
// operation it causes) once `retained` finished operations are retained at retention's count
// cap, over `window` Starts. -1 when a Start fails.
double RetainedStartMicros(int retained, int window) {
  store::MemoryStore store;
  synthetic::Script script;
  script.steps = 1;
  script.step_delay = std::chrono::milliseconds(0);
  synthetic::SyntheticBackend backend(script);
  engine::RealClock clock;
  engine::EngineOptions options;
  options.retained_operations = retained;
  options.max_queued = options.max_queued_per_principal = retained + window;
  engine::Engine engine(options, &backend, &store, &clock);
  if (!engine.Recover().ok()) return -1;
  auto start_many = [&](int n) {
    std::string last;
    for (int i = 0; i < n; ++i) {
      engine::StartRequest r = ReportRequest("bench");
      auto rec = engine.Start(r);
      if (!rec.ok()) return false;
      last = rec->id;
    }
    if (auto cursor = engine.OpenStatusStream("bench", last, 0); cursor.ok()) {
      Drain(cursor->get());
    }
    for (;;) {  // the last one ended; the others (FIFO, 4 at a time) just before it
      engine::Engine::Stats st = engine.stats();
      if (st.queued == 0 && st.running == 0) break;
      std::this_thread::yield();
    }
    engine.AwaitMaintenance();
    return true;
  };
  if (!start_many(retained + 100)) return -1;  // fill up to the cap and past it
  auto start = Clock::now();
  if (!start_many(window)) return -1;
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  int kept = engine.stats().retained_operations;
  engine.Shutdown(std::chrono::seconds(5));
  if (kept != retained) {
    std::printf("retention kept %d operations, not %d\n", kept, retained);
    return -1;
  }
  return secs * 1e6 / window;
}

// Progress changes per second an operation reaches (steps of 1 ms, asked 1,000/s) with
// `watchers` status streams on it, read the way gRPC reactors read them: a wake queues the
// cursor for one of 2 reader threads, which polls it until Pending and arms it again. -1 on a
// failure (a watcher that did not see the end).
double ProgressRate(int watchers) {
  store::MemoryStore store;
  synthetic::Script script;
  script.steps = 300;
  script.step_delay = std::chrono::milliseconds(1);
  synthetic::SyntheticBackend backend(script);
  engine::RealClock clock;
  engine::Engine engine(engine::EngineOptions{}, &backend, &store, &clock);
  if (!engine.Recover().ok()) return -1;
  engine::StartRequest r = ReportRequest("bench");
  auto rec = engine.Start(r);
  if (!rec.ok()) return -1;
  std::vector<std::unique_ptr<engine::Cursor>> cursors;
  for (int i = 0; i < watchers; ++i) {
    auto c = engine.OpenStatusStream("w" + std::to_string(i % 4), rec->id, 0);
    if (!c.ok()) return -1;
    cursors.push_back(std::move(*c));
  }
  core::Mutex mu;
  core::CondVar cv;
  std::deque<int> ready;
  int ended = 0;
  for (int i = 0; i < watchers; ++i) ready.push_back(i);
  std::vector<std::thread> readers;
  for (int t = 0; t < 2 && watchers > 0; ++t) {
    readers.emplace_back([&] {
      for (;;) {
        int i;
        {
          core::MutexLock lock(&mu);
          while (ready.empty() && ended < watchers) cv.Wait(&mu);
          if (ready.empty()) return;
          i = ready.front();
          ready.pop_front();
        }
        for (;;) {
          engine::Cursor::Next next = cursors[i]->Poll();
          if (std::holds_alternative<engine::Cursor::End>(next)) {
            core::MutexLock lock(&mu);
            ++ended;
            cv.SignalAll();
            break;
          }
          if (std::holds_alternative<engine::StreamItem>(next)) continue;
          if (cursors[i]->Arm([&, i] {
                core::MutexLock lock(&mu);
                ready.push_back(i);
                cv.Signal();
              })) {
            break;
          }
        }
      }
    });
  }
  if (auto own = engine.OpenStatusStream("bench", rec->id, 0); own.ok()) Drain(own->get());
  for (std::thread& t : readers) t.join();
  auto done = engine.Get("tester", rec->id);
  cursors.clear();
  engine.Shutdown(std::chrono::seconds(5));
  if (!done.ok() || !done->start_time || !done->end_time) return -1;
  double secs = std::chrono::duration<double>(*done->end_time - *done->start_time).count();
  return script.steps / secs;
}

int Run(const std::vector<int>& retained_points) {
  constexpr int kOps = 64;
  constexpr int kMessages = 20;  // message events per operation
  const auto fsync = std::chrono::microseconds(500);
  int failures = 0;

  // Baseline: one commit per event.
  const int total_events = kOps * (kMessages + 3);
  double baseline_eps;
  {
    SlowStore store(fsync);
    auto start = Clock::now();
    for (int i = 0; i < total_events; ++i) {
      engine::Store::Change change;
      change.record.id = "op-baseline";
      engine::Event ev;
      ev.operation_id = "op-baseline";
      ev.sequence = ev.revision = static_cast<uint64_t>(i + 1);
      change.event = ev;
      (void)store.Commit({change});
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    baseline_eps = total_events / secs;
  }

  // The engine, group-committing.
  double engine_eps;
  int commits;
  {
    SlowStore store(fsync);
    synthetic::Script script;
    script.steps = kMessages;
    script.step_delay = std::chrono::milliseconds(0);
    script.messages_per_step = 1;
    synthetic::SyntheticBackend backend(script);
    engine::RealClock clock;
    engine::EngineOptions options;
    options.executor_threads = 8;
    options.max_running_per_principal = 8;
    engine::Engine engine(options, &backend, &store, &clock);
    (void)engine.Recover();
    auto start = Clock::now();
    std::vector<std::string> ids;
    for (int i = 0; i < kOps; ++i) {
      engine::StartRequest r = ReportRequest("bench");
      auto rec = engine.Start(r);
      if (!rec.ok()) return 1;
      ids.push_back(rec->id);
    }
    int events = 0;
    for (const std::string& id : ids) {
      auto cursor = engine.OpenStatusStream("bench", id, 0);
      if (!cursor.ok()) return 1;
      events += Drain(cursor->get());
    }
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    engine_eps = events / secs;
    commits = store.inner().commits();
    if (events != total_events) {
      std::printf("LOST EVENTS: %d of %d\n", events, total_events);
      ++failures;
    }
    engine.Shutdown(std::chrono::seconds(0));
  }

  // Fan-out: many cursors on one operation.
  constexpr int kWatchers = 1000;
  double fanout_eps;
  {
    store::MemoryStore store;
    synthetic::Script script;
    script.steps = 50;
    script.step_delay = std::chrono::milliseconds(1);
    script.messages_per_step = 1;
    synthetic::SyntheticBackend backend(script);
    engine::RealClock clock;
    engine::Engine engine(engine::EngineOptions{}, &backend, &store, &clock);
    (void)engine.Recover();
    engine::StartRequest r = ReportRequest("bench");
    auto rec = engine.Start(r);
    if (!rec.ok()) return 1;
    std::vector<std::unique_ptr<engine::Cursor>> cursors;
    for (int i = 0; i < kWatchers; ++i) {
      auto c = engine.OpenStatusStream("bench", rec->id, 0);
      if (!c.ok()) return 1;
      cursors.push_back(std::move(*c));
    }
    auto start = Clock::now();
    std::atomic<long> delivered{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = t; i < kWatchers; i += 4) delivered += Drain(cursors[i].get());
      });
    }
    for (auto& t : threads) t.join();
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    fanout_eps = delivered / secs;
    if (delivered != static_cast<long>(kWatchers) * (50 + 3)) {
      std::printf("LOST EVENTS in fan-out: %ld\n", delivered.load());
      ++failures;
    }
    engine.Shutdown(std::chrono::seconds(0));
  }

  std::printf("engine_bench: simulated fsync %lld us per commit\n",
              static_cast<long long>(fsync.count()));
  std::printf("  baseline, one commit per event : %10.0f events/s\n", baseline_eps);
  std::printf("  engine, group commit           : %10.0f events/s (%d commits for %d events)\n",
              engine_eps, commits, total_events);
  std::printf("  ratio engine/baseline          : %10.2fx\n", engine_eps / baseline_eps);
  std::printf("  fan-out, %d cursors on one op : %10.0f events delivered/s\n", kWatchers,
              fanout_eps);
  // StartOperation QPS, durable (SQLite, synchronous=FULL, a real fsync per group commit)
  // against the memory store, at 1 and 8 concurrent callers.
  for (int threads : {1, 8}) {
    const int per_thread = threads == 1 ? 300 : 150;
    store::MemoryStore memory;
    double memory_qps = StartQps(&memory, threads, per_thread);
    auto sqlite =
        store::SqliteStore::Open((gpop::testing::TempDir("gpop-bench") / "operations.db").string());
    if (!sqlite.ok()) {
      std::printf("cannot open the SQLite store: %s\n", sqlite.status().ToString().c_str());
      return 1;
    }
    double sqlite_qps = StartQps(sqlite->get(), threads, per_thread);
    if (memory_qps < 0 || sqlite_qps < 0) {
      std::printf("a Start failed\n");
      ++failures;
      continue;
    }
    std::printf("  Start, %d caller(s): memory %8.0f/s, SQLite %8.0f/s, ratio %.2fx\n", threads,
                memory_qps, sqlite_qps, sqlite_qps / memory_qps);
  }
  // Watchers never slow an operation: its progress rate with many watchers against none.
  double alone = ProgressRate(0);
  for (int watchers : {1000, 5000}) {
    double rate = ProgressRate(watchers);
    if (alone < 0 || rate < 0) {
      std::printf("a progress-rate run failed\n");
      ++failures;
      continue;
    }
    std::printf("  progress, asked 1000/s: alone %6.0f/s, with %d watchers %6.0f/s, ratio %.2fx\n",
                alone, watchers, rate, rate / alone);
  }
  // No cliffs: Start's cost once 1,000 / 10,000 / 100,000 operations are retained, against the
  // smallest point measured in this run.
  double base_us = 0;
  for (int retained : retained_points) {
    double us = RetainedStartMicros(retained, 2000);
    if (us < 0) {
      ++failures;
      continue;
    }
    if (base_us == 0) base_us = us;
    std::printf("  Start at the cap of %6d retained: %7.1f us/Start, ratio to %d: %.2fx\n",
                retained, us, retained_points.front(), us / base_us);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gpop

// engine_bench [--retained=1000,10000,100000]  (ctest runs the default, 1000,5000)
int main(int argc, char** argv) {
  std::vector<int> retained = {1000, 5000};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--retained=", 0) != 0) {
      std::fprintf(stderr, "usage: engine_bench [--retained=N,N,...]\n");
      return 2;
    }
    retained.clear();
    std::string list = arg.substr(11);
    for (size_t pos = 0; pos <= list.size();) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      int n = std::atoi(list.substr(pos, comma - pos).c_str());
      if (n <= 0) {
        std::fprintf(stderr, "--retained: positive counts, comma-separated\n");
        return 2;
      }
      retained.push_back(n);
      pos = comma + 1;
    }
  }
  return gpop::Run(retained);
}
