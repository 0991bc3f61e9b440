// End-to-end test support: a real gpopd server (engine, in-memory store, synthetic backend, real
// clock, api::Server) on 127.0.0.1:0, generated stubs to call it, and small helpers to start
// operations, read streams and check AIP-193 errors. Synchronisation is by stream items and
// latches only; the synthetic scripts' step delays are the only timing.

#ifndef GPOP_TESTS_E2E_TEST_SERVER_H_
#define GPOP_TESTS_E2E_TEST_SERVER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "google/longrunning/operations.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "gpop/v1/operations.grpc.pb.h"
#include "grpcpp/channel.h"
#include "service/api/server.h"
#include "service/backends/synthetic/synthetic_backend.h"
#include "service/core/mutex.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/store/memory_store.h"

namespace gpop::e2e {

// TestServer
//
// One in-process gpopd. Destroying it shuts it down (no grace). Thread-safe as its parts are.
class TestServer {
 public:
  explicit TestServer(engine::EngineOptions options = {}, synthetic::Script script = {});
  // With these server options (listen "127.0.0.1:0" when empty). stub() and lro() use a
  // plaintext channel to target(), which a TLS server refuses.
  TestServer(api::ServerOptions server_options, engine::EngineOptions options,
             synthetic::Script script = {});
  ~TestServer();

  v1::GroupPolicyOperations::Stub& stub() { return *stub_; }
  google::longrunning::Operations::Stub& lro() { return *lro_; }
  engine::Engine& engine() { return *engine_; }
  api::Server& server() { return *server_; }
  std::string target() const { return server_->target(); }

  // A channel on its own connection (not shared with stub()'s).
  std::shared_ptr<grpc::Channel> NewChannel() const;

 private:
  engine::RealClock clock_;
  store::MemoryStore store_;
  synthetic::SyntheticBackend backend_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<api::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::GroupPolicyOperations::Stub> stub_;
  std::unique_ptr<google::longrunning::Operations::Stub> lro_;
};

// A backup request whose synthetic script is given by labels: `steps` steps of `step_ms`
// milliseconds, plus `extra` labels (synthetic.* or others). Each call names a new backup
// location, so that operations do not queue behind each other's resource locks.
v1::StartOperationRequest SyntheticBackup(int steps, int step_ms,
                                          std::map<std::string, std::string> extra = {});

// StartOperation that must succeed; returns the operation (empty id on failure, with a test
// failure recorded).
v1::Operation Start(v1::GroupPolicyOperations::Stub& stub,
                    const v1::StartOperationRequest& request);

// StreamResult
//
// What one StreamStatus call delivered and how it ended.
struct StreamResult {
  std::vector<v1::StatusUpdate> updates;
  grpc::Status status;
  std::vector<v1::Event> events() const;
};

// ReadStream
//
// Reads StreamStatus(id, after) until it ends. When `cut` returns true for an item, the call is
// cancelled from the client side (TryCancel) right after that item, as a dropped connection
// would end it. A generous deadline guards against hangs.
StreamResult ReadStream(v1::GroupPolicyOperations::Stub& stub, const std::string& id,
                        uint64_t after_sequence = 0,
                        std::function<bool(const v1::StatusUpdate&)> cut = nullptr);

// Reads StreamStatus(id) until an event in `state` arrives; returns false if the stream ended
// first. The call is then cancelled.
bool WaitForState(v1::GroupPolicyOperations::Stub& stub, const std::string& id,
                  v1::OperationState state);

// The single ErrorInfo of a failed call (empty when there is none; a test failure is recorded).
google::rpc::ErrorInfo ErrorInfoOf(const grpc::Status& status);
google::rpc::ErrorInfo ErrorInfoOf(const google::rpc::Status& status);

// Checks that `events` are numbered first, first+1, ... without gaps or repeats, and that only
// the last (if any) is terminal.
void ExpectGapFree(const std::vector<v1::Event>& events, uint64_t first);

bool IsTerminal(v1::OperationState state);

// Latch
//
// Counts down to zero; Wait blocks until then or the timeout (returns false on timeout).
class Latch {
 public:
  explicit Latch(int count) : count_(count) {}
  void CountDown() GPOP_EXCLUDES(mu_);
  bool Wait(std::chrono::seconds timeout) GPOP_EXCLUDES(mu_);

 private:
  core::Mutex mu_;
  core::CondVar cv_;
  int count_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::e2e

#endif  // GPOP_TESTS_E2E_TEST_SERVER_H_
