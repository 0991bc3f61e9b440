// Migration of principals and UNC paths (see migration.h).

#include "service/backends/sysvol/ops/migration.h"

#include <optional>
#include <set>

#include "service/backends/sysvol/format/audit_csv.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/sddl.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/backends/sysvol/safe_fs.h"

namespace gpop::sysvol {
namespace {

using internal::AsciiLower;
using internal::EqualsNoCase;

// Whether a principal belongs to a domain (and so must be mapped when the settings move):
// a domain SID (S-1-5-21-...), "DOMAIN\\name" other than the machine-local authorities, or
// "name@dns". Well-known SIDs, BUILTIN\\..., NT AUTHORITY\\... and bare names are the same
// everywhere.
bool IsDomainPrincipal(std::string_view p) {
  p = internal::Trim(p);
  if (!p.empty() && p.front() == '*') p.remove_prefix(1);
  if (p.empty() || p.find('%') != std::string_view::npos) return false;  // unresolved variable
  const std::string lower = AsciiLower(p);
  if (lower.rfind("s-1-", 0) == 0) return lower.rfind("s-1-5-21-", 0) == 0;
  if (size_t slash = lower.find('\\'); slash != std::string::npos) {
    const std::string domain = lower.substr(0, slash);
    return domain != "nt authority" && domain != "builtin" && domain != "nt service" &&
           domain != "." && !domain.empty();
  }
  return lower.find('@') != std::string::npos;
}

bool IsUncPath(std::string_view s) { return s.size() > 2 && s[0] == '\\' && s[1] == '\\'; }

// Maps names and paths of one file, recording what the table leaves unmapped.
class Mapper {
 public:
  Mapper(const MigrationTable& table, const std::string& target_domain,
         const std::vector<SecurityGroup>& groups, MigratedFiles* out)
      : table_(table), target_domain_(target_domain), groups_(groups), out_(out) {}

  void set_file(std::string display) { display_ = std::move(display); }

  // The principal as it is to be written; nullopt: removed (DestinationNone).
  // A domain principal the table does not map is reported; any other principal (a well-known
  // SID, a bare local name) is kept unless the table maps it.
  std::optional<std::string> Principal(const std::string& value, const std::string& setting) {
    const std::string_view trimmed = internal::Trim(value);
    if (trimmed.empty()) return value;
    const bool domain = IsDomainPrincipal(trimmed);
    if (domain) Reference(false, std::string(trimmed), setting);
    const MigrationMapping* m = Find(trimmed);
    if (m == nullptr) {
      if (domain) Unmapped(std::string(trimmed), setting, "principal");
      return value;
    }
    switch (m->kind) {
      case MigrationDestination::kSameAsSource:
        return value;
      case MigrationDestination::kNone:
        return std::nullopt;
      case MigrationDestination::kExplicit:
        return m->destination;
      case MigrationDestination::kRelativeName: {
        std::string_view p = trimmed;
        if (!p.empty() && p.front() == '*') p.remove_prefix(1);
        if (size_t slash = p.find('\\'); slash != std::string_view::npos) {
          std::string netbios = target_domain_.substr(0, target_domain_.find('.'));
          for (char& c : netbios)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
          return netbios + "\\" + std::string(p.substr(slash + 1));
        }
        if (size_t at = p.rfind('@'); at != std::string_view::npos) {
          return std::string(p.substr(0, at)) + "@" + target_domain_;
        }
        Unmapped(std::string(trimmed), setting,
                 "principal (a SID's relative name cannot be "
                 "resolved offline)");
        return value;
      }
    }
    return value;
  }

  // The UNC path as it is to be written (the mapped prefix replaced); other text unchanged.
  std::string Path(const std::string& value, const std::string& setting) {
    if (!IsUncPath(value)) return value;
    Reference(true, value, setting);
    const MigrationMapping* m = table_.FindPath(value);
    if (m == nullptr) {
      Unmapped(value, setting, "UNC path");
      return value;
    }
    if (m->kind != MigrationDestination::kExplicit) return value;
    std::string_view source = m->source;
    while (source.size() > 2 && source.back() == '\\') source.remove_suffix(1);
    std::string dest = m->destination;
    while (dest.size() > 2 && dest.back() == '\\') dest.pop_back();
    return dest + value.substr(source.size());
  }

