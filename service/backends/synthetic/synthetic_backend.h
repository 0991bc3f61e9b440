// The synthetic backend: scripted steps, delays, messages, failures and commit points, for tests
// and load benchmarks only. Never the default backend of gpopd.

#ifndef GPOP_SERVICE_BACKENDS_SYNTHETIC_SYNTHETIC_BACKEND_H_
#define GPOP_SERVICE_BACKENDS_SYNTHETIC_SYNTHETIC_BACKEND_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "service/core/backend.h"

namespace gpop::synthetic {

// Script
//
// What one run does: `steps` steps of `step_delay` each, reporting progress after each step and
// `messages_per_step` warning messages; at step `fail_at` (1-based) it fails; at step
// `commit_at` it declares its commit point (after that, cancels no longer apply). Steps are
// counted from 1; a step number of 0 means "never". A backup's result says it wrote
// `backup_bytes` bytes (none said when 0).
struct Script {
  int steps = 10;
  std::chrono::milliseconds step_delay{100};
  int fail_at = 0;
  int commit_at = -1;  // -1: the last step
  int messages_per_step = 0;
  bool ignore_cancel = false;  // do not stop between steps when cancelled
  int report_bytes = 0;        // > 0: a report's content is padded to this size (memory tests)
  int backup_bytes = 0;
};

// ScriptFromLabels
//
// `defaults` overridden by the labels `synthetic.steps`, `synthetic.step_ms`,
// `synthetic.fail_at`, `synthetic.commit_at`, `synthetic.messages`, `synthetic.ignore_cancel`,
// `synthetic.report_bytes` (at most 256 MiB), `synthetic.backup_bytes`.
// A malformed value is an INVALID_ARGUMENT naming the label.
core::Result<Script> ScriptFromLabels(const Script& defaults,
                                      const std::map<std::string, std::string>& labels);

// SyntheticBackend
//
// Runs every kind of operation by its script; the result has the kind's shape (a GPO, a backup
// or a small report) with made-up values. Thread-safe.
class SyntheticBackend final : public core::Backend {
 public:
  explicit SyntheticBackend(Script defaults = {}) : defaults_(defaults) {}

  std::string name() const override { return "synthetic"; }
  core::Status Validate(const core::OperationSpec& spec) const override;
  // As core::DefaultClaims, except that backups into one location run at once, as the sysvol
  // backend's do (each adds a folder of its own): the GPO backed up and the location are read.
  std::vector<core::ResourceClaim> Claims(const core::OperationSpec& spec) const override;
  core::Outcome Run(const core::RunRequest& request, core::ProgressSink& sink,
                    core::CancelToken& cancel) override;
  core::Result<std::vector<core::GpoInfo>> ListGpos() const override;
  // Its listing never changes.
  std::optional<uint64_t> GposGeneration() const override { return 0; }
  // Its runs have no effects: running one again after a crash is always safe.
  bool RecoversEveryRun() const override { return true; }

 private:
  const Script defaults_;
};

}  // namespace gpop::synthetic

#endif  // GPOP_SERVICE_BACKENDS_SYNTHETIC_SYNTHETIC_BACKEND_H_
