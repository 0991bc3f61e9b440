// FINISH entries from terminal events (see audit_recorder.h).

#include "service/api/audit_recorder.h"

#include <optional>
#include <string>
#include <vector>

#include "service/api/audit_entries.h"
#include "service/api/log.h"

namespace gpop::api {
namespace {

std::optional<uint64_t> ResumeRevision(audit::AuditLog* log) {
  absl::StatusOr<uint64_t> last = log->LastFinishRevision();
  if (!last.ok()) {
    Log(LogLevel::kError, {}, "audit log: " + last.status().ToString());
    return std::nullopt;
  }
  return *last;
}

}  // namespace

AuditRecorder::AuditRecorder(engine::Engine* engine, audit::AuditLog* log, EventFollower* followers)
    : engine_(engine),
      log_(log),
      // Before the follower starts: every terminal event is then either committed with its
      // FINISH entry or visible to the follower before the first event that is.
      in_commits_(log->WriteFinishesInCommits(
          [](const engine::Event& event, const engine::OperationRecord& record,
             const v1::AuditEntry* start) { return FinishEntry(event, start, &record); })),
      own_(followers == nullptr ? std::make_unique<EventFollower>(engine, kPrincipal) : nullptr),
      followers_(followers == nullptr ? own_.get() : followers) {
  follows_ = followers_->Add({"audit log", [this](const engine::Event& event) { Record(event); },
                              [this] { Flush(); }, ResumeRevision(log)});
  if (own_ != nullptr) own_->Start();
}

void AuditRecorder::Record(const engine::Event& event) {
  if (!core::IsTerminal(event.state)) return;
  if (in_commits_) {
    std::optional<uint64_t> from = log_->FinishesWrittenFrom();
    if (from && event.revision >= *from) return;  // its FINISH entry was committed with it
  }
  audit::AuditQuery query;
  query.operation_id = event.operation_id;
  query.action = v1::AUDIT_ACTION_START;
  query.limit = 1;
  absl::StatusOr<std::vector<v1::AuditEntry>> start = log_->List(query);
  const v1::AuditEntry* start_entry = start.ok() && !start->empty() ? &start->front() : nullptr;
  absl::StatusOr<engine::OperationRecord> record = engine_->Get(kPrincipal, event.operation_id);
  built_.push_back(FinishEntry(event, start_entry, record.ok() ? &*record : nullptr));
}

void AuditRecorder::Flush() {
  if (built_.empty()) return;
  if (absl::Status s = log_->AppendAll(&built_); !s.ok()) {
    for (const v1::AuditEntry& entry : built_) {
      if (entry.sequence() != 0) continue;
      Log(LogLevel::kError, LogTags{entry.operation_id(), entry.request_id(), entry.principal()},
          "audit entry FINISH not written: " + s.ToString());
    }
  }
  built_.clear();
}

}  // namespace gpop::api