  // A principal that must stay a SID (folder redirection, a security descriptor) mapped to a
  // name: reported as an unmapped entry (fatal with "migration table only"), the SID kept.
  // `where` says what names principals by SID ("folder redirection names groups").
  void NotASid(const std::string& sid, const std::string& destination, const std::string& where) {
    if (!reported_.insert(AccountKey(sid)).second) return;
    core::StatusMessage msg;
    msg.object_path = display_;
    msg.settings_name = sid;
    msg.message = "the migration table maps the principal \"" + sid + "\" to \"" + destination +
                  "\", which is not a SID: " + where +
                  " by SID and gpop cannot resolve a name offline; the SID is kept as it is";
    msg.severity = core::Severity::kError;
    out_->unmapped.push_back(std::move(msg));
  }

 private:
  // The table's mapping of a principal; a SID is also looked up by the names the backup
  // recorded for it (Backup.xml's SecurityGroups: "NETBIOS\\name" and the UPN), since tables
  // name accounts, settings name SIDs.
  const MigrationMapping* Find(std::string_view principal) const {
    if (const MigrationMapping* m = table_.FindPrincipal(principal)) return m;
    std::string_view sid = principal;
    if (!sid.empty() && sid.front() == '*') sid.remove_prefix(1);
    for (const SecurityGroup& g : groups_) {
      if (g.sid.empty()) continue;
      if (!EqualsNoCase(g.sid, sid)) {
        // A name Backup.xml records for a SID the table maps.
        if (AccountKey(principal) != AsciiLower(g.sid)) continue;
        if (const MigrationMapping* m = table_.FindPrincipal(g.sid)) return m;
        continue;
      }
      if (!g.upn.empty()) {
        if (const MigrationMapping* m = table_.FindPrincipal(g.upn)) return m;
      }
      if (!g.sam_account_name.empty() && !g.netbios_domain_name.empty()) {
        const std::string name = g.netbios_domain_name + "\\" + g.sam_account_name;
        if (const MigrationMapping* m = table_.FindPrincipal(name)) return m;
      }
    }
    return nullptr;
  }

  void Reference(bool unc_path, std::string value, const std::string& setting) {
    out_->references.push_back({unc_path, std::move(value), display_, setting});
  }

  // The account a principal names: its SID when Backup.xml records one for the SID or the
  // name, else the principal itself (lower case).
  std::string AccountKey(std::string_view principal) const {
    std::string_view p = principal;
    if (!p.empty() && p.front() == '*') p.remove_prefix(1);
    for (const SecurityGroup& g : groups_) {
      if (g.sid.empty()) continue;
      if (EqualsNoCase(g.sid, p) || (!g.upn.empty() && EqualsNoCase(g.upn, p)) ||
          (!g.netbios_domain_name.empty() && !g.sam_account_name.empty() &&
           EqualsNoCase(g.netbios_domain_name + "\\" + g.sam_account_name, p))) {
        return AsciiLower(g.sid);
      }
    }
    return AsciiLower(p);
  }

  // One message per account or path (the first place it is named), not per occurrence: a SID
  // and the name Backup.xml records for it are one account.
  void Unmapped(const std::string& what, const std::string& setting, const char* kind) {
    if (!reported_.insert(AccountKey(what)).second) return;
    core::StatusMessage msg;
    msg.object_path = display_;
    msg.settings_name = setting;
    msg.message = std::string("the migration table does not map the ") + kind + " \"" + what + "\"";
    msg.severity = core::Severity::kError;
    out_->unmapped.push_back(std::move(msg));
  }

