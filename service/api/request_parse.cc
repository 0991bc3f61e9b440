// Request bytes -> message (see request_parse.h).

#include "service/api/request_parse.h"

#include <algorithm>
#include <cstdint>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/stubs/common.h"
#include "google/protobuf/wire_format_lite.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::internal::WireFormatLite;

// Nesting deeper than this is left to the parser (whose own limit is 100).
constexpr int kMaxDepth = 64;

// Whether the parser checks `field`'s UTF-8: a string field of a proto3 file.
bool ChecksUtf8(const FieldDescriptor& field) {
  return field.type() == FieldDescriptor::TYPE_STRING &&
         field.file()->syntax() == FileDescriptor::SYNTAX_PROTO3;
}

// Reads one message of `type` from `in` (up to its limit) and sets `*path` to the dotted field
// path of the first string field whose value is not UTF-8. False when there is none, or at the
// first bytes it cannot read (the parse that follows judges those).
bool FindInvalidUtf8(google::protobuf::io::CodedInputStream* in, const Descriptor& type, int depth,
                     std::string* path) {
  for (;;) {
    const uint32_t tag = in->ReadTag();
    if (tag == 0) return false;  // the end, or bytes that are not a tag
    const FieldDescriptor* field = type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(tag));
    const bool delimited =
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    if (field != nullptr && delimited && ChecksUtf8(*field)) {
      std::string value;
      if (!WireFormatLite::ReadString(in, &value)) return false;
      if (!google::protobuf::internal::IsStructurallyValidUTF8(value.data(),
                                                               static_cast<int>(value.size()))) {
        *path = field->name();
        return true;
      }
      continue;
    }
    if (field != nullptr && delimited && field->type() == FieldDescriptor::TYPE_MESSAGE &&
        depth < kMaxDepth) {
      uint32_t length = 0;
      if (!in->ReadVarint32(&length)) return false;
      const auto limit = in->PushLimit(static_cast<int>(length));
      std::string inner;
      if (FindInvalidUtf8(in, *field->message_type(), depth + 1, &inner)) {
        *path = field->name() + "." + inner;
        return true;
      }
      if (in->BytesUntilLimit() != 0) return false;  // stopped inside: unreadable
      in->PopLimit(limit);
      continue;
    }
    if (!WireFormatLite::SkipField(in, tag)) return false;
  }
}

absl::Status Malformed(const google::protobuf::Message& message, const std::string& field) {
  const std::string name = message.GetDescriptor()->full_name();
  if (!field.empty()) {
    return engine::MakeStatus(core::Code::kInvalidArgument, kMalformedRequest,
                              field + ": a string field that is not valid UTF-8",
                              {{"message", name}, {"field", field}});
  }
  return engine::MakeStatus(core::Code::kInvalidArgument, kMalformedRequest,
                            "the request is not a valid " + name +
                                " (truncated or garbled bytes, or a string that is not UTF-8)",
                            {{"message", name}});
}

}  // namespace

absl::Status ParseRequestBytes(std::string_view bytes, google::protobuf::Message* message) {
  message->Clear();
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) return Malformed(*message, "");
  // Strings are checked here before protobuf's parser sees them: it would reject them too, but
  // log a line to stderr for each, and those lines would be the caller's to write.
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  // ASCII is UTF-8: only bytes with the high bit set (also those of varints past 127) can make a
  // string invalid, and without any the walk is not needed.
  const bool ascii = std::none_of(bytes.begin(), bytes.end(),
                                  [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
  std::string field;
  if (!ascii && FindInvalidUtf8(&in, *message->GetDescriptor(), 0, &field)) {
    return Malformed(*message, field);
  }
  // ParseFromArray includes the UTF-8 check that proto3 parsing does: any failure is the
  // caller's malformed bytes. (proto3 messages have no required fields.)
  if (!message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    message->Clear();
    return Malformed(*message, "");
  }
  return absl::OkStatus();
}

}  // namespace gpop::api
