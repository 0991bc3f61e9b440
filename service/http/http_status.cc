// AIP-193 over HTTP (see http_status.h).

#include "service/http/http_status.h"

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/rpc/status.pb.h"
#include "service/api/status_mapping.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::http {

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:  // UNKNOWN, INTERNAL, DATA_LOSS
      return 500;
  }
}

std::string ErrorBody(const absl::Status& status) {
  core::Error error = engine::ToError(status);
  google::rpc::Status rpc = api::ToRpcStatus(error);
  google::protobuf::Struct body;
  google::protobuf::Struct* inner = (*body.mutable_fields())["error"].mutable_struct_value();
  auto& fields = *inner->mutable_fields();
  fields["code"].set_number_value(HttpStatusOf(status.code()));
  fields["message"].set_string_value(rpc.message());
  fields["status"].set_string_value(core::CodeName(error.code));
  google::protobuf::ListValue* details = fields["details"].mutable_list_value();
  for (const google::protobuf::Any& any : rpc.details()) {
    // Each detail through protobuf's own JSON mapping of Any ({"@type": ..., fields}).
    std::string json;
    google::protobuf::Value value;
    if (google::protobuf::util::MessageToJsonString(any, &json).ok() &&
        google::protobuf::util::JsonStringToMessage(json, &value).ok()) {
      *details->add_values() = value;
    }
  }
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(body, &out);
  return out;
}

bool IsRetryable(const absl::Status& status) {
  return status.code() == absl::StatusCode::kUnavailable;
}

}  // namespace gpop::http
