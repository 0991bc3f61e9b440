// GrpcConnection: one ClientContext per call, carrying the deadline and the bearer token; gRPC
// statuses become absl::Status here (through FromGrpcStatus) and nowhere else.

#include "client/grpc_connection.h"

#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <utility>

#include "client/error_info.h"
#include "gpop/v1/audit.grpc.pb.h"
#include "gpop/v1/operations.grpc.pb.h"
#include "grpcpp/client_context.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/sync_stream.h"

namespace gpop::client {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

// GrpcStreamAttempt
//
// One server-streaming call. The context outlives the reader (declared first, destroyed last).
template <typename Item>
class GrpcStreamAttempt final : public StreamAttempt<Item> {
 public:
  explicit GrpcStreamAttempt(std::unique_ptr<grpc::ClientContext> context)
      : context_(std::move(context)) {}

  ~GrpcStreamAttempt() override {
    if (reader_ == nullptr || finished_) return;
    // A ClientReader must be finished before it goes; cancel, drain, finish.
    context_->TryCancel();
    Item ignored;
    while (reader_->Read(&ignored)) {
    }
    reader_->Finish();
  }

  // The call that Start() makes: the stub method, bound to its request.
  using Starter = std::function<std::unique_ptr<grpc::ClientReader<Item>>(grpc::ClientContext*)>;
  void set_starter(Starter starter) { starter_ = std::move(starter); }

  // Blocks until the call has started (or failed to); Cancel() from another thread ends it.
  void Start() override { reader_ = starter_(context_.get()); }

  bool Read(Item* item) override { return reader_->Read(item); }

  absl::Status Finish() override {
    finished_ = true;
    return FromGrpcStatus(reader_->Finish());
  }

  void Cancel() override { context_->TryCancel(); }

 private:
  std::unique_ptr<grpc::ClientContext> context_;
  Starter starter_;
  std::unique_ptr<grpc::ClientReader<Item>> reader_;
  bool finished_ = false;
};

// GrpcConnection
//
// Thread-safe: the stub and channel are, and each call has its own context.
class GrpcConnection final : public Connection {
 public:
  GrpcConnection(std::shared_ptr<grpc::Channel> channel, ConnectionOptions options)
      : channel_(std::move(channel)),
        stub_(v1::GroupPolicyOperations::NewStub(channel_)),
        audit_stub_(v1::Audit::NewStub(channel_)),
        options_(std::move(options)) {}

  absl::StatusOr<v1::Operation> StartOperation(const v1::StartOperationRequest& request) override {
    return Unary<v1::Operation>(request,
                                [this](grpc::ClientContext* context, const auto& req, auto* resp) {
                                  return stub_->StartOperation(context, req, resp);
                                });
  }

  absl::StatusOr<v1::Operation> Cancel(const v1::CancelRequest& request) override {
    return Unary<v1::Operation>(request,
                                [this](grpc::ClientContext* context, const auto& req, auto* resp) {
                                  return stub_->Cancel(context, req, resp);
                                });
  }

  absl::StatusOr<v1::Operation> GetOperation(const v1::GetOperationRequest& request) override {
    return Unary<v1::Operation>(request,
                                [this](grpc::ClientContext* context, const auto& req, auto* resp) {
                                  return stub_->GetOperation(context, req, resp);
                                });
  }

  absl::StatusOr<v1::ListOperationsResponse> ListOperations(
      const v1::ListOperationsRequest& request) override {
    return Unary<v1::ListOperationsResponse>(
        request, [this](grpc::ClientContext* context, const auto& req, auto* resp) {
          return stub_->ListOperations(context, req, resp);
        });
  }

  absl::StatusOr<v1::ListGposResponse> ListGpos(const v1::ListGposRequest& request) override {
    return Unary<v1::ListGposResponse>(
        request, [this](grpc::ClientContext* context, const auto& req, auto* resp) {
          return stub_->ListGpos(context, req, resp);
        });
  }

  absl::StatusOr<v1::ListAuditEntriesResponse> ListAuditEntries(
      const v1::ListAuditEntriesRequest& request) override {
    return Unary<v1::ListAuditEntriesResponse>(
        request, [this](grpc::ClientContext* context, const auto& req, auto* resp) {
          return audit_stub_->ListAuditEntries(context, req, resp);
        });
  }

