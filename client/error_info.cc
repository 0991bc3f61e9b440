// Conversion of gRPC statuses and google.rpc.Status protos to absl::Status, and ErrorInfo
// extraction.

#include "client/error_info.h"

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"

namespace gpop::client {

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  // grpc::StatusCode and absl::StatusCode share the canonical numbering 0..16.
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  if (!status.error_details().empty()) {
    result.SetPayload(kStatusDetailsPayloadUrl, absl::Cord(status.error_details()));
  }
  return result;
}

absl::Status FromStatusProto(const google::rpc::Status& status) {
  if (status.code() == 0) return absl::OkStatus();
  absl::StatusCode code = absl::StatusCode::kUnknown;
  if (status.code() > 0 && status.code() <= 16) code = static_cast<absl::StatusCode>(status.code());
  absl::Status result(code, status.message());
  if (status.details_size() > 0) {
    result.SetPayload(kStatusDetailsPayloadUrl, absl::Cord(status.SerializeAsString()));
  }
  return result;
}

std::optional<ErrorInfo> GetErrorInfo(const google::rpc::Status& status) {
  for (const google::protobuf::Any& detail : status.details()) {
    if (!detail.Is<google::rpc::ErrorInfo>()) continue;
    google::rpc::ErrorInfo info;
    if (!detail.UnpackTo(&info)) continue;
    ErrorInfo out;
    out.reason = info.reason();
    out.domain = info.domain();
    out.metadata.insert(info.metadata().begin(), info.metadata().end());
    return out;
  }
  return std::nullopt;
}

std::optional<ErrorInfo> GetErrorInfo(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kStatusDetailsPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  google::rpc::Status proto;
  if (!proto.ParseFromString(std::string(*payload))) return std::nullopt;
  return GetErrorInfo(proto);
}

std::string GetReason(const absl::Status& status) {
  std::optional<ErrorInfo> info = GetErrorInfo(status);
  return info.has_value() ? info->reason : std::string();
}

}  // namespace gpop::client
