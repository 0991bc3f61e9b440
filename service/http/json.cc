// Canonical JSON and google.api.http request binding (see json.h).

#include "service/http/json.h"

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/json_util.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::http {
namespace {

namespace pb = google::protobuf;

absl::Status BadField(const std::string& field, const std::string& message) {
  return engine::MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                            field + ": " + message, {{"field", field}});
}

const pb::FieldDescriptor* FindField(const pb::Descriptor* type, const std::string& name) {
  if (const pb::FieldDescriptor* f = type->FindFieldByName(name)) return f;
  for (int i = 0; i < type->field_count(); ++i) {
    if (type->field(i)->json_name() == name) return type->field(i);
  }
  return nullptr;
}

// Sets one scalar field from its query text.
absl::Status SetScalar(const std::string& param, const std::string& text,
                       const pb::FieldDescriptor* field, pb::Message* message) {
  const pb::Reflection* r = message->GetReflection();
  auto parse_int = [&](long long min, long long max, long long* out) {
    if (text.empty()) return false;
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) return false;
    *out = v;
    return true;
  };
  auto parse_uint = [&](unsigned long long max, unsigned long long* out) {
    if (text.empty() || text[0] == '-') return false;
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (errno != 0 || *end != '\0' || v > max) return false;
    *out = v;
    return true;
  };
  switch (field->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_STRING:
      r->SetString(message, field, text);
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      if (text != "true" && text != "false") return BadField(param, "expected true or false");
      r->SetBool(message, field, text == "true");
      return absl::OkStatus();
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      long long v;
      if (!parse_int(INT32_MIN, INT32_MAX, &v)) return BadField(param, "expected an integer");
      r->SetInt32(message, field, static_cast<int32_t>(v));
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      long long v;
      if (!parse_int(INT64_MIN, INT64_MAX, &v)) return BadField(param, "expected an integer");
      r->SetInt64(message, field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      unsigned long long v;
      if (!parse_uint(UINT32_MAX, &v)) return BadField(param, "expected an unsigned integer");
      r->SetUInt32(message, field, static_cast<uint32_t>(v));
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      unsigned long long v;
      if (!parse_uint(UINT64_MAX, &v)) return BadField(param, "expected an unsigned integer");
      r->SetUInt64(message, field, v);
      return absl::OkStatus();
    }
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const pb::EnumValueDescriptor* value = field->enum_type()->FindValueByName(text);
      if (value == nullptr) return BadField(param, "unknown enum value \"" + text + "\"");
      r->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    default:
      return BadField(param, "cannot be set from a query parameter");
  }
}

}  // namespace

std::string ToJson(const google::protobuf::Message& message) {
  std::string out;
  pb::util::JsonPrintOptions options;
  options.preserve_proto_field_names = false;
  (void)pb::util::MessageToJsonString(message, &out, options);
  return out;
}

absl::Status FromJson(const std::string& json, google::protobuf::Message* message) {
  message->Clear();
  pb::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto s = pb::util::JsonStringToMessage(json, message, options);
  if (!s.ok()) {
    return BadField("body", "not a " + message->GetTypeName() + ": " +
                                std::string(s.message().data(), s.message().size()));
  }
  return absl::OkStatus();
}

absl::Status FromQuery(const std::map<std::string, std::string>& query,
                       google::protobuf::Message* message) {
  for (const auto& [param, text] : query) {
    std::vector<std::string> path = absl::StrSplit(param, '.');
    pb::Message* target = message;
    for (size_t i = 0; i < path.size(); ++i) {
      const pb::FieldDescriptor* field = FindField(target->GetDescriptor(), path[i]);
      if (field == nullptr) return BadField(param, "unknown parameter");
      if (field->is_repeated()) return BadField(param, "cannot be set from a query parameter");
      if (i + 1 < path.size()) {
        if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          return BadField(param, "unknown parameter");
        }
        target = target->GetReflection()->MutableMessage(target, field);
        continue;
      }
      if (absl::Status s = SetScalar(param, text, field, target); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace gpop::http
