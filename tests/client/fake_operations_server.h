// A test-only, in-process gpop.v1 server on 127.0.0.1:0 whose StreamStatus and WatchOperations
// follow a script of cuts, so the client's resume logic can be tested over real gRPC before the
// real server exists. The unary methods answer from a few fixed records.

#ifndef GPOP_TESTS_CLIENT_FAKE_OPERATIONS_SERVER_H_
#define GPOP_TESTS_CLIENT_FAKE_OPERATIONS_SERVER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "gpop/v1/operations.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/server.h"
#include "service/core/mutex.h"

namespace gpop::testing {

// Attempt
//
// What the server does on one StreamStatus (or WatchOperations) call.
struct Attempt {
  // Send at most this many events after the requested position; -1 = all that remain.
  int max_events = -1;
  // Start this many events before the requested position (a server or proxy replaying too
  // much); the client must drop them.
  int replay_overlap = 0;
  // Send a progress item first, and a heartbeat after the events.
  bool progress_first = true;
  bool heartbeat_last = false;
  // How the call ends when it stops before the terminal event; OK = an early, clean end.
  grpc::Status end = grpc::Status(grpc::StatusCode::UNAVAILABLE, "scripted cut");
};

// FakeOperationsServer
//
// Operation "op-1" has `event_count` events, sequence 1..N (revision 100 + sequence); the last
// is SUCCEEDED. Each StreamStatus call takes the next scripted Attempt (or, once the script is
// used up, sends everything). WatchOperations serves the same events by revision. Thread-safe.
class FakeOperationsServer final : public v1::GroupPolicyOperations::Service {
 public:
  static constexpr char kOperationId[] = "op-1";
  static constexpr uint64_t kRevisionBase = 100;

  explicit FakeOperationsServer(int event_count);
  ~FakeOperationsServer() override;

  // Starts listening; returns a channel to it.
  std::shared_ptr<grpc::Channel> Start();

  void AddStreamAttempt(Attempt attempt) GPOP_EXCLUDES(mu_);
  void AddWatchAttempt(Attempt attempt) GPOP_EXCLUDES(mu_);

  // Every later GetOperation call fails with `status` (OK: answers again).
  void SetGetOperationError(grpc::Status status) GPOP_EXCLUDES(mu_);

  // The after_sequence of each StreamStatus call, in order.
  std::vector<uint64_t> stream_requests() const GPOP_EXCLUDES(mu_);
  // The after_revision of each WatchOperations call, in order.
  std::vector<uint64_t> watch_requests() const GPOP_EXCLUDES(mu_);
  // The "authorization" metadata of the last unary call ("" when none).
  std::string last_authorization() const GPOP_EXCLUDES(mu_);

  // gpop.v1.GroupPolicyOperations
  grpc::Status StartOperation(grpc::ServerContext* context,
                              const v1::StartOperationRequest* request,
                              v1::Operation* response) override;
  grpc::Status GetOperation(grpc::ServerContext* context, const v1::GetOperationRequest* request,
                            v1::Operation* response) override;
  grpc::Status Cancel(grpc::ServerContext* context, const v1::CancelRequest* request,
                      v1::Operation* response) override;
  grpc::Status ListOperations(grpc::ServerContext* context,
                              const v1::ListOperationsRequest* request,
                              v1::ListOperationsResponse* response) override;
  grpc::Status StreamStatus(grpc::ServerContext* context, const v1::StreamStatusRequest* request,
                            grpc::ServerWriter<v1::StatusUpdate>* writer) override;
  grpc::Status WatchOperations(grpc::ServerContext* context,
                               const v1::WatchOperationsRequest* request,
                               grpc::ServerWriter<v1::WatchOperationsResponse>* writer) override;

  // ErrorWithInfo
  //
  // A gRPC status as gpop sends it: code, message and a google.rpc.Status with one ErrorInfo.
  static grpc::Status ErrorWithInfo(grpc::StatusCode code, const std::string& message,
                                    const std::string& reason, const std::string& key,
                                    const std::string& value);

 private:
  v1::Event MakeEvent(uint64_t sequence) const;
  void RecordAuthorization(grpc::ServerContext* context) GPOP_EXCLUDES(mu_);

  const int event_count_;
  std::unique_ptr<grpc::Server> server_;

  mutable core::Mutex mu_;
  std::deque<Attempt> stream_script_ GPOP_GUARDED_BY(mu_);
  std::deque<Attempt> watch_script_ GPOP_GUARDED_BY(mu_);
  std::vector<uint64_t> stream_requests_ GPOP_GUARDED_BY(mu_);
  std::vector<uint64_t> watch_requests_ GPOP_GUARDED_BY(mu_);
  std::string last_authorization_ GPOP_GUARDED_BY(mu_);
  grpc::Status get_operation_error_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::testing

#endif  // GPOP_TESTS_CLIENT_FAKE_OPERATIONS_SERVER_H_
