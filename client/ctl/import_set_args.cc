// `gpopctl import-set`'s arguments (see import_set_args.h).

#include "client/ctl/import_set_args.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/ctl/operation_args.h"
#include "service/core/guid.h"

namespace gpop::ctl {

const char kImportSetUsage[] =
    "  import-set (ID [ID...] | --backup-id ID ... | --upload UPLOAD_ID | --all) [--location L]\n"
    "          [--migration-table T] [--migration-table-only] [--no-safety-backup] [--dry-run]\n"
    "          every backup of a set (a baseline package) into the GPO of its display name,\n"
    "          created when missing, in one operation; --upload: the backups an upload\n"
    "          published; --all: every backup of the location. With --wait: progress overall\n"
    "          and per backup, then each backup's outcome (exit 2 when any failed)\n";

absl::Status BuildImportSetCommand(const RawArgs& raw, Command* command) {
  auto has = [&](const char* name) { return raw.Has(name); };
  auto get = [&](const char* name) { return raw.Get(name); };
  const std::map<std::string, std::vector<std::string>>& flags = raw.flags;
  std::vector<std::string> ids = raw.positional;
  if (auto it = flags.find("backup-id"); it != flags.end()) {
    ids.insert(ids.end(), it->second.begin(), it->second.end());
  }
  const int selections = (ids.empty() ? 0 : 1) + (has("upload") ? 1 : 0) + (has("all") ? 1 : 0);
  if (selections != 1) {
    return absl::InvalidArgumentError(
        "import-set: name the backups in exactly one way: backup IDs (as arguments or "
        "--backup-id), --upload UPLOAD_ID or --all");
  }
  std::set<std::string> seen;
  v1::ImportSetSpec* spec = command->start.mutable_spec()->mutable_import_set();
  for (const std::string& id : ids) {
    std::optional<std::string> guid = core::NormalizeGuid(id);
    if (!guid.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("import-set: '", id, "' is not a backup ID ({GUID})"));
    }
    if (!seen.insert(*guid).second) {
      return absl::InvalidArgumentError(absl::StrCat("import-set: backup ", *guid, " given twice"));
    }
    spec->add_backup_ids(*guid);
  }
  if (has("upload") && get("upload").empty()) {
    return absl::InvalidArgumentError("--upload: empty upload ID");
  }
  command->import_set.upload_id = get("upload");
  command->import_set.all = has("all");
  spec->set_location(get("location"));
  spec->set_migration_table(get("migration-table"));
  spec->set_migration_table_only(has("migration-table-only"));
  if (spec->migration_table_only() && spec->migration_table().empty()) {
    return absl::InvalidArgumentError("--migration-table-only needs --migration-table");
  }
  spec->set_skip_safety_backup(has("no-safety-backup"));
  spec->set_dry_run(has("dry-run"));
  return absl::OkStatus();
}

std::vector<SubcommandArgs> ImportSetSubcommands() {
  return {{"import-set",
           {{"backup-id", true, true},
            {"upload", true, false},
            {"all", false, false},
            {"location", true, false},
            {"migration-table", true, false},
            {"migration-table-only", false, false},
            {"no-safety-backup", false, false},
            {"dry-run", false, false}},
           /*operation_flags=*/true,
           /*positional=*/true,
           [](const RawArgs& raw, Command* command) {
             command->verb = Verb::kImportSet;
             // The spec first: ParseOperation then adds the flags every operation takes.
             if (absl::Status s = BuildImportSetCommand(raw, command); !s.ok()) return s;
             return ParseOperation(raw, command);
           }}};
}

}  // namespace gpop::ctl
