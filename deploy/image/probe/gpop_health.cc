// gpop-health: asks a gRPC server's grpc.health.v1.Health/Check for one service and exits
//   0  SERVING
//   1  NOT_SERVING, UNKNOWN or a service the server does not know (NOT_FOUND)
//   2  no answer within --timeout (server down, refused, wrong address) or bad usage
// Plaintext only: inside the container (Docker's HEALTHCHECK) gpopd is reached on loopback.
// Kubernetes does not need it: its native gRPC probes call the same service.

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "health_v1.grpc.pb.h"

ABSL_FLAG(std::string, address, "127.0.0.1:50051", "gpopd's address: host:port or unix:PATH.");
ABSL_FLAG(std::string, service, "",
          "The health service to ask for: \"\" (liveness, the whole server) or "
          "\"gpop.v1.GroupPolicyOperations\" (readiness, NOT_SERVING while draining).");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(5),
          "How long to wait for the server to answer, connecting included.");

namespace {

constexpr int kServing = 0;
constexpr int kNotServing = 1;
constexpr int kNoAnswer = 2;

int Probe(const std::string& address, const std::string& service, absl::Duration timeout) {
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  // Wait through "connection refused" until the deadline: a probe started together with the
  // server answers once the server listens instead of failing at once.
  context.set_wait_for_ready(true);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  grpc::health::v1::HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  const std::string shown = service.empty() ? "\"\"" : service;
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
    std::fprintf(stderr, "%s: service %s unknown to the server\n", address.c_str(), shown.c_str());
    return kNotServing;
  }
  if (!status.ok()) {
    std::fprintf(stderr, "%s: no answer: %s\n", address.c_str(), status.error_message().c_str());
    return kNoAnswer;
  }
  std::printf("%s %s\n", shown.c_str(),
              grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response.status()).c_str());
  return response.status() == grpc::health::v1::HealthCheckResponse::SERVING ? kServing
                                                                             : kNotServing;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "gpop-health [--address=HOST:PORT] [--service=NAME] [--timeout=5s]: grpc.health.v1 "
      "check; exit 0 SERVING, 1 not serving, 2 no answer");
  auto rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::fprintf(stderr, "gpop-health: unexpected argument \"%s\" (see --help)\n", rest[1]);
    return kNoAnswer;
  }
  if (absl::GetFlag(FLAGS_timeout) <= absl::ZeroDuration()) {
    std::fprintf(stderr, "gpop-health: --timeout must be positive\n");
    return kNoAnswer;
  }
  return Probe(absl::GetFlag(FLAGS_address), absl::GetFlag(FLAGS_service),
               absl::GetFlag(FLAGS_timeout));
}
