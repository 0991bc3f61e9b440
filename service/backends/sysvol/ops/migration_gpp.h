// A migration table applied to one Group Policy Preferences XML file (Groups.xml,
// ScheduledTasks.xml, Services.xml, Drives.xml, Printers.xml, DataSources.xml, ...).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_GPP_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_GPP_H_

#include <pugixml.hpp>

#include "service/backends/sysvol/ops/principal_mapper.h"

namespace gpop::sysvol {

// MigratePreferences
//
// Maps the principals and UNC paths of the preference document below `root` in place and
// returns whether anything changed:
// - an account named by name and SID (Groups.xml: a Member's name / sid, a group's
//   groupName / groupSid) is looked up by its name, then its SID. Mapped to a name, the name is
//   written and the SID emptied (the client resolves the new name); mapped to a SID, both hold
//   the SID (a name left empty stays empty). A group's item name follows its groupName.
// - DestinationNone removes a Member element, and the whole item of a group whose own name or
//   SID the table removes; each removal is a warning note naming the account.
// - the single principal fields (runAs, userName / username, accountName, newName, user,
//   attribute names matched case-insensitively; a task's UserId / GroupId elements) take the
//   destination; DestinationNone leaves the field empty, with a warning note. When the field's
//   account changes (another name, or None), a password stored with it (cpassword) is emptied,
//   with a warning note naming the preference item: it is the old account's.
// - every other attribute holding a UNC path is mapped as a path.
bool MigratePreferences(pugi::xml_node root, PrincipalMapper* map);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_MIGRATION_GPP_H_
