// The settings diff of a dry run, in the settings report's terms: two reports (the GPO now and
// as the operation would leave it) compared setting by setting within each extension.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_DRY_RUN_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_DRY_RUN_H_

#include <vector>

#include "service/backends/sysvol/format/report.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// DiffReports
//
// Every setting of `after` that `before` lacks (added), every one of `before` that `after`
// lacks (removed), and every one whose value differs (changed), by side, extension and setting
// in report order. A setting is identified by its element and its naming child (Name, KeyName,
// KeyPath with the value name, Path, GroupName, ...); its value is its report content as text.
// The GPO's comment (GPO.cmt) comes first, as scope "GPO", extension "General", setting
// "Comment". The reports' other identities (GUID, name, versions) are not compared.
std::vector<core::SettingChange> DiffReports(const Report& before, const Report& after);

// DiffGptFiles
//
// Every file of the two GPTs' Machine and User trees that only `after` has (added), only
// `before` has (removed; `before` null: a new GPO) or whose bytes differ (changed), matched
// case-insensitively, in path order ("Machine/Scripts/Startup/x.ps1"), after the GPO's comment
// ("GPO.cmt", beside the sides) when it differs. GPT.INI is not compared. Errors are the read
// errors of either GPT.
core::Result<std::vector<DryRunFileChange>> DiffGptFiles(const Dir* before, const Dir& after);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_DRY_RUN_H_
