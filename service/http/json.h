// gpop.v1 messages as JSON, by protobuf's canonical JSON mapping (google::protobuf::util), and
// request messages from an HTTP request the way google.api.http binds them: the body is the
// whole message, query parameters set (possibly nested, "gpo.guid") scalar fields.

#ifndef GPOP_SERVICE_HTTP_JSON_H_
#define GPOP_SERVICE_HTTP_JSON_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace gpop::http {

// ToJson
//
// `message` in canonical JSON (lowerCamelCase names, enums by name, 64-bit integers as strings,
// fields at their default value omitted).
std::string ToJson(const google::protobuf::Message& message);

// FromJson
//
// Parses `json` into `message` (cleared first). Unknown fields and malformed JSON are
// INVALID_ARGUMENT, reason INVALID_FIELD, field "body".
absl::Status FromJson(const std::string& json, google::protobuf::Message* message);

// FromQuery
//
// Sets the fields of `message` named by `query` (proto or JSON names, nested by '.'), each
// parsed from its text as the field's type. An unknown name, a repeated or map field, or a value
// that does not parse is INVALID_ARGUMENT, reason INVALID_FIELD, naming the parameter.
absl::Status FromQuery(const std::map<std::string, std::string>& query,
                       google::protobuf::Message* message);

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_JSON_H_
