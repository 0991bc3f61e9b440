// bench_load: the load driver of the benchmark suite (see README.md). Drives one server (gpopd,
// or with --raw the raw gRPC baseline, bench_raw_server) through one scenario and prints what it
// measured as one JSON line per measurement. run_bench.py starts the servers, alternates them
// and aggregates the runs; the tool itself asserts nothing about time.
//
//   bench_load SCENARIO --target=127.0.0.1:PORT [--raw] [--server_pid=PID] [options]
//
// Scenarios (gpop: through the client library and the generated stubs; raw: the baseline's):
//   start     StartOperation (raw: Echo) from --concurrency threads until --ops calls or
//             --seconds pass: QPS, latency p50/p99, errors by code.
//   retained  gpop: Start until --checkpoints=N1,N2,... operations were started (the fill:
//             synthetic 0 ms reports from --fill_concurrency callers, a refused Start retried
//             after 1-64 ms, within --seconds); at each, gpopd's RSS, --calls rounds of per-call
//             latencies at concurrency 1 (see MeasureCalls: Start, Cancel, Get of one of the
//             newest --retained_cap, one event through a watcher), and a Start window of --ops
//             calls at --concurrency.
//   progress  gpop: an operation of --steps steps of --step_ms each, watched by --watchers
//             StreamStatus calls (over --channels channels, --principals bearer tokens) that are
//             attached while it is still queued: its progress rate from its own record, and the
//             delivery latency p50/p99 of the progress items (arrival - Progress.observe_time).
//             raw: --watchers broadcast Push streams, then a Broadcast of --steps changes every
//             --step_ms, every change to every stream: the same delivery latency.
//   cancel    gpop: --iterations times, Cancel a running operation while one watcher streams it:
//             Cancel -> CANCELLED seen by the watcher, p50/p99 (and the Cancel call's own
//             answer, p50/p99). raw: unary Echo round trip.
//   idle      --watchers idle streams (gpop: StreamStatus of a waiting operation; raw: Push with
//             count 0): the server's RSS growth per stream (needs --server_pid).
//   backup    gpop with the sysvol backend: back up every GPO of ListGpos, --concurrency at a
//             time; seconds from the first Start to the last terminal state.
//   history   gpop run with --retained_operations above the last checkpoint: synthetic reports
//             of --report_bytes are started (--fill_concurrency callers) until
//             --checkpoints=N1,N2,... operations are retained; at each, gpopd's RSS and --ops
//             rounds of per-call latencies at concurrency 1 (MeasureCalls, with List's first
//             page and a StreamStatus replay of a random retained operation). --ids_file keeps
//             the ids started across invocations (a gpopd restarted on the same state).
//
// Exit status: 0, or 1 when work was lost (a watcher that saw no terminal event, an operation
// that did not reach the expected state, a Start error in a scenario that must not have any).

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client/client.h"
#include "client/grpc_connection.h"
#include "gpop/bench/raw_baseline.grpc.pb.h"
#include "tests/bench/load_support.h"

