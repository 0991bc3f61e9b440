#include "service/engine/status_convert.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "google/rpc/error_details.pb.h"

namespace gpop::engine {
namespace {

constexpr char kHresultKey[] = "hresult";

// The reason a status without gpop's payload gets.
std::string DefaultReason(const absl::Status& status) {
  return (status.code() == absl::StatusCode::kInternal ||
          status.code() == absl::StatusCode::kUnknown)
             ? core::reason::kInternal
             : core::CodeName(static_cast<core::Code>(status.code()));
}

}  // namespace

google::rpc::ErrorInfo ToErrorInfo(const core::Error& error) {
  google::rpc::ErrorInfo info;
  info.set_reason(error.reason.empty() ? core::CodeName(error.code) : error.reason);
  info.set_domain(kErrorDomain);
  for (const auto& [key, value] : error.metadata) (*info.mutable_metadata())[key] = value;
  if (error.hresult) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "0x%08X", *error.hresult);
    (*info.mutable_metadata())[kHresultKey] = buf;
  }
  return info;
}

absl::Status ToStatus(const core::Error& error) {
  if (error.code == core::Code::kOk) return absl::OkStatus();
  absl::Status status(static_cast<absl::StatusCode>(error.code), error.message);
  status.SetPayload(kErrorInfoUrl, absl::Cord(ToErrorInfo(error).SerializeAsString()));
  return status;
}

absl::Status ToStatus(const core::Status& status) {
  return status.ok() ? absl::OkStatus() : ToStatus(status.error());
}

core::Error ToError(const absl::Status& status) {
  core::Error error;
  error.code = static_cast<core::Code>(status.code());
  error.message = std::string(status.message());
  absl::optional<absl::Cord> payload = status.GetPayload(kErrorInfoUrl);
  google::rpc::ErrorInfo info;
  if (!payload || !info.ParseFromString(std::string(*payload))) {
    error.reason = DefaultReason(status);
    return error;
  }
  error.reason = info.reason();
  for (const auto& [key, value] : info.metadata()) {
    if (key == kHresultKey) {
      error.hresult = static_cast<uint32_t>(std::strtoul(value.c_str(), nullptr, 16));
    } else {
      error.metadata[key] = value;
    }
  }
  return error;
}

absl::Status MakeStatus(core::Code code, const std::string& reason, const std::string& message,
                        std::map<std::string, std::string> metadata) {
  return ToStatus(core::MakeError(code, reason, message, std::move(metadata)));
}

}  // namespace gpop::engine
