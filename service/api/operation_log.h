// The operations' own log lines: every state change (RUNNING, CANCELLING, SUCCEEDED, FAILED,
// CANCELLED) and every status-message event of every operation, as one line each, tagged with
// the operation id, request id and principal (service/api/log.h).

#ifndef GPOP_SERVICE_API_OPERATION_LOG_H_
#define GPOP_SERVICE_API_OPERATION_LOG_H_

#include <map>
#include <memory>
#include <string>

#include "service/api/event_follower.h"
#include "service/engine/engine.h"

namespace gpop::api {

// OperationLog
//
// Follows the engine through an EventFollower (from the revision current when it is added, so
// history is not logged again after a restart): `followers`, shared with gpopd's other
// observers (the caller Starts it), or, when null, one of its own on a thread of its own. Ends
// when the engine ends its streams at shutdown, or when destroyed. Terminal lines carry the
// error's code and reason, the effects and the HRESULT. Construct it after Engine::Recover;
// destroy it before the engine and `followers`. Thread-safe.
class OperationLog {
 public:
  explicit OperationLog(engine::Engine* engine, EventFollower* followers = nullptr);
  OperationLog(const OperationLog&) = delete;
  OperationLog& operator=(const OperationLog&) = delete;

  // The principal its watch stream counts against.
  static constexpr char kPrincipal[] = "gpopd-log";

 private:
  struct Known {  // what the lines of one operation are tagged with
    std::string request_id;
    std::string principal;
    core::OperationState state = core::OperationState::kQueued;
  };

  void Write(const engine::Event& event);

  engine::Engine* const engine_;
  std::map<std::string, Known> known_;   // used by the follower's thread only
  std::unique_ptr<EventFollower> own_;   // without shared followers
  EventFollower::Subscription follows_;  // last: removed before the members it uses go
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_OPERATION_LOG_H_
