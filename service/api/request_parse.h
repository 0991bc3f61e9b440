// Request bytes -> request message, for transports that receive raw bytes (the gRPC services
// register their methods as raw byte-buffer callbacks so that gpop, not gRPC, answers a request
// that does not parse). Transport-neutral: no gRPC here.

#ifndef GPOP_SERVICE_API_REQUEST_PARSE_H_
#define GPOP_SERVICE_API_REQUEST_PARSE_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace gpop::api {

// The ErrorInfo reason of a request whose bytes are not a valid message.
inline constexpr char kMalformedRequest[] = "MALFORMED_REQUEST";

// ParseRequestBytes
//
// Parses `bytes` into `message` (cleared first). A truncated or garbled encoding, a wrong wire
// type, or invalid UTF-8 in a string field is INVALID_ARGUMENT, reason MALFORMED_REQUEST,
// metadata "message" (the message's full name) and, for invalid UTF-8, "field" (the field's
// dotted path, e.g. "backup.gpo.display_name"). Writes nothing to stderr: a caller cannot make
// protobuf log a line per request. Thread-safe.
absl::Status ParseRequestBytes(std::string_view bytes, google::protobuf::Message* message);

template <typename Message>
absl::StatusOr<Message> ParseRequest(std::string_view bytes) {
  Message message;
  if (absl::Status s = ParseRequestBytes(bytes, &message); !s.ok()) return s;
  return message;
}

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_REQUEST_PARSE_H_