  absl::StatusOr<v1::ListBackupsResponse> ListBackups(
      const v1::ListBackupsRequest& request) override {
    return Unary<v1::ListBackupsResponse>(
        request, [this](grpc::ClientContext* context, const auto& req, auto* resp) {
          return stub_->ListBackups(context, req, resp);
        });
  }

  std::unique_ptr<StreamAttempt<v1::StatusUpdate>> StreamStatus(
      const v1::StreamStatusRequest& request, std::optional<TimePoint> deadline) override {
    auto attempt = std::make_unique<GrpcStreamAttempt<v1::StatusUpdate>>(NewContext(deadline));
    attempt->set_starter([this, request](grpc::ClientContext* context) {
      return stub_->StreamStatus(context, request);
    });
    return attempt;
  }

  std::unique_ptr<StreamAttempt<v1::WatchOperationsResponse>> WatchOperations(
      const v1::WatchOperationsRequest& request, std::optional<TimePoint> deadline) override {
    auto attempt =
        std::make_unique<GrpcStreamAttempt<v1::WatchOperationsResponse>>(NewContext(deadline));
    attempt->set_starter([this, request](grpc::ClientContext* context) {
      return stub_->WatchOperations(context, request);
    });
    return attempt;
  }

 private:
  std::unique_ptr<grpc::ClientContext> NewContext(std::optional<TimePoint> deadline) const {
    auto context = std::make_unique<grpc::ClientContext>();
    if (deadline.has_value()) context->set_deadline(*deadline);
    if (!options_.bearer_token.empty()) {
      context->AddMetadata("authorization", "Bearer " + options_.bearer_token);
    }
    return context;
  }

  template <typename Response, typename Request, typename Call>
  absl::StatusOr<Response> Unary(const Request& request, Call call) const {
    std::optional<TimePoint> deadline;
    if (options_.call_timeout.count() > 0) {
      deadline = std::chrono::system_clock::now() + options_.call_timeout;
    }
    std::unique_ptr<grpc::ClientContext> context = NewContext(deadline);
    Response response;
    grpc::Status status = call(context.get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::GroupPolicyOperations::Stub> stub_;
  std::unique_ptr<v1::Audit::Stub> audit_stub_;
  ConnectionOptions options_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeGrpcChannel(const ConnectionOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    auto read = [](const std::string& what, const std::string& path,
                   std::string* out) -> absl::Status {
      if (path.empty()) return absl::OkStatus();
      std::ifstream in(path, std::ios::binary);
      if (!in) return absl::InvalidArgumentError("cannot read " + what + " " + path);
      std::ostringstream pem;
      pem << in.rdbuf();
      *out = pem.str();
      return absl::OkStatus();
    };
    if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
      return absl::InvalidArgumentError(
          "a client certificate needs its key, and a key its certificate");
    }
    for (absl::Status s :
         {read("TLS root certificates file", options.tls_root_certs_file, &ssl.pem_root_certs),
          read("TLS client certificate", options.tls_cert_file, &ssl.pem_cert_chain),
          read("TLS client key", options.tls_key_file, &ssl.pem_private_key)}) {
      if (!s.ok()) return s;
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix("gpop-client-cpp");
  // Notice a dead or black-holed connection during a long watch: ping every 20 s (gpopd
  // accepts client pings every 10 s), give up after 10 s without an answer; the stream then
  // fails UNAVAILABLE and resumes.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Reports come inline in operation results (gpopd sends up to 64 MiB).
  args.SetMaxReceiveMessageSize(64 << 20);
  return grpc::CreateCustomChannel(options.target, credentials, args);
}

absl::StatusOr<std::shared_ptr<Connection>> MakeGrpcConnection(const ConnectionOptions& options) {
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel = MakeGrpcChannel(options);
  if (!channel.ok()) return channel.status();
  return MakeGrpcConnection(*std::move(channel), options);
}

std::shared_ptr<Connection> MakeGrpcConnection(std::shared_ptr<grpc::Channel> channel,
                                               const ConnectionOptions& options) {
  return std::make_shared<GrpcConnection>(std::move(channel), options);
}

}  // namespace gpop::client