  const MigrationTable& table_;
  const std::string& target_domain_;
  const std::vector<SecurityGroup>& groups_;
  MigratedFiles* out_;
  std::set<std::string> reported_;
  std::string display_;
};

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
std::string MigrateSddl(const std::string& sddl, const std::string& setting, Mapper* map) {
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
bool MigrateAuditCsv(AuditCsv* csv, Mapper* map) {
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
bool MigrateSecurityDescriptorLine(std::string* line, Mapper* map) {
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

// GptTmpl.inf: [Privilege Rights] "Se... = a,b", [Group Membership] "X__Members = a,b" and the
// security descriptors of files, registry keys and services.
bool MigrateSecurityTemplate(IniText* ini, Mapper* map) {
  bool changed = false;
  std::string section;
  for (std::string& line : ini->lines) {
    std::string_view t = internal::Trim(line);
    if (!t.empty() && t.front() == '[') {
      section = AsciiLower(t);
      continue;
    }
    if (section == "[file security]" || section == "[registry keys]" ||
        section == "[service general setting]") {
      if (MigrateSecurityDescriptorLine(&line, map)) changed = true;
      continue;
    }
    if (section != "[privilege rights]" && section != "[group membership]") continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string key(internal::Trim(std::string_view(line).substr(0, eq)));
    const std::string setting = key;
    if (section == "[group membership]") {
      size_t sep = key.find("__");
      if (sep != std::string::npos) {
        std::optional<std::string> group = map->Principal(key.substr(0, sep), setting);
        if (group && *group != key.substr(0, sep)) key = *group + key.substr(sep);
      }
    }
    std::vector<std::string> members;
    for (const std::string& m : internal::Split(std::string_view(line).substr(eq + 1), ',')) {
      std::string member(internal::Trim(m));
      if (member.empty()) continue;
      std::optional<std::string> mapped = map->Principal(member, setting);
      if (!mapped) continue;
      members.push_back(*mapped);
    }
    std::string joined;
    for (const std::string& m : members) joined += (joined.empty() ? "" : ",") + m;
    std::string rebuilt = key + " = " + joined;
    if (rebuilt != line) {
      // Only a line whose principals changed is rewritten; spacing of the others is kept.
      std::string original_members;
      for (const std::string& m : internal::Split(std::string_view(line).substr(eq + 1), ',')) {
        std::string member(internal::Trim(m));
        if (!member.empty()) original_members += (original_members.empty() ? "" : ",") + member;
      }
      if (key != std::string(internal::Trim(std::string_view(line).substr(0, eq))) ||
          joined != original_members) {
        line = rebuilt;
        changed = true;
      }
    }
  }
  return changed;
}

// scripts.ini / psscripts.ini ("0CmdLine=\\\\srv\\x.ps1") and folder redirection, fdeploy.ini and
// fdeploy1.ini ("<SID>=\\\\srv\\x" in a section per folder). A redirection line names its group
// by SID: a group the table removes (DestinationNone) loses its line, and a group the table
// maps to a name is reported (a name cannot be resolved to a SID offline) and kept.
bool MigrateIniPaths(IniText* ini, Mapper* map, bool keys_are_principals) {
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

// Group Policy Preferences: principal attributes, SIDs and UNC paths anywhere in the file.
bool MigratePreferences(pugi::xml_node node, Mapper* map) {
  bool changed = false;
  static const char* const kPrincipalAttributes[] = {"runAs", "userName", "accountName",
                                                     "groupName", "user"};
  for (pugi::xml_node n = node; n; n = n.next_sibling()) {
    if (n.type() != pugi::node_element) continue;
    const std::string_view element = LocalName(n.name());
    const bool is_member = element == "Member";
    for (pugi::xml_attribute a = n.first_attribute(); a; a = a.next_attribute()) {
      const std::string name = a.name();
      const std::string value = a.value();
      bool principal = is_member && name == "name";
      for (const char* p : kPrincipalAttributes) principal = principal || name == p;
      if (principal) {
        std::optional<std::string> mapped =
            map->Principal(value, std::string(element) + "/" + name);
        std::string v = mapped ? *mapped : "";
        if (v != value) {
          a.set_value(v.c_str());
          changed = true;
          // The SID beside a renamed principal named the old account: it is resolved again by
          // the client from the new name.
          if (pugi::xml_attribute sid = n.attribute(is_member ? "sid" : "groupSid")) {
            sid.set_value("");
          }
        }
      } else if ((name == "sid" || name == "groupSid" || name == "userSid") &&
                 IsDomainPrincipal(value)) {
        std::optional<std::string> mapped =
            map->Principal(value, std::string(element) + "/" + name);
        std::string v = mapped ? *mapped : "";
        if (v != value && v.rfind("S-1-", 0) == 0) {
          a.set_value(v.c_str());
          changed = true;
        }
      } else if (IsUncPath(value)) {
        std::string v = map->Path(value, std::string(element) + "/" + name);
        if (v != value) {
          a.set_value(v.c_str());
          changed = true;
        }
      }
    }
    if (element == "UserId" || element == "GroupId") {
      const std::string text = NodeText(n);
      std::optional<std::string> mapped = map->Principal(text, std::string(element));
      std::string v = mapped ? *mapped : "";
      if (v != text) {
        n.text().set(v.c_str());
        changed = true;
      }
    }
    if (MigratePreferences(n.first_child(), map)) changed = true;
  }
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
  Mapper map(table, target_domain, groups, &out);
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
