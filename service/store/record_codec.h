// The bytes of an OperationRecord and an Event in the durable store: a version byte, then
// fields in a fixed order (varints, length-prefixed strings). Decoding checks every length.

#ifndef GPOP_SERVICE_STORE_RECORD_CODEC_H_
#define GPOP_SERVICE_STORE_RECORD_CODEC_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "service/engine/types.h"

namespace gpop::store {

std::string EncodeRecord(const engine::OperationRecord& record);
std::string EncodeEvent(const engine::Event& event);

// DATA_LOSS for bytes that are not a record or event of a known version.
absl::StatusOr<engine::OperationRecord> DecodeRecord(std::string_view bytes);
absl::StatusOr<engine::Event> DecodeEvent(std::string_view bytes);

}  // namespace gpop::store

#endif  // GPOP_SERVICE_STORE_RECORD_CODEC_H_
