// Reads the settings files of a GPT-shaped folder (a live GPT under Policies/{GUID}, or a
// backup's DomainSysvol/GPO): Registry.pol of both sides, the security template and advanced
// audit, scripts (Scripts/scripts.ini, Scripts/psscripts.ini), Group Policy Preferences
// (Preferences/<Folder>/<Folder>.xml), comments (GPO.cmt, <side>/comment.cmtx), every name
// resolved case-insensitively, and walks its Machine/User trees for copying.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_GPT_READER_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_GPT_READER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/backends/sysvol/format/audit_csv.h"
#include "service/backends/sysvol/format/comments.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report.h"
#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/scripts_ini.h"
#include "service/backends/sysvol/format/security_template.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// Size limits for the files gpop parses (copies are streamed and have no limit).
inline constexpr size_t kMaxRegistryPolBytes = 64u << 20;
inline constexpr size_t kMaxSettingsFileBytes = 16u << 20;
inline constexpr size_t kMaxSmallXmlBytes = 4u << 20;

// SideSettings
//
// The parsed settings files of one side (absent files stay empty). `problems` names the
// files of the report-only kinds (scripts, preferences, comment.cmtx) that could not be read
// ("Machine/Scripts/scripts.ini: ..."); the report shows them in the side.
struct SideSettings {
  std::optional<RegistryPol> registry_pol;
  std::optional<SecurityTemplate> security;
  std::optional<AuditCsv> audit;
  std::optional<ScriptsIni> scripts;
  std::optional<ScriptsIni> psscripts;
  std::vector<ReportPreference> preferences;  // one per Preferences/<Folder>/<Folder>.xml
  std::optional<PolicyComments> comments;
  std::vector<std::string> problems;
  // Settings files that could not be parsed and that a backup keeps byte for byte anyway: their
  // extensions are still the GPO's (DerivedExtensionGuids names them).
  struct Unparsed {
    bool registry_pol = false;
    bool security = false;
    bool audit = false;
  } kept_unparsed;
};

// GptSettings
//
// Both sides, the GPO's comment (GPO.cmt), and warnings met on the way (StatusMessage naming
// the file: one per entry of the sides' `problems`, severity warning).
struct GptSettings {
  SideSettings machine;
  SideSettings user;
  std::optional<std::string> gpo_comment;
  std::vector<core::StatusMessage> warnings;
};

// ReadGptSettings
//
// Reads `gpt` (a folder holding Machine/ and User/ in any case). A missing file means "no
// settings"; an empty Registry.pol too. A corrupt or hostile Registry.pol, GptTmpl.inf or
// audit.csv, a link or a special file on the way fails with its error (CORRUPT_FILE /
// PATH_OUTSIDE_ROOT) naming the file. A corrupt scripts.ini, psscripts.ini, preference XML,
// comment.cmtx or GPO.cmt is not an error: it becomes a problem of its side (GPO.cmt: of the
// computer side) and a warning, and the report goes on without it. With `corrupt` (a dry run's
// read of the GPT it would replace), a corrupt Registry.pol, GptTmpl.inf or audit.csv is not an
// error either: its settings are left out and its error (metadata "file": the file) appended.
core::Result<GptSettings> ReadGptSettings(const Dir& gpt,
                                          std::vector<core::Error>* corrupt = nullptr);

// MakeReport
//
// The settings report for `settings` with the container half in `identity` (its comment, when
// empty, taken from GPO.cmt). With `registry_by_reference` (for the XML writers only, while
// `settings` lives): see BuildReport.
Report MakeReport(const ReportIdentity& identity, const GptSettings& settings,
                  const AdmxCatalog* admx, bool registry_by_reference = false);

// TreeEntry
//
// One file or folder below a side of a GPT: `side` is "Machine" or "User" (canonical case, as
// backups store them), `components` the names below it as found on disk.
struct TreeEntry {
  std::string side;
  std::vector<std::string> components;
  bool is_dir = false;
  uint64_t size = 0;

  // The path below the side joined with `sep` ("microsoft\\windows nt\\SecEdit").
  std::string Joined(char sep) const;
};

// GptTree
//
// The side folders as found (empty name: the side is absent) and every entry below them, in
// pre-order with siblings sorted case-insensitively (the order GPMC lists them in Backup.xml).
struct GptTree {
  std::string machine_folder;
  std::string user_folder;
  std::vector<TreeEntry> entries;
  uint64_t total_bytes = 0;
};

// WalkGptTree
//
// Walks Machine/ and User/ of `gpt`. Links and special files are PATH_OUTSIDE_ROOT errors
// naming the entry; more than `max_entries` entries or a depth over 64 is an error too.
core::Result<GptTree> WalkGptTree(const Dir& gpt, size_t max_entries = 200000);

// OpenPath
//
// Opens the folder at `components` below `dir`, each name resolved case-insensitively.
// nullopt when a component does not exist.
core::Result<std::optional<Dir>> OpenPathNoCase(const Dir& dir,
                                                const std::vector<std::string>& components);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_GPT_READER_H_
