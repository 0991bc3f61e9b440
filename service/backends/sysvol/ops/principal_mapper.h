// The principal and UNC path lookups that apply a migration table to one GPT's settings files:
// which principals are domain principals (and must be mapped), what the table makes of a
// principal or a path (an explicit destination, the same, none, or a relative name resolved
// against the target domain), and the status messages for what the table leaves unmapped.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_OPS_PRINCIPAL_MAPPER_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_OPS_PRINCIPAL_MAPPER_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/migration_table.h"
#include "service/backends/sysvol/ops/migration.h"

namespace gpop::sysvol {

// IsDomainPrincipal
//
// Whether a principal belongs to a domain (and so must be mapped when the settings move): a
// domain SID (S-1-5-21-..., with or without the security template's '*'), "DOMAIN\\name"
// other than the machine-local authorities, or "name@dns". Well-known SIDs, BUILTIN\\...,
// NT AUTHORITY\\..., bare names and names holding an unresolved %variable% are the same
// everywhere.
bool IsDomainPrincipal(std::string_view principal);

// IsSid
//
// Whether `principal` is written as a SID ("S-1-...", any case, a leading '*' allowed).
bool IsSid(std::string_view principal);

// IsUncPath
//
// Whether `s` starts with "\\\\".
bool IsUncPath(std::string_view s);

// PrincipalMapper
//
// Maps the names and paths of one GPT's files through a table, recording in `out` every
// reference met (MigratedFiles::references), one error message per account or path the table
// does not map (MigratedFiles::unmapped) and notes on what the mapping removed
// (MigratedFiles::notes). Not thread-safe; borrows every argument for its lifetime.
class PrincipalMapper {
 public:
  PrincipalMapper(const MigrationTable& table, const std::string& target_domain,
                  const std::vector<SecurityGroup>& groups, MigratedFiles* out)
      : table_(table), target_domain_(target_domain), groups_(groups), out_(out) {}

  // The display path of the file the next calls are about (named in messages).
  void set_file(std::string display) { display_ = std::move(display); }
  const std::string& file() const { return display_; }

  // The principal as it is to be written; nullopt: removed (DestinationNone). A domain
  // principal the table does not map is reported; any other principal (a well-known SID, a
  // bare local name) is kept unless the table maps it. An explicit or relative destination is
  // returned as the table writes it (a SID without the security template's '*').
  std::optional<std::string> Principal(const std::string& value, const std::string& setting);

  // One account named twice, by `name` and by `sid` (a Group Policy Preferences member, a
  // group's groupName / groupSid): the table's mapping of the name, else of the SID. Both are
  // references; an unmapped account is reported once (by its name when that is a domain
  // principal, else by its SID).
  struct AccountResult {
    enum Kind { kKeep, kRemove, kRename } kind = kKeep;
    std::string destination;  // kRename: the new principal (a name, or a SID)
  };
  AccountResult Account(const std::string& name, const std::string& sid,
                        const std::string& setting);

  // The UNC path as it is to be written (the mapped prefix replaced); other text unchanged.
  std::string Path(const std::string& value, const std::string& setting);

  // A principal that must stay a SID (folder redirection, a security descriptor) mapped to a
  // name: reported as an unmapped entry (fatal with "migration table only"), the SID kept.
  // `where` says what names principals by SID ("folder redirection names groups").
  void NotASid(const std::string& sid, const std::string& destination, const std::string& where);

  // A note (severity `severity`) on the current file: what a mapping removed or left empty.
  void Note(const std::string& setting, const std::string& message, core::Severity severity);

 private:
  const MigrationMapping* Find(std::string_view principal) const;
  // The destination of `m` for `value` (the principal the table matched; nullopt: None).
  // A relative name that cannot be resolved offline is reported and `value` kept.
  std::optional<std::string> Apply(const MigrationMapping& m, const std::string& value,
                                   const std::string& setting);
  // The relative name of `principal` in the target domain ("NETBIOS\\name" or
  // "name@dns"), a SID by the name Backup.xml records for it; nullopt: not resolvable offline.
  std::optional<std::string> Relative(std::string_view principal, const MigrationMapping& m) const;
  void Reference(bool unc_path, std::string value, const std::string& setting);
  std::string AccountKey(std::string_view principal) const;
  void Unmapped(const std::string& what, const std::string& setting, const char* kind);

  const MigrationTable& table_;
  const std::string& target_domain_;
  const std::vector<SecurityGroup>& groups_;
  MigratedFiles* out_;
  std::set<std::string> reported_;
  std::string display_;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_OPS_PRINCIPAL_MAPPER_H_
