// Request bytes -> message (see request_parse.h).

#include "service/api/request_parse.h"

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "service/engine/status_convert.h"

namespace gpop::api {

absl::Status ParseRequestBytes(std::string_view bytes, google::protobuf::Message* message) {
  message->Clear();
  // ParsePartialFromArray + the UTF-8 check that proto3 parsing does: any failure is the
  // caller's malformed bytes. (proto3 messages have no required fields.)
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    message->Clear();
    const std::string name = message->GetDescriptor()->full_name();
    return engine::MakeStatus(core::Code::kInvalidArgument, kMalformedRequest,
                              "the request is not a valid " + name +
                                  " (truncated or garbled bytes, or a string that is not UTF-8)",
                              {{"message", name}});
  }
  return absl::OkStatus();
}

}  // namespace gpop::api
