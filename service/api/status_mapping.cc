// AIP-193 error mapping (see status_mapping.h).

#include "service/api/status_mapping.h"

#include <cstdio>
#include <string>

#include "google/rpc/error_details.pb.h"
#include "service/engine/status_convert.h"

namespace gpop::api {

google::rpc::Status ToRpcStatus(const core::Error& error) {
  google::rpc::Status out;
  out.set_code(static_cast<int>(error.code));
  out.set_message(error.message);
  google::rpc::ErrorInfo info;
  info.set_reason(error.reason.empty() ? core::CodeName(error.code) : error.reason);
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : error.metadata) (*info.mutable_metadata())[key] = value;
  if (error.hresult) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%08X", *error.hresult);
    (*info.mutable_metadata())["hresult"] = buf;
  }
  out.add_details()->PackFrom(info);
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
