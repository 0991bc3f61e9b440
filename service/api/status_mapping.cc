// AIP-193 error mapping (see status_mapping.h).

#include "service/api/status_mapping.h"

#include <cstdlib>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "service/engine/status_convert.h"

namespace gpop::api {

google::rpc::Status ToRpcStatus(const core::Error& error) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(error.code));
  out.set_message(error.message);
  google::rpc::ErrorInfo info = engine::ToErrorInfo(error);
  out.add_details()->PackFrom(info);
  auto delay = error.metadata.find(kRetryDelayMetadata);
  if (delay != error.metadata.end() || error.code == core::Code::kResourceExhausted) {
    int64_t ms = delay != error.metadata.end() ? std::strtoll(delay->second.c_str(), nullptr, 10)
                                               : kDefaultRetryDelayMs;
    google::rpc::RetryInfo retry;
    retry.mutable_retry_delay()->set_seconds(ms / 1000);
    retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(ms % 1000) * 1000000);
    out.add_details()->PackFrom(retry);
  }
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  core::Error error = engine::ToError(status);
  // absl::StatusCode, core::Code and grpc::StatusCode share google.rpc.Code's numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(error.code), error.message,
                      ToRpcStatus(error).SerializeAsString());
}

}  // namespace gpop::api
