// Request validation and conversion to the engine's requests (see request_conversion.h).

#include "service/api/request_conversion.h"

#include <openssl/evp.h>

#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "service/api/record_conversion.h"
#include "service/api/spec_conversion.h"
#include "service/api/time_conversion.h"
#include "service/core/guid.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

absl::Status Invalid(const std::string& field, const std::string& problem) {
  return engine::ToStatus(core::InvalidField(field, problem));
}

absl::Status ValidateRequestId(const std::string& request_id) {
  if (request_id.empty()) return absl::OkStatus();
  if (request_id.size() > kMaxRequestIdLength) {
    return Invalid("request_id", "is longer than 128 characters");
  }
  for (unsigned char c : request_id) {
    if (c < 0x20 || c > 0x7E) return Invalid("request_id", "must be printable ASCII");
  }
  return absl::OkStatus();
}

bool IsLabelKey(const std::string& key) {
  if (key.empty() || key.size() > kMaxLabelKeyLength) return false;
  if (key[0] < 'a' || key[0] > 'z') return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::Status ValidateLabels(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.size() > kMaxLabels) return Invalid("labels", "has more than 32 labels");
  for (const auto& [key, value] : labels) {
    if (!IsLabelKey(key)) {
      // The key itself may be anything: quote a bounded, printable form of it.
      std::string shown;
      for (char c : key.substr(0, 64)) {
        shown += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7E)
                     ? '?'
                     : c;
      }
      return Invalid("labels", "key \"" + shown + "\" must match [a-z][a-z0-9_.-]{0,62}");
    }
    if (value.size() > kMaxLabelValueLength) {
      return Invalid("labels." + key, "value is longer than 63 bytes");
    }
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7F)
        return Invalid("labels." + key, "value contains a control character");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBounded(const std::string& field, const std::string& value, size_t max) {
  if (value.size() > max) {
    return Invalid(field, "is longer than " + std::to_string(max) + " bytes");
  }
  return absl::OkStatus();
}

absl::Status ValidatePageSize(int32_t page_size) {
  if (page_size < 0) return Invalid("page_size", "must not be negative");
  return absl::OkStatus();
}

bool IsIdChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'); }

}  // namespace

absl::StatusOr<engine::StartRequest> StartRequestFromProto(const v1::StartOperationRequest& request,
                                                           const std::string& principal,
                                                           engine::Duration max_timeout,
                                                           const core::Backend* backend) {
  if (absl::Status s = ValidateRequestId(request.request_id()); !s.ok()) return s;
  if (!request.has_spec()) return Invalid("spec", "is required");
  absl::StatusOr<core::OperationSpec> spec = SpecFromProto(request.spec(), "spec", backend);
  if (!spec.ok()) return spec.status();
  engine::StartRequest out;
  if (request.has_timeout()) {
    absl::StatusOr<engine::Duration> timeout =
        DurationFromProto("timeout", request.timeout(), max_timeout);
    if (!timeout.ok()) return timeout.status();
    out.timeout = *timeout;
  }
  if (absl::Status s = ValidateLabels(request.labels()); !s.ok()) return s;
  out.principal = principal;
  out.request_id = request.request_id();
  out.fingerprint = RequestFingerprint(request);
  out.spec = *std::move(spec);
  out.labels = std::map<std::string, std::string>(request.labels().begin(), request.labels().end());
  return out;
}

