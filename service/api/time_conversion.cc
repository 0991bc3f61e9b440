// google.protobuf.Timestamp and Duration <-> engine time (see time_conversion.h).

#include "service/api/time_conversion.h"

#include <chrono>

#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

absl::Status Invalid(const std::string& field, const std::string& problem) {
  return engine::ToStatus(core::InvalidField(field, problem));
}

}  // namespace

void TimeToProto(engine::Time time, google::protobuf::Timestamp* out) {
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch());
  int64_t seconds = nanos.count() / 1000000000;
  int64_t rest = nanos.count() % 1000000000;
  if (rest < 0) {  // Timestamp nanos are never negative
    rest += 1000000000;
    --seconds;
  }
  out->set_seconds(seconds);
  out->set_nanos(static_cast<int32_t>(rest));
}

absl::StatusOr<engine::Time> TimeFromProto(const std::string& field,
                                           const google::protobuf::Timestamp& time) {
  // engine::Time counts nanoseconds in 64 bits: about 1678 to 2262, narrower than Timestamp's
  // years 1 to 9999.
  constexpr int64_t kMaxSeconds = 9000000000;  // 2255
  if (time.seconds() < -kMaxSeconds || time.seconds() > kMaxSeconds || time.nanos() < 0 ||
      time.nanos() > 999999999) {
    return Invalid(field, "not a valid timestamp (or outside the years 1685 to 2255)");
  }
  return engine::Time(std::chrono::duration_cast<engine::Duration>(
      std::chrono::seconds(time.seconds()) + std::chrono::nanoseconds(time.nanos())));
}

absl::StatusOr<engine::Duration> DurationFromProto(const std::string& field,
                                                   const google::protobuf::Duration& duration,
                                                   engine::Duration max) {
  int64_t seconds = duration.seconds();
  int32_t nanos = duration.nanos();
  if (nanos <= -1000000000 || nanos >= 1000000000 || (seconds > 0 && nanos < 0) ||
      (seconds < 0 && nanos > 0)) {
    return Invalid(field, "is not a valid duration");
  }
  if (seconds < 0 || (seconds == 0 && nanos <= 0)) return Invalid(field, "must be positive");
  int64_t max_seconds = std::chrono::duration_cast<std::chrono::seconds>(max).count();
  if (seconds > max_seconds) {
    return Invalid(field, "must be at most " + std::to_string(max_seconds) + "s");
  }
  engine::Duration out = std::chrono::duration_cast<engine::Duration>(
      std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos));
  if (out > max) return Invalid(field, "must be at most " + std::to_string(max_seconds) + "s");
  return out;
}

}  // namespace gpop::api
