// Operation types: what a caller asks for (specs), what comes back (results) and the status
// messages in between. Plain data, standard C++17 only (see error.h for why).

#ifndef GPOP_SERVICE_CORE_OPERATION_H_
#define GPOP_SERVICE_CORE_OPERATION_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "service/core/error.h"

namespace gpop::core {

// OperationKind
//
// The five GPMC operations, and kImportSet: many imports (a backup set) as one operation. Values
// match gpop.v1.OperationKind.
enum class OperationKind : int {
  kBackup = 1,
  kRestore = 2,
  kImport = 3,
  kCopy = 4,
  kReport = 5,
  kImportSet = 6,
};
// The highest kind: readers that range-check a stored or received kind use it, so that a new
// kind is readable everywhere once it is added here (record_codec_test covers every kind).
inline constexpr OperationKind kLastOperationKind = OperationKind::kImportSet;

// OperationState
//
// QUEUED -> RUNNING -> SUCCEEDED | FAILED | CANCELLED, with CANCELLING between RUNNING and
// CANCELLED. Values match gpop.v1.OperationState.
enum class OperationState : int {
  kQueued = 1,
  kRunning = 2,
  kCancelling = 3,
  kSucceeded = 4,
  kFailed = 5,
  kCancelled = 6,
};

// IsTerminal
//
// True for SUCCEEDED, FAILED and CANCELLED: no event follows a terminal one.
bool IsTerminal(OperationState state);

// Effects
//
// What a finished operation changed. NONE: nothing; APPLIED: the whole change; UNKNOWN: the
// backend cannot tell (GPMC promises no rollback). Values match gpop.v1.Effects.
enum class Effects : int { kNone = 1, kApplied = 2, kUnknown = 3 };

// ReportFormat
//
// GPMC's GPMReportType subset that reports use, and kMigrationTable: a migration table template
// of the subject (what GPMC's migration table editor populates from a GPO or a backup). Values
// match gpop.v1.ReportFormat.
enum class ReportFormat : int { kXml = 1, kHtml = 2, kMigrationTable = 3 };

const char* KindName(OperationKind kind);     // "backup", "restore", ...
const char* StateName(OperationState state);  // "QUEUED", "RUNNING", ...
const char* EffectsName(Effects effects);     // "NONE", "APPLIED", "UNKNOWN"
std::optional<OperationKind> ParseKind(const std::string& name);
std::optional<OperationState> ParseState(const std::string& name);

// GpoRef
//
// A GPO named by GUID ("{6AC1786C-016F-11D2-945F-00C04FB984F9}") or by display name; exactly
// one of the two is set.
struct GpoRef {
  std::string guid;
  std::string display_name;
};

// BackupRef
//
// A GPMC backup: its backup ID (the GUID that names its folder) inside a named backup location
// (empty = the backend's default location). Never a client-chosen path.
struct BackupRef {
  std::string location;
  std::string backup_id;
};

// The five specs, as GPMC's asynchronous methods take them.
struct BackupSpec {
  GpoRef gpo;
  std::string location;  // named backup location; empty = default
  std::string comment;   // at most kMaxCommentChars characters
};
struct RestoreSpec {
  BackupRef backup;
  // Before the GPO is overwritten, back up its current state into `backup.location` (its ID is
  // in the result), so that the change is undone with one restore.
  bool safety_backup = true;
  // Change nothing: return the GPO as it would be, with the predicted settings changes.
  bool dry_run = false;
  // With `dry_run`: also render the prediction as an HTML page (GpoInfo::dry_run_report).
  bool dry_run_report = false;
};
struct ImportSpec {
  BackupRef backup;
  GpoRef target;
  // With `create_if_needed`, `target.display_name` names the GPO to import into, created first
  // when no GPO has that name (PowerShell's Import-GPO -CreateIfNeeded).
  bool create_if_needed = false;
  std::string migration_table;  // named migration table; empty = none
  bool migration_table_only = false;
  bool safety_backup = true;    // as RestoreSpec's, when an existing GPO is overwritten
  bool dry_run = false;         // as RestoreSpec's
  bool dry_run_report = false;  // as RestoreSpec's
};
struct CopySpec {
  GpoRef source;
  std::string new_display_name;
  std::string migration_table;
  bool migration_table_only = false;
  bool copy_acl = false;
  bool dry_run = false;         // as RestoreSpec's
  bool dry_run_report = false;  // as RestoreSpec's
};
struct ReportSpec {
  std::variant<GpoRef, BackupRef> subject;
  ReportFormat format = ReportFormat::kXml;
  // With kMigrationTable: also list the principals of the GPO's DACL (GPMC's
  // IGPMMigrationTable::Add with GPM_PROCESS_SECURITY); without it only the settings' are.
  bool include_dacl_principals = false;
};

// ImportSetSpec
//
// Every backup of a backup set imported as one operation, each into the GPO that has its
// backup's GPO display name (created when none has it), in the order given, with one migration
// table for all. A cancel stops between GPOs.
struct ImportSetSpec {
  std::string location;  // named backup location; empty = default
  std::vector<std::string> backup_ids;
  std::string migration_table;  // named migration table; empty = none
  bool migration_table_only = false;
  bool safety_backup = true;  // as ImportSpec's, for each existing GPO overwritten
  bool dry_run = false;       // as ImportSpec's, for every backup
};

// The most backups one import set may name.
inline constexpr size_t kMaxImportSetBackups = 1000;

// OperationSpec
//
// One of the specs; the alternative decides the kind (its index + 1).
using OperationSpec =
    std::variant<BackupSpec, RestoreSpec, ImportSpec, CopySpec, ReportSpec, ImportSetSpec>;
static_assert(std::variant_size_v<OperationSpec> == static_cast<size_t>(kLastOperationKind),
              "every kind has its spec alternative, and kLastOperationKind names the last");

OperationKind KindOf(const OperationSpec& spec);

// The longest backup comment GPMC (and PowerShell's Backup-GPO) accepts, in characters.
inline constexpr size_t kMaxCommentChars = 2047;

// Severity
//
// A warning lets the operation go on; an error stops it (as GPMC's status messages).
enum class Severity : int { kInfo = 1, kWarning = 2, kError = 3 };

// StatusMessage
//
// One entry of GPMC's IGPMStatusMsgCollection, or its equivalent from another backend.
struct StatusMessage {
  std::string object_path;
  uint32_t error_code = 0;  // an HRESULT; 0 when none
  std::string extension_name;
  std::string settings_name;
  uint32_t operation_code = 0;  // opaque, private to Gpmgmt.dll
  std::string message;
  Severity severity = Severity::kInfo;
};

// SettingChange
//
// One setting a dry run predicts to change, in the settings report's terms: the side
// ("Computer" or "User"), the report's extension ("Registry", "Security", ...), the setting's
// identity within it, and its value before and after (empty before: added; empty after:
// removed).
struct SettingChange {
  std::string scope;
  std::string extension;
  std::string setting;
  std::string before;
  std::string after;