namespace gpop::bench {
namespace {

constexpr char kGpo[] = "{31B2F340-016D-11D2-945F-00C04FB984F9}";

// What every scenario is given.
struct Setup {
  std::string target;
  bool raw = false;
  pid_t server_pid = 0;
  int principals = 4;
  std::vector<std::shared_ptr<grpc::Channel>> channels;
};

// A client of principal `i` over channel `i % channels`.
client::Client ClientFor(const Setup& setup, int i) {
  client::ConnectionOptions options;
  options.target = setup.target;
  options.bearer_token = PrincipalToken(i, setup.principals);
  options.call_timeout = std::chrono::seconds(60);
  return client::Client(
      client::MakeGrpcConnection(setup.channels[i % setup.channels.size()], options));
}

v1::StartOperationRequest SyntheticRequest(int steps, int step_ms, const std::string& tag) {
  v1::StartOperationRequest request;
  request.mutable_spec()->mutable_backup()->mutable_gpo()->set_guid(kGpo);
  request.mutable_spec()->mutable_backup()->set_comment("load benchmark");
  (*request.mutable_labels())["synthetic.steps"] = std::to_string(steps);
  (*request.mutable_labels())["synthetic.step_ms"] = std::to_string(step_ms);
  (*request.mutable_labels())["bench"] = tag;
  return request;
}

bool IsTerminal(v1::OperationState s) {
  return s == v1::SUCCEEDED || s == v1::FAILED || s == v1::CANCELLED;
}

double ToSeconds(const google::protobuf::Timestamp& t) { return t.seconds() + t.nanos() * 1e-9; }

// Streams the operation's status until its terminal event (no polling: the server does no
// work for the wait but the stream's), then reads its record; nullopt when it cannot be read.
std::optional<v1::Operation> WaitTerminal(client::Client& client, const std::string& id) {
  std::unique_ptr<client::StatusStream> stream = client.StreamStatus(id);
  v1::StatusUpdate update;
  while (stream->Read(&update)) {
    if (update.has_event() && IsTerminal(update.event().state())) break;
  }
  stream->Cancel();
  absl::StatusOr<v1::Operation> op = client.GetOperation(id);
  if (!op.ok() || !IsTerminal(op->state())) return std::nullopt;
  return *op;
}

// What a Start load measured.
struct StartLoad {
  int64_t ok = 0;
  std::map<std::string, int64_t> errors;  // by canonical code name
  double seconds = 0;
  Latencies latencies;
  std::string last_id;
  std::string first_error;  // the message of a thread's first failed call (the first thread's)
};

// `concurrency` threads call StartOperation (raw: Echo) until `max_ops` calls were made or
// `max_seconds` passed (or, with `until_ok`, until `max_ops` calls succeeded).
StartLoad RunStarts(const Setup& setup, int concurrency, int64_t max_ops, double max_seconds,
                    bool until_ok) {
  std::atomic<int64_t> issued{0};
  std::atomic<int64_t> succeeded{0};
  std::vector<StartLoad> per_thread(concurrency);
  std::vector<std::thread> threads;
  v1::StartOperationRequest request = SyntheticRequest(1, 0, "start");
  SteadyClock::time_point start = SteadyClock::now();
  auto more = [&] {
    if (SecondsSince(start) > max_seconds) return false;
    if (until_ok) return succeeded.load() < max_ops;
    return issued.fetch_add(1) < max_ops;
  };
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      StartLoad& mine = per_thread[t];
      if (setup.raw) {
        auto stub = RawBaseline::NewStub(setup.channels[t % setup.channels.size()]);
        while (more()) {
          grpc::ClientContext context;
          context.AddMetadata("authorization", "Bearer " + PrincipalToken(t, setup.principals));
          v1::Operation op;
          SteadyClock::time_point t0 = SteadyClock::now();
          grpc::Status s = stub->Echo(&context, request, &op);
          mine.latencies.Add(SecondsSince(t0) * 1e6);
          if (s.ok()) {
            ++mine.ok;
            succeeded.fetch_add(1);
          } else {
            ++mine.errors["code_" + std::to_string(s.error_code())];
          }
        }
      } else {
        client::Client client = ClientFor(setup, t);
        while (more()) {
          SteadyClock::time_point t0 = SteadyClock::now();
          absl::StatusOr<v1::Operation> op = client.StartOperation(request);
          mine.latencies.Add(SecondsSince(t0) * 1e6);
          if (op.ok()) {
            ++mine.ok;
            succeeded.fetch_add(1);
            mine.last_id = op->id();
          } else {
            std::optional<client::ErrorInfo> info = client::GetErrorInfo(op.status());
            ++mine.errors[absl::StatusCodeToString(op.status().code()) +
                          (info ? "/" + info->reason : "")];
            if (mine.first_error.empty()) mine.first_error = op.status().ToString();
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  StartLoad total;
  total.seconds = SecondsSince(start);
  for (StartLoad& part : per_thread) {
    total.ok += part.ok;
    for (auto& [code, n] : part.errors) total.errors[code] += n;
    total.latencies.Merge(part.latencies);
    if (!part.last_id.empty()) total.last_id = part.last_id;
    if (total.first_error.empty()) total.first_error = part.first_error;
  }
  return total;
}

void AddStartFields(StartLoad& load, JsonLine& line) {
  int64_t errors = 0;
  std::string codes;
  for (auto& [code, n] : load.errors) {
    errors += n;
    codes += (codes.empty() ? "" : " ") + code + "=" + std::to_string(n);
  }
  line.Set("qps", load.ok / load.seconds)
      .Set("ok", load.ok)
      .Set("errors", errors)
      .Set("error_codes", codes)
      .Set("first_error", load.first_error)
      .Set("p50_us", load.latencies.Percentile(50))
      .Set("p99_us", load.latencies.Percentile(99))
      .Set("seconds", load.seconds);
}

int Start(const Setup& setup, const Args& args) {
  int concurrency = static_cast<int>(args.GetInt("concurrency", 1));
  StartLoad load = RunStarts(setup, concurrency, args.GetInt("ops", 2000),
                             static_cast<double>(args.GetInt("seconds", 10)), false);
  JsonLine line;
  line.Set("scenario", "start").Set("server", setup.raw ? "raw" : "gpop");
  line.Set("concurrency", static_cast<int64_t>(concurrency));
  AddStartFields(load, line);
  if (setup.server_pid > 0) line.Set("rss_kib", RssKib(setup.server_pid));
  line.Print();
  return load.ok > 0 ? 0 : 1;
}

// Watchers of one operation, `count` of them over the setup's channels and principals.
struct WatcherSet {
  StatusWatcher::Group group;
  std::vector<std::unique_ptr<v1::GroupPolicyOperations::Stub>> stubs;
  std::vector<std::unique_ptr<RawBaseline::Stub>> raw_stubs;
  std::vector<std::unique_ptr<StatusWatcher>> watchers;

  // raw: idle Push streams, or with `broadcast` streams that wait for a Broadcast.
  void Open(const Setup& setup, const std::string& operation_id, int count,
            bool broadcast = false) {
    for (auto& channel : setup.channels) {
      stubs.push_back(v1::GroupPolicyOperations::NewStub(channel));
      raw_stubs.push_back(RawBaseline::NewStub(channel));
    }
    for (int i = 0; i < count; ++i) {
      StatusWatcher::Call call;
      if (setup.raw) {
        RawBaseline::Stub* stub = raw_stubs[i % raw_stubs.size()].get();
        auto request = std::make_shared<PushRequest>();  // count 0: idle
        request->set_broadcast(broadcast);
        call = [stub, request](grpc::ClientContext* c, StatusWatcher* w) {
          stub->async()->Push(c, request.get(), w);
        };
      } else {
        v1::GroupPolicyOperations::Stub* stub = stubs[i % stubs.size()].get();
        auto request = std::make_shared<v1::StreamStatusRequest>();
        request->set_operation_id(operation_id);
        call = [stub, request](grpc::ClientContext* c, StatusWatcher* w) {
          stub->async()->StreamStatus(c, request.get(), w);
        };
      }
      watchers.push_back(
          std::make_unique<StatusWatcher>(call, PrincipalToken(i, setup.principals), &group));
      watchers.back()->Start();
    }
    group.WaitFirstItems(count);
  }

  // Ends every call still open and waits for all of them.
  void Close() {
    for (auto& w : watchers) w->Cancel();
    group.WaitDone(static_cast<int>(watchers.size()));
  }
};

// What the progress scenarios (gpop and raw) say of their watchers and of the run asked for:
// items per watcher, watchers that did not see SUCCEEDED (returned), and the delivery latency of
// their progress items (arrival minus the server's observe_time).
int64_t AddWatcherFields(const WatcherSet& set, int steps, int step_ms, JsonLine& line) {
  const int64_t watchers = static_cast<int64_t>(set.watchers.size());
  int64_t items = 0, lost = 0;
  Latencies delivery;
  for (const auto& w : set.watchers) {
    items += w->progress_items();
    if (w->terminal_state() != v1::SUCCEEDED) ++lost;
    delivery.Merge(w->delivery());
  }
  line.Set("deliveries", static_cast<int64_t>(delivery.size()));
  line.Set("delivery_p50_us", delivery.Percentile(50));
  line.Set("delivery_p99_us", delivery.Percentile(99));
  line.Set("watchers", watchers).Set("steps", static_cast<int64_t>(steps));
  line.Set("asked_rate", 1000.0 / std::max(step_ms, 1));
  line.Set("progress_items_per_watcher", watchers ? static_cast<double>(items) / watchers : 0.0);
  line.Set("watchers_without_success", lost);
  return lost;
}

// The raw baseline of progress delivery: --watchers broadcast Push streams (over --channels),
// then a Broadcast of --steps changes, one every --step_ms, every change written to every
// stream; each stream must end with its SUCCEEDED event.
int ProgressRaw(const Setup& setup, const Args& args) {
  int watchers = static_cast<int>(args.GetInt("watchers", 0));
  int steps = static_cast<int>(args.GetInt("steps", 300));
  int step_ms = static_cast<int>(args.GetInt("step_ms", 10));
  SteadyClock::time_point attach_start = SteadyClock::now();
  WatcherSet set;
  set.Open(setup, "", watchers, /*broadcast=*/true);
  double attach_seconds = SecondsSince(attach_start);
  auto stub = RawBaseline::NewStub(setup.channels[0]);
  grpc::ClientContext context;
  BroadcastRequest request;
  request.set_changes(steps);
  request.set_interval_us(step_ms * 1000);
  BroadcastReply reply;
  grpc::Status status = stub->Broadcast(&context, request, &reply);
  SteadyClock::time_point changes_end = SteadyClock::now();
  set.group.WaitDone(watchers);
  if (!status.ok()) {
    std::fprintf(stderr, "bench_load: Broadcast: %s\n", status.error_message().c_str());
    return 1;
  }
  JsonLine line;
  line.Set("scenario", "progress").Set("server", "raw");
  const int64_t lost = AddWatcherFields(set, steps, step_ms, line);
  line.Set("rate", steps / std::max(reply.seconds(), 1e-9)).Set("run_seconds", reply.seconds());
  line.Set("drain_seconds", SecondsSince(changes_end));  // after the last change, to the last end
  line.Set("streams_at_first_change", static_cast<int64_t>(reply.streams()));
  line.Set("attach_seconds", attach_seconds);
  line.Print();
  return lost == 0 ? 0 : 1;
}

int Progress(const Setup& setup, const Args& args) {
  if (setup.raw) return ProgressRaw(setup, args);
  int watchers = static_cast<int>(args.GetInt("watchers", 0));
  int steps = static_cast<int>(args.GetInt("steps", 300));
  int step_ms = static_cast<int>(args.GetInt("step_ms", 10));
  int blockers = static_cast<int>(args.GetInt("blockers", 4));
  client::Client client = ClientFor(setup, 0);
  // The executor slots are taken first, so that the measured operation waits, QUEUED, while
  // its watchers attach.
  std::vector<std::string> blocker_ids;
  for (int i = 0; i < blockers; ++i) {
    absl::StatusOr<v1::Operation> op = client.StartOperation(SyntheticRequest(1, 600000, "block"));
    if (!op.ok()) {
      std::fprintf(stderr, "bench_load: blocker: %s\n", op.status().ToString().c_str());
      return 1;
    }
    blocker_ids.push_back(op->id());
  }
  absl::StatusOr<v1::Operation> op = client.StartOperation(SyntheticRequest(steps, step_ms, "run"));
  if (!op.ok()) {
    std::fprintf(stderr, "bench_load: start: %s\n", op.status().ToString().c_str());
    return 1;
  }
  SteadyClock::time_point attach_start = SteadyClock::now();
  WatcherSet set;
  set.Open(setup, op->id(), watchers);
  double attach_seconds = SecondsSince(attach_start);
  absl::StatusOr<v1::Operation> before = client.GetOperation(op->id());
  bool queued_while_attaching = before.ok() && before->state() == v1::QUEUED;
  for (const std::string& id : blocker_ids) (void)client.Cancel(id);
  std::optional<v1::Operation> done = WaitTerminal(client, op->id());
  set.group.WaitDone(watchers);
  if (!done) return 1;
  double run_seconds = ToSeconds(done->end_time()) - ToSeconds(done->start_time());
  JsonLine line;
  line.Set("scenario", "progress").Set("server", "gpop");
  const int64_t lost = AddWatcherFields(set, steps, step_ms, line);
  line.Set("rate", steps / run_seconds).Set("run_seconds", run_seconds);
  line.Set("attach_seconds", attach_seconds);
  line.Set("queued_while_attaching", static_cast<int64_t>(queued_while_attaching));
  line.Set("state", v1::OperationState_Name(done->state()));
  line.Print();
  return lost == 0 && done->state() == v1::SUCCEEDED ? 0 : 1;
}

int Cancel(const Setup& setup, const Args& args) {
  int iterations = static_cast<int>(args.GetInt("iterations", 100));
  Latencies latencies;
  Latencies answered;  // gpop: the Cancel call's own round trip (CANCELLING durable)
  JsonLine line;
  line.Set("scenario", setup.raw ? "rtt" : "cancel").Set("server", setup.raw ? "raw" : "gpop");
  if (setup.raw) {
    auto stub = RawBaseline::NewStub(setup.channels[0]);
    v1::StartOperationRequest request = SyntheticRequest(1, 0, "rtt");
    for (int i = 0; i < iterations; ++i) {
      grpc::ClientContext context;
      v1::Operation op;
      SteadyClock::time_point t0 = SteadyClock::now();
      if (!stub->Echo(&context, request, &op).ok()) return 1;
      latencies.Add(SecondsSince(t0) * 1e6);
    }
  } else {
    client::Client client = ClientFor(setup, 0);
    for (int i = 0; i < iterations; ++i) {
      absl::StatusOr<v1::Operation> op =
          client.StartOperation(SyntheticRequest(100000, 10, "cancel"));
      if (!op.ok()) return 1;
      WatcherSet set;
      set.Open(setup, op->id(), 1);
      StatusWatcher& w = *set.watchers[0];
      // Running: the backend reported its first progress.
      while (w.progress_items() == 0 && w.terminal_state() == v1::OPERATION_STATE_UNSPECIFIED) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      SteadyClock::time_point t0 = SteadyClock::now();
      if (!client.Cancel(op->id()).ok()) return 1;
      answered.Add(SecondsSince(t0) * 1e6);
      set.group.WaitDone(1);
      if (w.terminal_state() != v1::CANCELLED) {
        std::fprintf(stderr, "bench_load: cancel: watcher saw %s\n",
                     v1::OperationState_Name(w.terminal_state()).c_str());
        return 1;
      }
      latencies.Add(std::chrono::duration<double, std::micro>(w.terminal_time() - t0).count());
    }
  }
  line.Set("iterations", static_cast<int64_t>(iterations));
  line.Set("p50_us", latencies.Percentile(50)).Set("p99_us", latencies.Percentile(99));
  if (!setup.raw) {
    line.Set("cancel_rpc_p50_us", answered.Percentile(50));
    line.Set("cancel_rpc_p99_us", answered.Percentile(99));
  }
  line.Print();
  return 0;
}

int Idle(const Setup& setup, const Args& args) {
  int watchers = static_cast<int>(args.GetInt("watchers", 1000));
  if (setup.server_pid <= 0) {
    std::fprintf(stderr, "bench_load: idle needs --server_pid\n");
    return 2;
  }
  std::string id;
  std::optional<client::Client> client;
  if (!setup.raw) {
    client.emplace(ClientFor(setup, 0));
    absl::StatusOr<v1::Operation> op = client->StartOperation(SyntheticRequest(1, 600000, "idle"));
    if (!op.ok()) return 1;
    id = op->id();
  }
  // A first stream per channel warms the server's per-connection allocations up; together with
  // the measured ones they are `watchers` streams (gpopd's per-principal limit is 5,000).
  int warm_count = static_cast<int>(setup.channels.size());
  int measured = std::max(watchers - warm_count, 1);
  WatcherSet warm;
  warm.Open(setup, id, warm_count);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int64_t rss_before = RssKib(setup.server_pid);
  WatcherSet set;
  set.Open(setup, id, measured);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int64_t rss_after = RssKib(setup.server_pid);
  int64_t ended_early = set.group.done;
  set.Close();
  warm.Close();
  if (client) (void)client->Cancel(id);
  JsonLine line;
  line.Set("scenario", "idle").Set("server", setup.raw ? "raw" : "gpop");
  line.Set("watchers", static_cast<int64_t>(watchers));
  line.Set("rss_before_kib", rss_before).Set("rss_after_kib", rss_after);
  line.Set("kib_per_watcher", static_cast<double>(rss_after - rss_before) / measured);
  line.Set("ended_early", ended_early);
  line.Print();
  return ended_early == 0 ? 0 : 1;
}

int Backup(const Setup& setup, const Args& args) {
  int concurrency = static_cast<int>(args.GetInt("concurrency", 16));
  client::Client client = ClientFor(setup, 0);
  absl::StatusOr<v1::ListGposResponse> gpos = client.ListGpos();
  if (!gpos.ok()) {
    std::fprintf(stderr, "bench_load: ListGpos: %s\n", gpos.status().ToString().c_str());
    return 1;
  }
  std::atomic<int> next{0};
  std::atomic<int> failed{0};
  SteadyClock::time_point start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      client::Client mine = ClientFor(setup, t);
      for (int i = next.fetch_add(1); i < gpos->gpos_size(); i = next.fetch_add(1)) {
        v1::StartOperationRequest request;
        request.mutable_spec()->mutable_backup()->mutable_gpo()->set_guid(gpos->gpos(i).guid());
        request.mutable_spec()->mutable_backup()->set_comment("benchmark");
        absl::StatusOr<v1::Operation> op = mine.StartOperation(request);
        std::optional<v1::Operation> done;
        if (op.ok()) done = WaitTerminal(mine, op->id());
        if (!done || done->state() != v1::SUCCEEDED) {
          std::fprintf(stderr, "bench_load: backup of %s: %s\n", gpos->gpos(i).guid().c_str(),
                       op.ok() ? (done ? done->error().message().c_str() : "lost")
                               : op.status().ToString().c_str());
          failed.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  JsonLine line;
  line.Set("scenario", "backup").Set("server", "gpop");
  line.Set("gpos", static_cast<int64_t>(gpos->gpos_size())).Set("seconds", SecondsSince(start));
  line.Set("failed", static_cast<int64_t>(failed.load()));
  line.Print();
  return failed.load() == 0 ? 0 : 1;
}

// A synthetic report whose content is `report_bytes` long (stored once, outside the events).
// Reports claim no location, so that the executor's slots run them side by side.
v1::StartOperationRequest ReportRequest(int report_bytes, const std::string& tag = "history") {
  v1::StartOperationRequest request;
  request.mutable_spec()->mutable_report()->mutable_gpo()->set_guid(kGpo);
  request.mutable_spec()->mutable_report()->set_format(v1::XML);
  (*request.mutable_labels())["synthetic.steps"] = "1";
  (*request.mutable_labels())["synthetic.step_ms"] = "0";
  (*request.mutable_labels())["synthetic.report_bytes"] = std::to_string(report_bytes);
  (*request.mutable_labels())["bench"] = tag;
  return request;
}

// Adds the call's latency in microseconds; false when it failed.
template <typename F>
bool Timed(Latencies* latencies, F call) {
  SteadyClock::time_point t0 = SteadyClock::now();
  bool ok = call();
  latencies->Add(SecondsSince(t0) * 1e6);
  return ok;
}

// The ids of the operations a scenario started, oldest first. With --ids_file they are read
// from that file at the start and written back after each checkpoint, so that a run resumed
// against a restarted gpopd (run_bench.py measures start-up that way) picks among them all.
class StartedIds {
 public:
  explicit StartedIds(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    std::ifstream in(path_);
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) ids_.push_back(line);
    }
  }
  void Add(const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    ids_.push_back(id);
  }
  // Operations started whose ids were not kept (a Start window's): they count in size(), and
  // Random's window takes them as the newest.
  void AddUnrecorded(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    unrecorded_ += n;
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.size() + static_cast<size_t>(unrecorded_);
  }
  std::string Last() {
    std::lock_guard<std::mutex> lock(mu_);
    return ids_.empty() ? std::string() : ids_.back();
  }
  // One of the newest `window` ids (all when 0), uniformly.
  std::string Random(std::mt19937_64& rng, size_t window) {
    std::lock_guard<std::mutex> lock(mu_);
    size_t n = ids_.size();
    if (window > 0) {
      size_t skipped = std::min(static_cast<size_t>(unrecorded_), window - 1);
      n = std::min(window - skipped, n);
    }
    return ids_[ids_.size() - 1 - rng() % n];
  }
  void Save() {
    if (path_.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    std::ofstream out(path_, std::ios::trunc);
    for (const std::string& id : ids_) out << id << '\n';
  }

 private:
  const std::string path_;
  std::mutex mu_;
  std::vector<std::string> ids_;
  int64_t unrecorded_ = 0;
};

// What a fill did.
struct FillResult {
  bool done = false;  // `count` operations were started before the time limit
  double seconds = 0;
  int64_t refused = 0;  // Starts refused (QUEUE_FULL and the like), retried after 1 ms
};

// Starts `count` operations of `request` from `concurrency` callers (over the setup's channels
// and principals) within `max_seconds`: each caller takes the next of the `count` and starts it;
// a Start that is refused (QUEUE_FULL while the executor catches up) is tried again after 1 ms,
// doubling up to 64 ms while it is refused, so that the refusals do not take gpopd's CPU from
// the work. Then waits for the last one to finish (the queue is empty when it returns).
FillResult Fill(const Setup& setup, const v1::StartOperationRequest& request, int64_t count,
                int concurrency, double max_seconds, StartedIds* ids) {
  FillResult result;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> started{0};
  std::atomic<int64_t> refused{0};
  SteadyClock::time_point start = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < concurrency; ++t) {
    threads.emplace_back([&, t] {
      client::Client mine = ClientFor(setup, t);
      while (next.fetch_add(1) < count) {
        auto backoff = std::chrono::milliseconds(1);
        for (;;) {
          absl::StatusOr<v1::Operation> op = mine.StartOperation(request);
          if (op.ok()) {
            ids->Add(op->id());
            started.fetch_add(1);
            break;
          }
          refused.fetch_add(1);
          if (SecondsSince(start) > max_seconds) return;
          std::this_thread::sleep_for(backoff);
          backoff = std::min(backoff * 2, std::chrono::milliseconds(64));
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  result.refused = refused.load();
  result.done = started.load() >= count;
  client::Client client = ClientFor(setup, 0);
  std::string last = ids->Last();
  if (!last.empty() && !WaitTerminal(client, last)) result.done = false;
  result.seconds = SecondsSince(start);
  return result;
}

// Per-call latencies at concurrency 1 (see MeasureCalls).
struct CallLatencies {
  Latencies start, get, cancel, event, list, replay;
  int64_t failed = 0;

  void Report(JsonLine& line, bool history) {
    std::vector<std::pair<const char*, Latencies*>> calls = {
        {"start", &start}, {"get", &get}, {"cancel", &cancel}, {"event", &event}};
    if (history) {
      calls.push_back({"list", &list});
      calls.push_back({"replay", &replay});
    }
    for (auto& [name, l] : calls) {
      line.Set(std::string(name) + "_p50_us", l->Percentile(50));
      line.Set(std::string(name) + "_p99_us", l->Percentile(99));
    }
    line.Set("failed_calls", failed);
  }
};

double SystemNowSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// `ops` rounds, each: Start a synthetic backup that posts a message event per 2 ms step
// (StartOperation's latency), stream its status and take each event's latency from its time
// (set by gpopd when the event was appended; the same host's clock) to its arrival at the
// watcher, Cancel it after its third message event (Cancel's latency, and its CANCELLED
// event's), Get a random retained operation; with `history` also List's first page and a
// StreamStatus replay of a random retained operation. `window`: the random operations are
// among the newest `window` started (0: all of them).
CallLatencies MeasureCalls(const Setup& setup, int64_t ops, StartedIds* ids, size_t window,
                           bool history) {
  CallLatencies out;
  client::Client client = ClientFor(setup, 0);
  std::mt19937_64 rng(20261203);
  v1::StartOperationRequest request = SyntheticRequest(1000, 2, "calls");
  (*request.mutable_labels())["synthetic.messages"] = "1";
  for (int64_t i = 0; i < ops; ++i) {
    std::string id;
    out.failed += !Timed(&out.start, [&] {
      absl::StatusOr<v1::Operation> op = client.StartOperation(request);
      if (op.ok()) id = op->id();
      return op.ok();
    });
    if (id.empty()) continue;
    std::unique_ptr<client::StatusStream> stream = client.StreamStatus(id);
    v1::StatusUpdate update;
    int messages = 0;
    bool terminal = false;
    while (!terminal && stream->Read(&update)) {
      if (!update.has_event()) continue;
      const v1::Event& ev = update.event();
      terminal = IsTerminal(ev.state());
      if (ev.messages_size() > 0 || ev.state() == v1::CANCELLED) {
        out.event.Add((SystemNowSeconds() - ToSeconds(ev.time())) * 1e6);
      }
      if (ev.messages_size() > 0 && ++messages == 3) {
        out.failed += !Timed(&out.cancel, [&] { return client.Cancel(id).ok(); });
      }
    }
    stream->Cancel();
    out.failed += !terminal;
    ids->Add(id);
    const std::string retained = ids->Random(rng, window);
    out.failed += !Timed(&out.get, [&] { return client.GetOperation(retained).ok(); });
    if (!history) continue;
    out.failed += !Timed(&out.list, [&] {
      v1::ListOperationsRequest page;
      page.set_page_size(100);
      return client.ListOperations(page).ok();
    });
    out.failed += !Timed(&out.replay, [&] {
      std::unique_ptr<client::StatusStream> replay = client.StreamStatus(ids->Random(rng, window));
      bool done = false;
      while (!done && replay->Read(&update)) {
        done = update.has_event() && IsTerminal(update.event().state());
      }
      replay->Cancel();
      return done;
    });
  }
  return out;
}

int Retained(const Setup& setup, const Args& args) {
  const int concurrency = static_cast<int>(args.GetInt("concurrency", 8));
  const int64_t window = args.GetInt("ops", 2000);
  const int fill_concurrency = static_cast<int>(args.GetInt("fill_concurrency", 32));
  const double max_seconds = static_cast<double>(args.GetInt("seconds", 3600));
  const int64_t calls = args.GetInt("calls", 200);
  const size_t cap = static_cast<size_t>(args.GetInt("retained_cap", 10000));
  const v1::StartOperationRequest fill_request = ReportRequest(0, "fill");
  StartedIds ids("");
  for (int64_t checkpoint : args.GetInts("checkpoints", {1000, 10000})) {
    FillResult fill;
    if (checkpoint > static_cast<int64_t>(ids.size())) {
      fill = Fill(setup, fill_request, checkpoint - static_cast<int64_t>(ids.size()),
                  fill_concurrency, max_seconds, &ids);
      if (!fill.done) {
        std::fprintf(stderr, "bench_load: retained: the fill to %lld did not finish\n",
                     static_cast<long long>(checkpoint));
        return 1;
      }
    }
    const int64_t started_before = static_cast<int64_t>(ids.size());
    int64_t rss = setup.server_pid > 0 ? RssKib(setup.server_pid) : -1;
    CallLatencies per_call = MeasureCalls(setup, calls, &ids, cap, false);
    StartLoad load = RunStarts(setup, concurrency, window, max_seconds, false);
    JsonLine line;
    line.Set("scenario", "retained").Set("server", "gpop").Set("started_before", started_before);
    line.Set("concurrency", static_cast<int64_t>(concurrency));
    line.Set("fill_seconds", fill.seconds).Set("fill_refused", fill.refused);
    line.Set("rss_kib", rss);
    AddStartFields(load, line);
    per_call.Report(line, false);
    line.Print();
    client::Client client = ClientFor(setup, 0);
    if (!load.last_id.empty() && !WaitTerminal(client, load.last_id)) return 1;
    ids.AddUnrecorded(load.ok);  // retention counts them too
    if (per_call.failed > 0) return 1;
  }
  return 0;
}

int History(const Setup& setup, const Args& args) {
  const int64_t ops = args.GetInt("ops", 500);
  const int fill_concurrency = static_cast<int>(args.GetInt("fill_concurrency", 16));
  const double max_seconds = static_cast<double>(args.GetInt("seconds", 3600));
  const v1::StartOperationRequest request =
      ReportRequest(static_cast<int>(args.GetInt("report_bytes", 4096)));
  StartedIds ids(args.Get("ids_file", ""));
  for (int64_t checkpoint : args.GetInts("checkpoints", {1000, 10000, 100000})) {
    FillResult fill;
    if (checkpoint > static_cast<int64_t>(ids.size())) {
      fill = Fill(setup, request, checkpoint - static_cast<int64_t>(ids.size()), fill_concurrency,
                  max_seconds, &ids);
      if (!fill.done) {
        std::fprintf(stderr, "bench_load: history: the fill to %lld did not finish\n",
                     static_cast<long long>(checkpoint));
        return 1;
      }
    }
    const int64_t retained = static_cast<int64_t>(ids.size());
    int64_t rss = setup.server_pid > 0 ? RssKib(setup.server_pid) : -1;
    CallLatencies per_call = MeasureCalls(setup, ops, &ids, 0, true);
    JsonLine line;
    line.Set("scenario", "history").Set("server", "gpop");
    line.Set("retained", retained).Set("rss_kib", rss);
    line.Set("fill_seconds", fill.seconds).Set("fill_refused", fill.refused);
    per_call.Report(line, true);
    line.Print();
    ids.Save();
    if (per_call.failed > 0) return 1;
  }
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: bench_load start|retained|progress|cancel|idle|backup|history "
               "--target=HOST:PORT [--raw] [--server_pid=PID] [--channels=N] [--principals=N] "
               "[scenario options: see bench_load.cc]\n");
  return 2;
}

int Run(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string scenario = argv[1];
  Args args(argc, argv, 2);
  Setup setup;
  setup.target = args.Get("target", "127.0.0.1:50051");
  setup.raw = args.Has("raw");
  setup.server_pid = static_cast<pid_t>(args.GetInt("server_pid", 0));
  setup.principals = static_cast<int>(args.GetInt("principals", 4));
  setup.channels = MakeChannels(setup.target, static_cast<int>(args.GetInt("channels", 4)));
  if (scenario == "start") return Start(setup, args);
  if (scenario == "cancel") return Cancel(setup, args);
  if (scenario == "idle") return Idle(setup, args);
  if (scenario == "progress") return Progress(setup, args);
  if (setup.raw) {
    std::fprintf(stderr, "bench_load: %s has no raw baseline\n", scenario.c_str());
    return 2;
  }
  if (scenario == "retained") return Retained(setup, args);
  if (scenario == "backup") return Backup(setup, args);
  if (scenario == "history") return History(setup, args);
  return Usage();
}

}  // namespace
}  // namespace gpop::bench

int main(int argc, char** argv) { return gpop::bench::Run(argc, argv); }
