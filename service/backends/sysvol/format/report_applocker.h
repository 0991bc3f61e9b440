// AppLocker in the settings report: the Registry.pol values under
// Software\Policies\Microsoft\Windows\SrpV2\<Type> (EnforcementMode, and one <rule id>\Value
// REG_SZ per rule holding the rule's XML) become GPMC's "Application Control Policies"
// extension (ReportAppLockerCollection) instead of raw RegistrySettings, each rule in the form
// GPMC's report gives it (conditions renamed or wrapped, open version bounds left out: checked
// rule for rule against Windows' gpreport.xml of the fixtures' AppLocker GPO).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_APPLOCKER_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_APPLOCKER_H_

#include <vector>

#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report.h"

namespace gpop::sysvol {

inline constexpr char kAppLockerSettingsNamespace[] =
    "http://www.microsoft.com/GroupPolicy/Settings/SRPV2";

// AddAppLockerEntry
//
// Takes `entry` into `collections` when it is a collection's EnforcementMode (a DWORD) or a
// rule (a REG_SZ "Value" whose XML, read through the hardened loader, is one element) and
// returns true; false for every other entry, which stays a RegistrySetting (nothing is lost:
// a rule whose XML does not parse is reported raw).
bool AddAppLockerEntry(const PolEntry& entry, std::vector<ReportAppLockerCollection>* collections);

// SortAppLocker
//
// GPMC's order: collections by type; rules by kind (FilePublisherRule, FilePathRule,
// FileHashRule, others) then by Id, stable.
void SortAppLocker(std::vector<ReportAppLockerCollection>* collections);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_FORMAT_REPORT_APPLOCKER_H_
