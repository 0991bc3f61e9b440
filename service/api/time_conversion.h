// google.protobuf.Timestamp and Duration <-> the engine's time (engine::Time, engine::Duration),
// checked on the way in: a bad value is INVALID_ARGUMENT, reason INVALID_FIELD, naming `field`.

#ifndef GPOP_SERVICE_API_TIME_CONVERSION_H_
#define GPOP_SERVICE_API_TIME_CONVERSION_H_

#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "service/engine/types.h"

namespace gpop::api {

// DurationFromProto
//
// A google.protobuf.Duration that must be valid, positive and at most `max`.
absl::StatusOr<engine::Duration> DurationFromProto(const std::string& field,
                                                   const google::protobuf::Duration& duration,
                                                   engine::Duration max);

// TimeToProto / TimeFromProto
//
// engine::Time as google.protobuf.Timestamp and back; a timestamp engine::Time cannot hold
// (before 1685 or after 2255, nanos outside 0-999,999,999) is INVALID_ARGUMENT naming `field`.
void TimeToProto(engine::Time time, google::protobuf::Timestamp* out);
absl::StatusOr<engine::Time> TimeFromProto(const std::string& field,
                                           const google::protobuf::Timestamp& time);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_TIME_CONVERSION_H_
