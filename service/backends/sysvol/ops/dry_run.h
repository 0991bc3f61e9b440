// The settings diff of a dry run, in the settings report's terms: two reports (the GPO now and
// as the operation would leave it) compared setting by setting within each extension.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_DRY_RUN_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_DRY_RUN_H_

#include <vector>

#include "service/backends/sysvol/format/report.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// DiffReports
//
// Every setting of `after` that `before` lacks (added), every one of `before` that `after`
// lacks (removed), and every one whose value differs (changed), by side, extension and setting
// in report order. A setting is identified by its element and its naming child (Name, KeyName,
// KeyPath with the value name, Path, GroupName, ...); its value is its report content as text.
// The reports' identities (GUID, name, versions) are not compared.
std::vector<core::SettingChange> DiffReports(const Report& before, const Report& after);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_DRY_RUN_H_
