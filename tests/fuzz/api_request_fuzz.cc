// libFuzzer target: a request from raw bytes, as the gRPC transport receives it: gpop.v1's
// operations, google.longrunning.Operations' and gpop.v1.BackupTransfer's requests (each parsed by
// the same ParseRequestBytes the raw handlers use). The first byte picks the request type; the
// rest are its wire bytes, parsed by ParseRequestBytes and then validated and converted by
// service/api/conversion.h where the service does so. Checks: no crash; a request that
// parses but is refused is INVALID_ARGUMENT with a field named; an accepted spec converts back
// to a proto that is accepted again and converts to the same proto. Seeds in corpus/api_request/.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "google/longrunning/operations.pb.h"
#include "gpop/v1/transfer.pb.h"
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
  switch (data[0] % 17) {
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
    case 7: {
      google::longrunning::GetOperationRequest request;
      if (Parse(bytes, &request)) {
        CheckRefusal(api::OperationIdFromLroName("name", request.name()).status());
      }
      break;
    }
    case 8: {
      google::longrunning::CancelOperationRequest request;
      if (Parse(bytes, &request)) {
        CheckRefusal(api::OperationIdFromLroName("name", request.name()).status());
      }
      break;
    }
    case 9: {
      google::longrunning::DeleteOperationRequest request;
      if (Parse(bytes, &request)) {
        CheckRefusal(api::OperationIdFromLroName("name", request.name()).status());
      }
      break;
    }
    case 10: {
      google::longrunning::WaitOperationRequest request;
      if (Parse(bytes, &request)) {
        CheckRefusal(api::OperationIdFromLroName("name", request.name()).status());
        if (request.has_timeout()) {
          CheckRefusal(
              api::DurationFromProto("timeout", request.timeout(), std::chrono::hours(24)).status());
        }
      }
      break;
    }
    // gpop.v1.BackupTransfer: the transfer store validates these; here the parse is what is
    // fuzzed (and a report download's operation id).
    case 11: {
      v1::CreateUploadRequest request;
      Parse(bytes, &request);
      break;
    }
    case 12: {
      v1::WriteUploadRequest request;
      Parse(bytes, &request);
      break;
    }
    case 13: {
      v1::GetUploadRequest request;
      Parse(bytes, &request);
      break;
    }
    case 14: {
      v1::CancelUploadRequest request;
      Parse(bytes, &request);
      break;
    }
    case 15: {
      v1::DownloadBackupRequest request;
      Parse(bytes, &request);
      break;
    }
    case 16: {
      v1::DownloadReportRequest request;
      if (Parse(bytes, &request)) {
        CheckRefusal(api::ValidateOperationId("operation_id", request.operation_id()));
      }
      break;
    }
  }
  return 0;
}
