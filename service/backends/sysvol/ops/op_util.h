// Small pieces every operation of the sysvol backend uses: outcomes, cancellation and the
// warnings GPMC would give for a GPT's settings.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_OP_UTIL_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_OP_UTIL_H_

#include <chrono>
#include <string>
#include <vector>

#include "service/backends/sysvol/gpt_reader.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// Failed
//
// A failed run with `effects` (NONE unless said otherwise).
core::Outcome Failed(core::Error error, core::Effects effects = core::Effects::kNone);

// CancelledError
//
// CANCELLED: "<what> cancelled; nothing was changed".
core::Error CancelledError(const std::string& what);

// InjectedCrash
//
// What a run returns when a FaultHook stops it: INTERNAL, effects UNKNOWN.
core::Outcome InjectedCrash();

// ReportOutcome
//
// A report's successful end: nothing is published, so the commit point only settles the race
// with a cancel (CANCELLED when the cancel won); effects NONE.
core::Outcome ReportOutcome(core::ReportInfo info, core::CancelToken& cancel);

// TimeText
//
// A backup-style time text, or "" for an unknown (zero) time.
std::string TimeText(std::chrono::system_clock::time_point t);

// SettingsWarnings
//
// The non-fatal findings of reading a GPT, as warnings for the sink: registry values clients do
// not understand (unknown special value names), one each, and every file the reader had to
// leave out (GptSettings::warnings: a corrupt scripts.ini, preference XML, comment file, ...).
std::vector<core::StatusMessage> SettingsWarnings(const GptSettings& settings,
                                                  const std::string& gpt_display);

// Warning
//
// A warning status message about `object_path`.
core::StatusMessage Warning(std::string object_path, std::string message);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_OP_UTIL_H_
