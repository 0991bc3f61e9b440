// The operations' own log lines (see operation_log.h).

#include "service/api/operation_log.h"

#include <cstdio>
#include <utility>

#include "service/api/log.h"

namespace gpop::api {

OperationLog::OperationLog(engine::Engine* engine, EventFollower* followers) : engine_(engine) {
  if (followers == nullptr) {
    own_ = std::make_unique<EventFollower>(engine, kPrincipal);
    followers = own_.get();
  }
  follows_ = followers->Add({"operation events are not logged",
                             [this](const engine::Event& event) { Write(event); },
                             /*on_batch_end=*/nullptr, /*after_revision=*/std::nullopt});
  if (own_ != nullptr) own_->Start();
}

void OperationLog::Write(const engine::Event& event) {
  auto it = known_.find(event.operation_id);
  if (it == known_.end()) {
    Known known;
    if (absl::StatusOr<engine::OperationRecord> record =
            engine_->Get(kPrincipal, event.operation_id);
        record.ok()) {
      known.request_id = record->request_id;
      known.principal = record->principal;
    }
    it = known_.emplace(event.operation_id, std::move(known)).first;
  }
  Known& known = it->second;
  const LogTags tags{event.operation_id, known.request_id, known.principal};
  const bool terminal = event.state == core::OperationState::kSucceeded ||
                        event.state == core::OperationState::kFailed ||
                        event.state == core::OperationState::kCancelled;
  std::string hresult;
  if (event.hresult) {
    char hex[16];
    std::snprintf(hex, sizeof(hex), "0x%08X", *event.hresult);
    hresult = std::string(", HRESULT ") + hex;
  }
  if (event.state != known.state || terminal) {
    std::string line = std::string(core::KindName(event.kind)) + " " + core::StateName(event.state);
    if (event.error) {
      line += ": " + std::string(core::CodeName(event.error->code)) + " " + event.error->reason +
              " (" + event.error->message + ")";
    }
    if (event.effects) line += std::string(", effects ") + core::EffectsName(*event.effects);
    line += hresult;
    Log(event.state == core::OperationState::kFailed ? LogLevel::kWarning : LogLevel::kInfo, tags,
        line);
    known.state = event.state;
  }
  if (!event.messages.empty()) {
    int errors = 0, warnings = 0;
    for (const core::StatusMessage& m : event.messages) {
      if (m.severity == core::Severity::kError) ++errors;
      if (m.severity == core::Severity::kWarning) ++warnings;
    }
    Log(errors > 0 ? LogLevel::kWarning : LogLevel::kInfo, tags,
        std::to_string(event.messages.size()) + " status message(s): " + std::to_string(errors) +
            " error(s), " + std::to_string(warnings) + " warning(s)" + hresult);
  }
  if (terminal) known_.erase(it);
}

}  // namespace gpop::api
