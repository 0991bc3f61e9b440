// libFuzzer target: a gpop.v1 request from raw bytes, as the gRPC transport receives it. The
// first byte picks the request type; the rest are its wire bytes, parsed by ParseRequestBytes and
// then validated and converted by service/api/conversion.h. Checks: no crash; a request that
// parses but is refused is INVALID_ARGUMENT with a field named; an accepted spec converts back
// to a proto that is accepted again and converts to the same proto. Seeds in corpus/api_request/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/api/conversion.h"
#include "service/api/request_parse.h"
#include "service/engine/status_convert.h"

namespace {

using namespace gpop;  // NOLINT: a fuzz target's body, not a header

void CheckRefusal(const absl::Status& status) {
  if (status.ok()) return;
  if (status.code() != absl::StatusCode::kInvalidArgument) std::abort();
  if (engine::ToError(status).reason.empty()) std::abort();
}

void CheckStart(const v1::StartOperationRequest& request) {
  absl::StatusOr<engine::StartRequest> start =
      api::StartRequestFromProto(request, "fuzz", std::chrono::hours(24));
  CheckRefusal(start.status());
  if (!start.ok()) return;
  if (start->fingerprint != api::RequestFingerprint(request)) std::abort();
  v1::OperationSpec back;
  api::SpecToProto(start->spec, &back);
  absl::StatusOr<core::OperationSpec> again = api::SpecFromProto(back);
  if (!again.ok()) std::abort();
  v1::OperationSpec twice;
  api::SpecToProto(*again, &twice);
  if (back.SerializeAsString() != twice.SerializeAsString()) std::abort();
}

template <typename Message>
bool Parse(std::string_view bytes, Message* message) {
  absl::Status status = api::ParseRequestBytes(bytes, message);
  CheckRefusal(status);
  return status.ok();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0: {
      v1::StartOperationRequest request;
      if (Parse(bytes, &request)) CheckStart(request);
      break;
    }
    case 1: {
      v1::CancelRequest request;
      if (Parse(bytes, &request)) {
        CheckRefusal(api::ValidateOperationId("operation_id", request.operation_id()));
      }
      break;
    }
    case 2: {
      v1::StreamStatusRequest request;
      if (Parse(bytes, &request)) {
        CheckRefusal(api::ValidateOperationId("operation_id", request.operation_id()));
      }
      break;
    }
    case 3: {
      v1::ListOperationsRequest request;
      if (Parse(bytes, &request)) CheckRefusal(api::ListRequestFromProto(request).status());
      break;
    }
    case 4: {
      v1::WatchOperationsRequest request;
      if (Parse(bytes, &request)) CheckRefusal(api::WatchFilterFromProto(request).status());
      break;
    }
    case 5: {
      v1::ListBackupsRequest request;
      if (Parse(bytes, &request)) CheckRefusal(api::BackupQueryFromProto(request).status());
      break;
    }
    case 6: {
      google::longrunning::ListOperationsRequest request;
      if (Parse(bytes, &request)) CheckRefusal(api::ListRequestFromProto(request).status());
      break;
    }
  }
  return 0;
}
