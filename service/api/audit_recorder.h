// Completes the audit log from the engine's terminal events: one FINISH entry per operation
// (result, error, effects, the GPO's version before and after), written by an EventFollower.

#ifndef GPOP_SERVICE_API_AUDIT_RECORDER_H_
#define GPOP_SERVICE_API_AUDIT_RECORDER_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "service/api/event_follower.h"
#include "service/audit/audit_log.h"
#include "service/engine/engine.h"

namespace gpop::api {

// AuditRecorder
//
// Follows the engine's events from the revision of the last FINISH entry in `log` (so that
// operations that ended while no recorder ran, during recovery say, are recorded after a
// restart, as far as the engine still retains their events) and appends a FINISH entry for
// every terminal event, those of one batch of events in one append. With a log that writes
// FINISH entries in the store's commits (AuditLog::WriteFinishesInCommits: SQLite), it asks the
// log to, and appends only those of the events committed before the log began. Destroying it does
// not wait for a backlog: the next start resumes from the last entry written. It follows through
// `followers`, shared with gpopd's other observers (the caller Starts it), or, when null, an
// EventFollower of its own. Construct after Engine::Recover; destroy before the engine, `log`
// and `followers`. Thread-safe.
class AuditRecorder {
 public:
  AuditRecorder(engine::Engine* engine, audit::AuditLog* log, EventFollower* followers = nullptr);
  AuditRecorder(const AuditRecorder&) = delete;
  AuditRecorder& operator=(const AuditRecorder&) = delete;

  // The principal its watch stream counts against.
  static constexpr char kPrincipal[] = "gpopd-audit";

  // Waits until the events up to `revision` are recorded (EventFollower::WaitForRevision).
  bool WaitForRevision(uint64_t revision, std::chrono::steady_clock::time_point deadline) {
    return followers_->WaitForRevision(revision, deadline);
  }

 private:
  void Record(const engine::Event& event);  // builds the FINISH entry of a terminal event
  void Flush();                             // appends the entries built, in one commit

  std::vector<v1::AuditEntry> built_;  // the follower's thread only (Record, Flush)

  engine::Engine* const engine_;
  audit::AuditLog* const log_;
  // The log writes FINISH entries in the commits of their events (SQLite): the follower only
  // records the terminal events committed before that began (a restart's backlog).
  const bool in_commits_;
  std::unique_ptr<EventFollower> own_;   // without shared followers
  EventFollower* followers_;             // own_ or the shared ones
  EventFollower::Subscription follows_;  // last: removed before the members it uses go
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUDIT_RECORDER_H_