  bool operator==(const SettingChange& o) const {
    return scope == o.scope && extension == o.extension && setting == o.setting &&
           before == o.before && after == o.after;
  }
};

// GpoInfo
//
// A GPO as a result or a listing entry.
struct GpoInfo {
  std::string guid;
  std::string display_name;
  std::string domain;
  uint32_t version = 0;  // (user << 16) | computer, as GPT.INI and versionNumber
  uint32_t flags = 0;    // 0 all enabled, 1 user disabled, 2 computer disabled, 3 both
  std::chrono::system_clock::time_point created{};
  std::chrono::system_clock::time_point modified{};
  // Restore and import: the ID of the backup taken of the GPO before it was overwritten (in the
  // same location as the backup restored from); empty when none was taken.
  std::string safety_backup_id;
  // A dry run (restore, import, copy): nothing was changed; `predicted_changes` is what the
  // real run would change.
  bool dry_run = false;
  std::vector<SettingChange> predicted_changes;
  // A dry run asked for its report: the prediction as an HTML page (UTF-8); empty otherwise.
  std::string dry_run_report;
};

// BackupInfo
//
// A GPMC backup as a result or a listing entry (the fields of bkupInfo.xml).
struct BackupInfo {
  std::string backup_id;
  std::string location;
  std::string gpo_guid;
  std::string gpo_display_name;
  std::string domain;
  std::string comment;
  std::chrono::system_clock::time_point time{};
  // The bytes of the files the backend wrote for this backup, when it made it and counted them
  // (gpop_backup_bytes_total); neither stored nor sent, so unset in listings and after a restart.
  std::optional<uint64_t> bytes_written;
};

// ReportInfo
//
// A generated report: its format and text (XML or HTML, UTF-8).
struct ReportInfo {
  ReportFormat format = ReportFormat::kXml;
  std::string content;
};

// ImportSetOutcome
//
// What became of one backup of an import set. Values match gpop.v1.ImportSetOutcome.
enum class ImportSetOutcome : int {
  kImported = 1,    // fully imported
  kPredicted = 2,   // dry run: nothing written
  kFailed = 3,      // its import failed; the GPO is untouched
  kNotStarted = 4,  // cancelled (or stopped) before it; the GPO is untouched
};

// ImportSetEntry
//
// One backup of an import set as it ended: the GPO written (kImported, kPredicted) or why not.
struct ImportSetEntry {
  std::string backup_id;
  std::string display_name;  // the backed-up GPO's, i.e. the target's
  ImportSetOutcome outcome = ImportSetOutcome::kNotStarted;
  GpoInfo gpo;
  std::optional<Error> error;
};

// ImportSetResult
//
// One entry per backup of the spec, in its order. Unlike other results it is also kept on a
// FAILED or CANCELLED ending, since it says which GPOs were imported and which not.
struct ImportSetResult {
  std::vector<ImportSetEntry> entries;
};

// OperationResult
//
// What a successful operation produced: a GPO (restore, import, copy), a backup, a report, or
// an import set's outcomes.
using OperationResult =
    std::variant<std::monostate, GpoInfo, BackupInfo, ReportInfo, ImportSetResult>;

}  // namespace gpop::core

#endif  // GPOP_SERVICE_CORE_OPERATION_H_
