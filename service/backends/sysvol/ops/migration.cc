// Migration of principals and UNC paths (see migration.h).

#include "service/backends/sysvol/ops/migration.h"

#include <optional>

#include "service/backends/sysvol/format/audit_csv.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/sddl.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/backends/sysvol/ops/migration_gpp.h"
#include "service/backends/sysvol/ops/principal_mapper.h"
#include "service/backends/sysvol/safe_fs.h"

namespace gpop::sysvol {
namespace {

using internal::AsciiLower;
using internal::EqualsNoCase;

// Lines of a UTF-16 (or UTF-8) .inf / .ini file, and how to write them back.
struct IniText {
  bool utf16 = false;
  std::vector<std::string> lines;  // without line ends
  std::string eol = "\r\n";
};

core::Result<IniText> ReadIni(const std::string& bytes, const std::string& display) {
  IniText out;
  std::string text;
  if (HasUtf16LeBom(bytes)) {
    out.utf16 = true;
    core::Result<std::string> t = DecodeUtf16LeWithBom(bytes, display);
    if (!t.ok()) return t.error();
    text = std::move(*t);
  } else {
    text = bytes;
  }
  if (text.find("\r\n") == std::string::npos) out.eol = "\n";
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    std::string line =
        text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.lines.push_back(std::move(line));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

core::Result<std::string> WriteIni(const IniText& ini, const std::string& display) {
  std::string text;
  for (size_t i = 0; i < ini.lines.size(); ++i) {
    if (i > 0) text += ini.eol;
    text += ini.lines[i];
  }
  if (!ini.utf16) return text;
  return EncodeUtf16LeWithBom(text, display);
}

// A security descriptor (SDDL) with its domain SIDs mapped: a SID mapped to None loses its ACE;
// one mapped to a name is reported and kept (a descriptor holds SIDs only).
std::string MigrateSddl(const std::string& sddl, const std::string& setting, PrincipalMapper* map) {
  return MapSddlSids(sddl,
                     [&](const std::string& sid, std::string_view) -> std::optional<std::string> {
                       if (!IsDomainPrincipal(sid)) return sid;
                       std::optional<std::string> to = map->Principal(sid, setting);
                       if (!to) return std::nullopt;
                       const std::string dest(internal::Trim(*to));
                       if (AsciiLower(dest).rfind("s-1-", 0) == 0) return dest;
                       if (dest != sid)
                         map->NotASid(sid, dest, "a security descriptor names principals");
                       return sid;
                     });
}

// audit.csv: the global object access auditing rows ("File System", "Registry") hold a SACL
// in SDDL in their Setting Value; its SIDs are mapped as GptTmpl.inf's descriptors are.
// Returns whether a row changed.
bool MigrateAuditCsv(AuditCsv* csv, PrincipalMapper* map) {
  bool changed = false;
  for (AuditCsvRow& row : csv->rows) {
    if (row.setting_value.find('(') == std::string::npos) continue;  // a number, no SACL
    const std::string setting = row.subcategory.empty() ? row.policy_target : row.subcategory;
    std::string mapped = MigrateSddl(row.setting_value, setting, map);
    if (mapped == row.setting_value) continue;
    row.setting_value = std::move(mapped);
    changed = true;
  }
  return changed;
}

// A security descriptor line of GptTmpl.inf ("name",mode,"SDDL" in [File Security],
// [Registry Keys] and [Service General Setting]) with its domain SIDs mapped. A SID mapped to
// None loses its ACE; one mapped to a name is reported (a descriptor holds SIDs only).
// Returns whether the line changed.
bool MigrateSecurityDescriptorLine(std::string* line, PrincipalMapper* map) {
  const size_t close = line->find_last_not_of(" \t");
  if (close == std::string::npos || (*line)[close] != '"') return false;
  const size_t open = line->rfind('"', close - 1);
  if (open == std::string::npos || open == 0) return false;
  const size_t name_end = line->find('"', 1);
  const std::string setting =
      (*line)[0] == '"' && name_end != std::string::npos ? line->substr(1, name_end - 1) : *line;
  const std::string sddl = line->substr(open + 1, close - open - 1);
  const std::string mapped = MigrateSddl(sddl, setting, map);
  if (mapped == sddl) return false;
  *line = line->substr(0, open + 1) + mapped + line->substr(close);
  return true;
}

// A principal of GptTmpl.inf as the table maps it: a SID is written with the template's '*'
// ("*S-1-5-21-..."), a name bare; nullopt: removed (DestinationNone).
std::optional<std::string> TemplatePrincipal(const std::string& principal,
                                             const std::string& setting, PrincipalMapper* map) {
  std::optional<std::string> mapped = map->Principal(principal, setting);
  if (!mapped || *mapped == principal) return mapped;
  std::string dest(internal::Trim(*mapped));
  if (IsSid(dest) && dest.front() != '*') dest = "*" + dest;
  return dest;
}

// GptTmpl.inf: [Privilege Rights] "Se... = a,b", [Group Membership] (restricted groups:
// "*SID__Members = a,b" and "*SID__Memberof = a,b", the group on the left mapped as its
// members are) and the security descriptors of files, registry keys and services. Only a line
// whose principals change is rewritten. DestinationNone removes a member; a line the table
// empties that way, or a restricted group it removes, is dropped (the GPO then leaves the right
// or the group alone: an empty list would grant the right to no one, empty the group), with a
// warning note.
bool MigrateSecurityTemplate(IniText* ini, PrincipalMapper* map) {
  bool changed = false;
  std::string section;
  std::vector<std::string> kept;
  kept.reserve(ini->lines.size());
  for (std::string& line : ini->lines) {
    std::string_view t = internal::Trim(line);
    if (!t.empty() && t.front() == '[') {
      section = AsciiLower(t);
      kept.push_back(std::move(line));
      continue;
    }
    if (section == "[file security]" || section == "[registry keys]" ||
        section == "[service general setting]") {
      if (MigrateSecurityDescriptorLine(&line, map)) changed = true;
      kept.push_back(std::move(line));
      continue;
    }
    const size_t eq = line.find('=');
    if ((section != "[privilege rights]" && section != "[group membership]") ||
        eq == std::string::npos) {
      kept.push_back(std::move(line));
      continue;
    }
    const std::string old_key(internal::Trim(std::string_view(line).substr(0, eq)));
    std::string key = old_key;
    const std::string& setting = old_key;
    if (section == "[group membership]") {
      const size_t sep = old_key.rfind("__");
      if (sep != std::string::npos && sep > 0) {
        std::optional<std::string> group = TemplatePrincipal(old_key.substr(0, sep), setting, map);
        if (!group) {
          map->Note(setting,
                    "the migration table maps the restricted group \"" + old_key.substr(0, sep) +
                        "\" to None: its line is removed, the GPO no longer sets its membership",
                    core::Severity::kWarning);
          changed = true;
          continue;
        }
        key = *group + old_key.substr(sep);
      }
    }
    std::vector<std::string> original;
    std::vector<std::string> members;
    for (const std::string& m : internal::Split(std::string_view(line).substr(eq + 1), ',')) {
      std::string member(internal::Trim(m));
      if (member.empty()) continue;
      original.push_back(member);
      std::optional<std::string> mapped = TemplatePrincipal(member, setting, map);
      if (!mapped) {
        map->Note(setting,
                  "the migration table maps \"" + member + "\" to None: removed from " + setting,
                  core::Severity::kWarning);
        continue;
      }
      members.push_back(*mapped);
    }
    if (key == old_key && members == original) {
      kept.push_back(std::move(line));
      continue;
    }
    changed = true;
    if (members.empty() && !original.empty()) {
      map->Note(setting,
                "every principal of " + setting +
                    " is mapped to None: the line is removed, the GPO no longer sets it",
                core::Severity::kWarning);
      continue;
    }
    std::string joined;
    for (const std::string& m : members) joined += (joined.empty() ? "" : ",") + m;
    kept.push_back(key + " = " + joined);
  }
  ini->lines = std::move(kept);
  return changed;
}

// scripts.ini / psscripts.ini ("0CmdLine=\\\\srv\\x.ps1") and folder redirection, fdeploy.ini and
// fdeploy1.ini ("<SID>=\\\\srv\\x" in a section per folder). A redirection line names its group
// by SID: a group the table removes (DestinationNone) loses its line, and a group the table
// maps to a name is reported (a name cannot be resolved to a SID offline) and kept.
bool MigrateIniPaths(IniText* ini, PrincipalMapper* map, bool keys_are_principals) {
  bool changed = false;
  std::vector<std::string> kept;
  kept.reserve(ini->lines.size());
  for (std::string& line : ini->lines) {
    size_t eq = line.find('=');
    if (eq == std::string::npos || internal::Trim(line).substr(0, 1) == "[") {
      kept.push_back(std::move(line));
      continue;
    }
    std::string key = line.substr(0, eq);
    std::string value = line.substr(eq + 1);
    std::string new_key = key;
    if (keys_are_principals && IsDomainPrincipal(key)) {
      std::optional<std::string> k = map->Principal(key, key);
      if (!k) {  // DestinationNone: the group is no longer redirected
        changed = true;
        continue;
      }
      if (AsciiLower(internal::Trim(*k)).rfind("s-1-", 0) == 0) {
        new_key = std::string(internal::Trim(*k));
      } else if (*k != key) {
        map->NotASid(std::string(internal::Trim(key)), *k, "folder redirection names groups");
      }
    }
    std::string new_value = map->Path(value, key);
    if (new_key != key || new_value != value) {
      line = new_key + "=" + new_value;
      changed = true;
    }
    kept.push_back(std::move(line));
  }
  ini->lines = std::move(kept);
  return changed;
}

bool EndsWithNoCase(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         EqualsNoCase(std::string_view(s).substr(s.size() - suffix.size()), suffix);
}

}  // namespace

core::Result<MigrationTable> LoadMigrationTable(const SysvolConfig& config,
                                                const std::string& name_in) {
  std::string name = name_in;
  if (!EndsWithNoCase(name, ".migtable")) name += ".migtable";
  if (!IsSafeName(name)) return core::InvalidField("migration_table", "is not a plain name");
  if (config.migration_table_dir.empty()) {
    return core::MakeError(core::Code::kFailedPrecondition, core::reason::kUnsupported,
                           "no migration table folder is configured");
  }
  core::Result<Dir> dir = Dir::OpenRoot(config.migration_table_dir, "migration-tables");
  if (!dir.ok()) return dir.error();
  core::Result<std::optional<DirEntry>> found = dir->FindNoCase(name);
  if (!found.ok()) return found.error();
  if (!*found) {
    return core::MakeError(core::Code::kNotFound, core::reason::kInvalidField,
                           "no migration table named \"" + name_in + "\"",
                           {{"migration_table", name_in}});
  }
  core::Result<std::string> bytes = dir->ReadFile((*found)->name, 16u << 20);
  if (!bytes.ok()) return bytes.error();
  return ParseMigrationTable(*bytes, JoinDisplay(dir->display(), (*found)->name));
}

core::Result<MigratedFiles> MigrateGpt(const Dir& gpt, const GptTree& tree,
                                       const MigrationTable& table,
                                       const std::string& target_domain,
                                       const std::vector<SecurityGroup>& groups) {
  MigratedFiles out;
  PrincipalMapper map(table, target_domain, groups, &out);
  for (const TreeEntry& e : tree.entries) {
    if (e.is_dir) continue;
    const std::string& file = e.components.back();
    const std::string rel = e.Joined('/');
    enum { kNone, kSecurity, kAudit, kScripts, kRedirection, kPreferences } kind = kNone;
    if (EqualsNoCase(rel, "Microsoft/Windows NT/SecEdit/GptTmpl.inf")) {
      kind = kSecurity;
    } else if (EqualsNoCase(rel, "Microsoft/Windows NT/Audit/audit.csv")) {
      kind = kAudit;
    } else if (EqualsNoCase(file, "scripts.ini") || EqualsNoCase(file, "psscripts.ini")) {
      kind = kScripts;
    } else if (EqualsNoCase(file.substr(0, std::min<size_t>(file.size(), 7)), "fdeploy") &&
               EndsWithNoCase(file, ".ini")) {
      kind = kRedirection;
    } else if (e.components.size() >= 2 && EqualsNoCase(e.components[0], "Preferences") &&
               EndsWithNoCase(file, ".xml")) {
      kind = kPreferences;
    }
    if (kind == kNone) continue;
    const std::string side_folder = e.side == "Machine" ? tree.machine_folder : tree.user_folder;
    std::vector<std::string> path = {side_folder};
    path.insert(path.end(), e.components.begin(), e.components.end() - 1);
    core::Result<std::optional<Dir>> dir = OpenPathNoCase(gpt, path);
    if (!dir.ok()) return dir.error();
    if (!*dir) continue;
    const std::string display = JoinDisplay(gpt.display(), e.side + "/" + rel);
    core::Result<std::string> bytes = (*dir)->ReadFile(file, kMaxSettingsFileBytes);
    if (!bytes.ok()) return bytes.error();
    map.set_file(display);
    std::optional<std::string> replaced;
    if (kind == kAudit) {
      core::Result<AuditCsv> csv = ParseAuditCsv(*bytes, display);
      if (!csv.ok()) return csv.error();
      if (MigrateAuditCsv(&*csv, &map)) replaced = WriteAuditCsv(*csv);
    } else if (kind == kPreferences) {
      auto doc = LoadXml(*bytes, display);
      if (!doc.ok()) return doc.error();
      if (MigratePreferences((*doc)->first_child(), &map)) {
        replaced = SaveXml(**doc, pugi::format_raw | pugi::format_write_bom);
      }
    } else {
      core::Result<IniText> ini = ReadIni(*bytes, display);
      if (!ini.ok()) return ini.error();
      bool changed = kind == kSecurity ? MigrateSecurityTemplate(&*ini, &map)
                                       : MigrateIniPaths(&*ini, &map, kind == kRedirection);
      if (changed) {
        core::Result<std::string> written = WriteIni(*ini, display);
        if (!written.ok()) return written.error();
        replaced = std::move(*written);
      }
    }
    if (replaced) out.replacements[e.side + "/" + rel] = std::move(*replaced);
  }
  return out;
}

core::Result<std::map<std::string, std::string>> Migrate(
    const BackendContext& ctx, const std::string& table_name, bool table_only, const Dir& gpt,
    const GptTree& tree, const std::vector<SecurityGroup>& groups, core::ProgressSink& sink) {
  if (table_name.empty()) return std::map<std::string, std::string>();
  core::Result<MigrationTable> table = LoadMigrationTable(ctx.config, table_name);
  if (!table.ok()) return table.error();
  core::Result<MigratedFiles> migrated = MigrateGpt(gpt, tree, *table, ctx.config.domain, groups);
  if (!migrated.ok()) return migrated.error();
  if (!migrated->notes.empty()) sink.Messages(migrated->notes, std::nullopt);
  if (!migrated->unmapped.empty()) {
    if (!table_only) {
      for (core::StatusMessage& m : migrated->unmapped) m.severity = core::Severity::kWarning;
    }
    sink.Messages(migrated->unmapped, std::nullopt);
    if (table_only) {
      return core::MakeError(
          core::Code::kFailedPrecondition, core::reason::kInvalidField,
          std::to_string(migrated->unmapped.size()) +
              " principal(s) or path(s) are not in migration table \"" + table_name +
              "\" and \"migration table only\" was asked: see the status messages; nothing "
              "was written",
          {{"migration_table", table_name}});
    }
  }
  return std::move(migrated->replacements);
}

}  // namespace gpop::sysvol
