// Shared pieces of the sysvol operations (see op_util.h).

#include "service/backends/sysvol/ops/op_util.h"

#include "service/backends/sysvol/format/backup_inst.h"

namespace gpop::sysvol {

core::Outcome Failed(core::Error error, core::Effects effects) {
  core::Outcome out;
  out.error = std::move(error);
  out.effects = effects;
  return out;
}

core::Error CancelledError(const std::string& what) {
  return core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                         what + " cancelled; nothing was changed");
}

core::Outcome InjectedCrash() {
  return Failed(core::MakeError(core::Code::kInternal, core::reason::kInternal,
                                "injected fault (test crash simulation)"),
                core::Effects::kUnknown);
}

core::Outcome ReportOutcome(core::ReportInfo info, core::CancelToken& cancel) {
  if (!cancel.BeginCommit()) return Failed(CancelledError("report"));
  core::Outcome out;
  out.result = std::move(info);
  out.effects = core::Effects::kNone;
  return out;
}

std::string TimeText(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "";
  return FormatBackupTime(t);
}

core::StatusMessage Warning(std::string object_path, std::string message) {
  core::StatusMessage m;
  m.object_path = std::move(object_path);
  m.message = std::move(message);
  m.severity = core::Severity::kWarning;
  return m;
}

std::vector<core::StatusMessage> SettingsWarnings(const GptSettings& settings,
                                                  const std::string& gpt_display) {
  std::vector<core::StatusMessage> out;
  auto scan = [&](const SideSettings& side, const char* side_name) {
    if (!side.registry_pol) return;
    for (const PolEntry& e : side.registry_pol->entries) {
      if (e.Special() != SpecialName::kUnknown) continue;
      core::StatusMessage m = Warning(gpt_display + "/" + side_name + "/registry.pol",
                                      "unknown special value name \"" + e.value_name +
                                          "\" in key " + e.key + ": clients skip it; kept as is");
      m.extension_name = "Registry";
      m.settings_name = e.key + "\\" + e.value_name;
      out.push_back(std::move(m));
    }
  };
  scan(settings.machine, "Machine");
  scan(settings.user, "User");
  // What the reader met on the way (a corrupt scripts.ini, preference XML, comment file, ...).
  out.insert(out.end(), settings.warnings.begin(), settings.warnings.end());
  return out;
}

}  // namespace gpop::sysvol
