// bench_raw_server: the raw gRPC baseline of the load benchmarks (see README.md). A callback-API
// server of gpop.bench.RawBaseline that answers with gpop.v1's own messages, so that the load
// tool compares gpopd against gRPC alone for the same message sizes. Broadcast (the baseline of
// progress delivery) writes every change to every broadcast stream, from a ticker thread and
// the streams' own write completions.
//
//   bench_raw_server --listen=127.0.0.1:0 --port_file=PATH
//
// Runs until SIGTERM or SIGINT.

#include <signal.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gpop/bench/raw_baseline.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace gpop::bench {
namespace {

void Stamp(google::protobuf::Timestamp* ts) {
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  ts->set_seconds(ns / 1000000000);
  ts->set_nanos(static_cast<int32_t>(ns % 1000000000));
}

// The answer gpopd gives to a StartOperation: the request's spec and labels, an id, the owner,
// the times and the first sequence.
void FillOperation(const v1::StartOperationRequest& request, uint64_t n, v1::Operation* op) {
  char id[64];
  std::snprintf(id, sizeof(id), "op-%08llx-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(n), static_cast<unsigned long long>(n));
  op->set_id(id);
  op->set_kind(v1::BACKUP);
  op->set_state(v1::QUEUED);
  *op->mutable_spec() = request.spec();
  *op->mutable_labels() = request.labels();
  op->set_principal("local");
  op->set_request_id(request.request_id());
  Stamp(op->mutable_create_time());
  Stamp(op->mutable_deadline());
  op->set_last_sequence(1);
  op->set_revision(n);
}

void FillTerminal(v1::StatusUpdate* update) {
  update->Clear();
  v1::Event* e = update->mutable_event();
  e->set_operation_id("op-00000000-0000-4000-8000-000000000000");
  e->set_sequence(3);
  e->set_revision(3);
  Stamp(e->mutable_time());
  e->set_state(v1::SUCCEEDED);
  e->set_effects(v1::APPLIED);
  e->set_kind(v1::BACKUP);
}

class PushReactor final : public grpc::ServerWriteReactor<v1::StatusUpdate> {
 public:
  explicit PushReactor(int count) : remaining_(count), idle_(count == 0) {
    v1::Event* e = update_.mutable_event();
    e->set_operation_id("op-00000000-0000-4000-8000-000000000000");
    e->set_sequence(1);
    e->set_revision(1);
    Stamp(e->mutable_time());
    e->set_state(v1::QUEUED);
    e->set_kind(v1::BACKUP);
    StartWrite(&update_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      if (!finished_.exchange(true)) Finish(grpc::Status::CANCELLED);
      return;
    }
    if (idle_) return;  // stays open until the client cancels (OnCancel)
    if (remaining_ > 0) {
      update_.Clear();
      v1::Progress* p = update_.mutable_progress();
      p->set_numerator(++sent_);
      p->set_denominator(sent_ + remaining_ - 1);
      p->set_after_sequence(2);
      --remaining_;
      StartWrite(&update_);
      return;
    }
    if (!terminal_sent_) {
      terminal_sent_ = true;
      FillTerminal(&update_);
      StartWrite(&update_);
      return;
    }
    if (!finished_.exchange(true)) Finish(grpc::Status::OK);
  }

  void OnCancel() override {
    if (idle_ && !finished_.exchange(true)) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override { delete this; }

 private:
  v1::StatusUpdate update_;
  int remaining_;
  int64_t sent_ = 0;
  const bool idle_;
  bool terminal_sent_ = false;
  std::atomic<bool> finished_{false};  // Finish called (OnCancel races the first write's end)
};

class BroadcastReactor;

// Broadcaster
//
// The changes made so far by the Broadcast in progress and the streams that have been sent all
// of them (idle: the ticker writes the next change to them itself). A stream whose write is in
// flight is nobody's until its OnWriteDone asks for what follows. Thread-safe.
class Broadcaster {
 public:
  struct Change {
    int64_t number = 0;  // 1, 2, 3 ...
    int64_t of = 0;
    google::protobuf::Timestamp time;
  };
  enum class Next { kWrite, kTerminal, kWait };

  // What stream `r`, `sent` changes in, does next: write `*change`, write the terminal event,
  // or wait (it is then idle until the ticker's next change).
  Next After(BroadcastReactor* r, int64_t sent, Change* change);
  // OnCancel of a stream: true when it was idle (the caller finishes it; nobody else will).
  bool Forget(BroadcastReactor* r);
  // Claims the broadcaster for the one Broadcast of this process: false when one was claimed.
  bool Claim();
  // The ticker: makes the changes, writing each to the idle streams. Returns the seconds from
  // the first change to the last and the streams idle before the first.
  BroadcastReply Run(int changes, std::chrono::microseconds interval);

 private:
  absl::Mutex mu_;
  std::vector<Change> changes_ ABSL_GUARDED_BY(mu_);
  std::set<BroadcastReactor*> idle_ ABSL_GUARDED_BY(mu_);
  bool finished_ ABSL_GUARDED_BY(mu_) = false;  // the last change was made
  bool claimed_ ABSL_GUARDED_BY(mu_) = false;
};

// One Push stream of `broadcast`: the first Event, then every change, then SUCCEEDED.
class BroadcastReactor final : public grpc::ServerWriteReactor<v1::StatusUpdate> {
 public:
  explicit BroadcastReactor(Broadcaster* b) : broadcaster_(b) {
    v1::Event* e = update_.mutable_event();
    e->set_operation_id("op-00000000-0000-4000-8000-000000000000");
    e->set_sequence(1);
    e->set_revision(1);
    Stamp(e->mutable_time());
    e->set_state(v1::QUEUED);
    e->set_kind(v1::BACKUP);
    StartWrite(&update_);
  }

  // Writes change `c` (the stream is the caller's: idle taken by the ticker, or in OnWriteDone).
  void WriteChange(const Broadcaster::Change& c) {
    sent_ = c.number;
    update_.Clear();
    v1::Progress* p = update_.mutable_progress();
    p->set_numerator(c.number);
    p->set_denominator(c.of);
    p->set_after_sequence(2);
    *p->mutable_observe_time() = c.time;
    StartWrite(&update_);
  }

  void WriteTerminal() {
    terminal_sent_ = true;
    FillTerminal(&update_);
    StartWrite(&update_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok || terminal_sent_) {
      if (!finished_.exchange(true)) Finish(ok ? grpc::Status::OK : grpc::Status::CANCELLED);
      return;
    }
    Broadcaster::Change change;
    switch (broadcaster_->After(this, sent_, &change)) {
      case Broadcaster::Next::kWrite:
        WriteChange(change);
        break;
      case Broadcaster::Next::kTerminal:
        WriteTerminal();
        break;
      case Broadcaster::Next::kWait:
        break;
    }
  }

  void OnCancel() override {
    if (broadcaster_->Forget(this) && !finished_.exchange(true)) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override { delete this; }

 private:
  Broadcaster* const broadcaster_;
  v1::StatusUpdate update_;
  int64_t sent_ = 0;  // changes written (only by whoever owns the stream, see Broadcaster)
  bool terminal_sent_ = false;
  std::atomic<bool> finished_{false};
};

Broadcaster::Next Broadcaster::After(BroadcastReactor* r, int64_t sent, Change* change) {
  absl::MutexLock lock(&mu_);
  if (sent < static_cast<int64_t>(changes_.size())) {
    *change = changes_[sent];
    return Next::kWrite;
  }
  if (finished_) return Next::kTerminal;
  idle_.insert(r);
  return Next::kWait;
}

bool Broadcaster::Forget(BroadcastReactor* r) {
  absl::MutexLock lock(&mu_);
  return idle_.erase(r) > 0;
}

bool Broadcaster::Claim() {
  absl::MutexLock lock(&mu_);
  if (claimed_) return false;
  claimed_ = true;
  return true;
}

BroadcastReply Broadcaster::Run(int changes, std::chrono::microseconds interval) {
  BroadcastReply reply;
  {
    absl::MutexLock lock(&mu_);
    reply.set_streams(static_cast<int32_t>(idle_.size()));
  }
  auto start = std::chrono::steady_clock::now();
  for (int i = 1; i <= changes; ++i) {
    std::this_thread::sleep_until(start + interval * (i - 1));
    Change c;
    c.number = i;
    c.of = changes;
    Stamp(&c.time);
    std::set<BroadcastReactor*> idle;
    {
      absl::MutexLock lock(&mu_);
      changes_.push_back(c);
      idle.swap(idle_);
      if (i == changes) finished_ = true;
    }
    for (BroadcastReactor* r : idle) r->WriteChange(c);
  }
  reply.set_seconds(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return reply;
}

class RawService final : public RawBaseline::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const v1::StartOperationRequest* request,
                                 v1::Operation* response) override {
    FillOperation(*request, ++count_, response);
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

  grpc::ServerWriteReactor<v1::StatusUpdate>* Push(grpc::CallbackServerContext*,
                                                   const PushRequest* request) override {
    if (request->broadcast()) return new BroadcastReactor(&broadcaster_);
    return new PushReactor(request->count());
  }

  // The ticker runs on a thread of its own, which answers the call. One per process: the
  // changes stay for the streams still draining them.
  grpc::ServerUnaryReactor* Broadcast(grpc::CallbackServerContext* context,
                                      const BroadcastRequest* request,
                                      BroadcastReply* reply) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (!broadcaster_.Claim()) {
      reactor->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                   "one Broadcast per bench_raw_server process"));
      return reactor;
    }
    absl::MutexLock lock(&ticker_mu_);
    int changes = request->changes();
    auto interval = std::chrono::microseconds(request->interval_us());
    ticker_ = std::thread([this, reactor, reply, changes, interval] {
      *reply = broadcaster_.Run(changes, interval);
      reactor->Finish(grpc::Status::OK);
    });
    return reactor;
  }

  ~RawService() override {
    absl::MutexLock lock(&ticker_mu_);
    if (ticker_.joinable()) ticker_.join();
  }

 private:
  std::atomic<uint64_t> count_{0};
  Broadcaster broadcaster_;
  absl::Mutex ticker_mu_;
  std::thread ticker_ ABSL_GUARDED_BY(ticker_mu_);
};

int Run(int argc, char** argv) {
  std::string listen = "127.0.0.1:0";
  std::string port_file;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--listen=", 0) == 0) {
      listen = arg.substr(9);
    } else if (arg.rfind("--port_file=", 0) == 0) {
      port_file = arg.substr(12);
    } else {
      std::fprintf(stderr, "usage: bench_raw_server [--listen=HOST:PORT] [--port_file=PATH]\n");
      return 2;
    }
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  RawService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "bench_raw_server: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  if (!port_file.empty()) {
    std::string tmp = port_file + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << port << "\n";
    }
    std::rename(tmp.c_str(), port_file.c_str());
  }
  std::fprintf(stderr, "bench_raw_server: listening on port %d\n", port);
  int sig = 0;
  sigwait(&signals, &sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return 0;
}

}  // namespace
}  // namespace gpop::bench

int main(int argc, char** argv) { return gpop::bench::Run(argc, argv); }
