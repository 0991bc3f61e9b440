#include "service/backends/synthetic/synthetic_backend.h"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <variant>

#include "service/core/guid.h"

namespace gpop::synthetic {
namespace {

bool ParseInt(const std::string& text, int* out) {
  if (text.empty() || text.size() > 9) return false;
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (*end != '\0' || v < 0) return false;
  *out = static_cast<int>(v);
  return true;
}

// Waits for `delay` or until a cancel, whichever comes first. Returns true when cancelled.
bool WaitStep(std::chrono::milliseconds delay, core::CancelToken& cancel, bool ignore_cancel) {
  if (delay.count() == 0) return !ignore_cancel && cancel.cancel_requested();
  std::mutex mu;
  std::condition_variable cv;
  bool woken = false;
  core::CancelToken::SubscriptionId sub = 0;
  if (!ignore_cancel) {
    sub = cancel.Subscribe([&] {
      std::lock_guard<std::mutex> lock(mu);
      woken = true;
      cv.notify_all();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, delay, [&] { return woken; });
  }
  if (!ignore_cancel) cancel.Unsubscribe(sub);
  return !ignore_cancel && cancel.cancel_requested();
}

core::OperationResult MakeResult(const core::RunRequest& request, const Script& script) {
  switch (core::KindOf(request.spec)) {
    case core::OperationKind::kBackup: {
      const auto& spec = std::get<core::BackupSpec>(request.spec);
      core::BackupInfo b;
      b.backup_id = core::NewGuid();
      b.location = spec.location.empty() ? "default" : spec.location;
      b.gpo_guid = spec.gpo.guid.empty() ? core::NewGuid() : *core::NormalizeGuid(spec.gpo.guid);
      b.gpo_display_name = spec.gpo.display_name.empty() ? "Synthetic GPO" : spec.gpo.display_name;
      b.domain = "synthetic.test";
      b.comment = spec.comment;
      b.time = std::chrono::system_clock::now();
      if (script.backup_bytes > 0) b.bytes_written = static_cast<uint64_t>(script.backup_bytes);
      return b;
    }
    case core::OperationKind::kReport: {
      const auto& spec = std::get<core::ReportSpec>(request.spec);
      core::ReportInfo r;
      r.format = spec.format;
      r.content =
          spec.format == core::ReportFormat::kHtml
              ? "<!DOCTYPE html><html><body><h1>Synthetic report</h1></body></html>"
              : "<?xml version=\"1.0\" encoding=\"utf-8\"?><GPO xmlns=\"http://www.microsoft."
                "com/GroupPolicy/Settings\"><Name>Synthetic</Name></GPO>";
      const size_t want = static_cast<size_t>(script.report_bytes);
      if (want > r.content.size() + 7) {
        // Padding inside a comment after the first tag keeps the report well formed.
        size_t head = r.content.find('>') + 1;
        r.content = r.content.substr(0, head) + "<!--" +
                    std::string(want - r.content.size() - 7, 'p') + "-->" + r.content.substr(head);
      }
      return r;
    }
    case core::OperationKind::kCopy: {
      core::GpoInfo g;
      g.guid = core::NewGuid();
      g.display_name = std::get<core::CopySpec>(request.spec).new_display_name;
      g.domain = "synthetic.test";
      g.version = 1;
      return g;
    }
    case core::OperationKind::kImportSet: {
      const auto& spec = std::get<core::ImportSetSpec>(request.spec);
      core::ImportSetResult set;
      for (const std::string& id : spec.backup_ids) {
        core::ImportSetEntry e;
        e.backup_id = id;
        e.display_name = "Synthetic GPO " + id;
        e.outcome =
            spec.dry_run ? core::ImportSetOutcome::kPredicted : core::ImportSetOutcome::kImported;
        e.gpo.guid = core::NewGuid();
        e.gpo.display_name = e.display_name;
        e.gpo.domain = "synthetic.test";
        e.gpo.version = 2;
        e.gpo.dry_run = spec.dry_run;
        set.entries.push_back(std::move(e));
      }
      return set;
    }
    default: {
      core::GpoInfo g;
      g.guid = core::NewGuid();
      g.display_name = "Synthetic GPO";
      g.domain = "synthetic.test";
      g.version = 2;
      return g;
    }
  }
}

}  // namespace

core::Result<Script> ScriptFromLabels(const Script& defaults,
                                      const std::map<std::string, std::string>& labels) {
  Script s = defaults;
  for (const auto& [key, value] : labels) {
    if (key.rfind("synthetic.", 0) != 0) continue;
    int v = 0;
    bool ok = true;
    if (key == "synthetic.steps") {
      ok = ParseInt(value, &v) && v >= 1 && v <= 100000;
      s.steps = v;
    } else if (key == "synthetic.step_ms") {
      ok = ParseInt(value, &v) && v <= 600000;
      s.step_delay = std::chrono::milliseconds(v);
    } else if (key == "synthetic.fail_at") {
      ok = ParseInt(value, &v);
      s.fail_at = v;
    } else if (key == "synthetic.commit_at") {
      ok = ParseInt(value, &v);
      s.commit_at = v;
    } else if (key == "synthetic.messages") {
      ok = ParseInt(value, &v) && v <= 1000;
      s.messages_per_step = v;
    } else if (key == "synthetic.report_bytes") {
      ok = ParseInt(value, &v) && v <= (256 << 20);
      s.report_bytes = v;
    } else if (key == "synthetic.ignore_cancel") {
      ok = value == "true" || value == "false";
      s.ignore_cancel = value == "true";
    } else if (key == "synthetic.backup_bytes") {
      ok = ParseInt(value, &v);
      s.backup_bytes = v;
    } else {
      ok = false;
    }
    if (!ok) return core::InvalidField("labels." + key, "invalid synthetic script value");
  }
  return s;
}

core::Status SyntheticBackend::Validate(const core::OperationSpec&) const { return {}; }

std::vector<core::ResourceClaim> SyntheticBackend::Claims(const core::OperationSpec& spec) const {
  std::vector<core::ResourceClaim> claims = core::DefaultClaims(spec);
  if (std::holds_alternative<core::BackupSpec>(spec)) {
    for (core::ResourceClaim& c : claims) c.access = core::ResourceClaim::Access::kRead;
  }
  return claims;
}

core::Outcome SyntheticBackend::Run(const core::RunRequest& request, core::ProgressSink& sink,
                                    core::CancelToken& cancel) {
  core::Outcome out;
  core::Result<Script> script = ScriptFromLabels(defaults_, request.labels);
  if (!script.ok()) {
    out.error = script.error();
    return out;
  }
  const Script& s = *script;
  const int commit_at = s.commit_at < 0 ? s.steps : s.commit_at;
  bool committed = false;
  sink.Progress(0, s.steps);
  for (int step = 1; step <= s.steps; ++step) {
    if (WaitStep(s.step_delay, cancel, s.ignore_cancel) && !committed) {
      out.error = core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                                  "cancelled at step " + std::to_string(step));
      out.effects = core::Effects::kNone;
      return out;
    }
    for (int m = 0; m < s.messages_per_step; ++m) {
      core::StatusMessage msg;
      msg.object_path = "synthetic/step/" + std::to_string(step);
      msg.extension_name = "Synthetic";
      msg.settings_name = "message " + std::to_string(m + 1);
      msg.message = "step " + std::to_string(step) + " message " + std::to_string(m + 1);
      msg.severity = core::Severity::kWarning;
      sink.Messages({msg}, std::nullopt);
    }
    if (step == s.fail_at) {
      out.error = core::MakeError(core::Code::kInternal, core::reason::kBackendFailure,
                                  "synthetic failure at step " + std::to_string(step),
                                  {{"step", std::to_string(step)}});
      out.error->hresult = 0x80004005u;  // E_FAIL
      out.hresult = 0x80004005u;
      out.effects = committed ? core::Effects::kUnknown : core::Effects::kNone;
      return out;
    }
    if (step == commit_at && !committed) {
      if (!cancel.BeginCommit()) {
        out.error = core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                                    "cancelled before the commit point");
        out.effects = core::Effects::kNone;
        return out;
      }
      committed = true;
    }
    sink.Progress(step, s.steps);
  }
  out.result = MakeResult(request, s);
  out.effects = core::Effects::kApplied;
  return out;
}

core::Result<std::vector<core::GpoInfo>> SyntheticBackend::ListGpos() const {
  core::GpoInfo g;
  g.guid = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
  g.display_name = "Default Domain Policy";
  g.domain = "synthetic.test";
  return std::vector<core::GpoInfo>{g};
}

}  // namespace gpop::synthetic