std::string RequestFingerprint(const v1::StartOperationRequest& request) {
  // The digest of the request serialized (deterministically) without its request_id. Field 1 is
  // written first, so that is the serialization of the whole request past the request_id's
  // bytes (tag, length, text): no copy of the request.
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    request.SerializeToCodedStream(&coded);
  }
  size_t skip = 0;
  if (const std::string& id = request.request_id(); !id.empty()) {
    const uint32_t tag = google::protobuf::internal::WireFormatLite::MakeTag(
        v1::StartOperationRequest::kRequestIdFieldNumber,
        google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED);
    skip = google::protobuf::io::CodedOutputStream::VarintSize32(tag) +
           google::protobuf::io::CodedOutputStream::VarintSize32(static_cast<uint32_t>(id.size())) +
           id.size();
    if (skip > bytes.size() || static_cast<unsigned char>(bytes[0]) != tag ||
        bytes.compare(skip - id.size(), id.size(), id) != 0) {
      // Not laid out as expected: serialize a copy without it.
      v1::StartOperationRequest copy = request;
      copy.clear_request_id();
      bytes.clear();
      google::protobuf::io::StringOutputStream stream(&bytes);
      google::protobuf::io::CodedOutputStream coded(&stream);
      coded.SetSerializationDeterministic(true);
      copy.SerializeToCodedStream(&coded);
      skip = 0;
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // Fetched once: EVP_sha256() makes EVP_Digest look the implementation up at every call.
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  EVP_Digest(bytes.data() + skip, bytes.size() - skip, digest, &length,
             sha256 != nullptr ? sha256 : EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * length, '0');
  for (unsigned int i = 0; i < length; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return hex;
}

absl::Status ValidateOperationId(const std::string& field, const std::string& id) {
  if (id.empty()) return Invalid(field, "is required");
  bool ok = id.size() == 3 + 26 && absl::StartsWith(id, "op-");
  for (size_t i = 3; ok && i < id.size(); ++i) ok = IsIdChar(id[i]);
  if (!ok) return Invalid(field, "is not an operation id (\"op-\" and 26 characters of [a-z2-7])");
  return absl::OkStatus();
}

absl::StatusOr<std::string> OperationIdFromLroName(const std::string& field,
                                                   const std::string& name) {
  if (name.empty()) return Invalid(field, "is required");
  if (!absl::StartsWith(name, kLroNamePrefix)) {
    return Invalid(field, "must be \"operations/<operation id>\"");
  }
  std::string id = name.substr(sizeof(kLroNamePrefix) - 1);
  if (absl::Status s = ValidateOperationId(field, id); !s.ok()) return s;
  return id;
}

absl::StatusOr<engine::ListRequest> ListRequestFromProto(const v1::ListOperationsRequest& request) {
  if (absl::Status s = ValidatePageSize(request.page_size()); !s.ok()) return s;
  if (absl::Status s = ValidateBounded("filter", request.filter(), kMaxFilterLength); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateBounded("page_token", request.page_token(), kMaxPageTokenLength);
      !s.ok()) {
    return s;
  }
  return engine::ListRequest{request.filter(), request.page_size(), request.page_token()};
}

absl::StatusOr<engine::ListRequest> ListRequestFromProto(
    const google::longrunning::ListOperationsRequest& request) {
  // The collection: this server has one, named "operations" (empty means the same).
  if (!request.name().empty() && request.name() != "operations") {
    return Invalid("name", "must be \"operations\" or empty");
  }
  v1::ListOperationsRequest v1_request;
  v1_request.set_page_size(request.page_size());
  v1_request.set_page_token(request.page_token());
  v1_request.set_filter(request.filter());
  return ListRequestFromProto(v1_request);
}

absl::StatusOr<std::string> WatchFilterFromProto(const v1::WatchOperationsRequest& request) {
  if (absl::Status s = ValidateBounded("filter", request.filter(), kMaxFilterLength); !s.ok()) {
    return s;
  }
  return request.filter();
}

absl::StatusOr<core::Backend::BackupQuery> BackupQueryFromProto(
    const v1::ListBackupsRequest& request) {
  core::Backend::BackupQuery query;
  const std::string& location = request.location();
  if (location.size() > 255) return Invalid("location", "is longer than 255 bytes");
  for (unsigned char c : location) {
    if (c < 0x20 || c == 0x7F) return Invalid("location", "contains a control character");
  }
  if (location == "." || location == ".." || location.find_first_of("/\\:") != std::string::npos) {
    return Invalid("location", "must be a plain name, not a path");
  }
  query.location = location;
  if (request.has_gpo()) {
    const v1::GpoRef& gpo = request.gpo();
    switch (gpo.ref_case()) {
      case v1::GpoRef::kGuid:
        if (!core::NormalizeGuid(gpo.guid())) return Invalid("gpo.guid", "is not a GUID");
        break;
      case v1::GpoRef::kDisplayName:
        if (gpo.display_name().empty() || gpo.display_name().size() > 255) {
          return Invalid("gpo.display_name", "must be 1-255 bytes");
        }
        break;
      case v1::GpoRef::REF_NOT_SET:
        return Invalid("gpo", "exactly one of guid or display_name is required");
    }
    query.gpo = GpoFromProto(gpo);
  }
  return query;
}

}  // namespace gpop::api
