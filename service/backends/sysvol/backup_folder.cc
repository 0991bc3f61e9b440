// GPMC backup folders: Backup.xml, scanning and the manifest (see backup_folder.h).

#include "service/backends/sysvol/backup_folder.h"

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "service/backends/sysvol/format/comments.h"
#include "service/backends/sysvol/format/report.h"
#include "service/core/guid.h"

namespace gpop::sysvol {
namespace {

constexpr char kRegistryMachineTool[] = "{D02B1F72-3407-48AE-BA88-E8213C6761F1}";
constexpr char kRegistryUserTool[] = "{D02B1F73-3407-48AE-BA88-E8213C6761F1}";
constexpr char kSecurityTool[] = "{803E14A0-B4FB-11D0-A0D0-00A0C90F574B}";
constexpr char kAdvancedAuditTool[] = "{0F3F3735-573D-9804-99E4-AB2A69BA5FD4}";
constexpr char kScriptsMachineTool[] = "{40B6664F-4972-11D1-A7CA-0000F87571E3}";
constexpr char kScriptsUserTool[] = "{40B66650-4972-11D1-A7CA-0000F87571E3}";
// The Scripts extension's bkp:ID exactly as GPMC writes it (lower-case "11d2").
constexpr char kScriptsExtensionId[] = "{42B5FAAE-6536-11d2-AE5A-0000F87571E3}";

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool PathIs(const TreeEntry& e, std::initializer_list<const char*> names) {
  if (e.components.size() != names.size()) return false;
  size_t i = 0;
  for (const char* n : names) {
    if (Lower(e.components[i++]) != Lower(n)) return false;
  }
  return true;
}

std::string FsPathVariable(const std::string& side) {
  return side == "Machine" ? "%GPO_MACH_FSPATH%" : "%GPO_USER_FSPATH%";
}

FsObject MakeObject(const BackupSource& source, const GptTree& tree, const TreeEntry& e) {
  std::string below = e.Joined('\\');
  std::string side_folder = e.side == "Machine" ? tree.machine_folder : tree.user_folder;
  std::string gpt_unc = "\\\\" + source.domain_controller + "\\sysvol\\" + source.domain +
                        "\\Policies\\" + source.gpo_guid;
  FsObject o;
  o.is_dir = e.is_dir;
  o.path = FsPathVariable(e.side) + "\\" + below;
  o.source_expanded_path = gpt_unc + "\\" + side_folder + "\\" + below;
  o.location = "DomainSysvol\\GPO\\" + e.side + "\\" + below;
  return o;
}

// The Scripts extension as GPMC lays it out (the fixtures' Backup.xml): each side's scripts.ini
// and psscripts.ini (ReEvaluateFunction ScriptsValidatePaths), then per script folder
// (Startup, Shutdown; Logon, Logoff) a folder wildcard "...\Scripts\Startup\*" listing the
// folder and its subfolders and a file wildcard listing every file below it. The wildcards are
// written for all four folders, present or not; the Scripts folder itself stays an unknown file.
class ScriptsExtension {
 public:
  ScriptsExtension(const BackupSource& source, const GptTree& tree)
      : source_(source), tree_(tree) {}

  // Takes `e` when it belongs to the extension.
  bool Take(const TreeEntry& e) {
    if (e.components.size() < 2 || Lower(e.components[0]) != "scripts") return false;
    const bool machine = e.side == "Machine";
    if (e.components.size() == 2 && !e.is_dir) {
      const std::string name = Lower(e.components[1]);
      if (name != "scripts.ini" && name != "psscripts.ini") return false;
      FsObject o = MakeObject(source_, tree_, e);
      o.re_evaluate_function = "ScriptsValidatePaths";
      (machine ? machine_ini_ : user_ini_).push_back(std::move(o));
      return true;
    }
    Folder* folder = FolderOf(machine, e.components[1]);
    if (folder == nullptr) return false;
    (e.is_dir ? folder->dirs : folder->files).push_back(MakeObject(source_, tree_, e));
    return true;
  }

  BackupExtension Build() {
    BackupExtension ext{kScriptsExtensionId, "Scripts", {}};
    auto add_side = [&](bool machine) {
      for (FsObject& o : machine ? machine_ini_ : user_ini_) ext.objects.push_back(std::move(o));
      for (Folder& f : machine ? machine_folders_ : user_folders_) {
        const std::string side_var = machine ? "%GPO_MACH_FSPATH%" : "%GPO_USER_FSPATH%";
        std::string side_folder = machine ? tree_.machine_folder : tree_.user_folder;
        if (side_folder.empty()) side_folder = machine ? "Machine" : "User";
        FsObject dirs;
        dirs.is_dir = true;
        dirs.path = side_var + "\\Scripts\\" + f.name + "\\*";
        dirs.source_expanded_path = GptUnc() + "\\" + side_folder + "\\Scripts\\" + f.name + "\\*";
        dirs.children = std::move(f.dirs);
        FsObject files = dirs;
        files.is_dir = false;
        files.children = std::move(f.files);
        ext.objects.push_back(std::move(dirs));
        ext.objects.push_back(std::move(files));
      }
    };
    add_side(true);
    add_side(false);
    return ext;
  }

 private:
  struct Folder {
    std::string name;
    std::vector<FsObject> dirs;
    std::vector<FsObject> files;
  };

  Folder* FolderOf(bool machine, const std::string& name) {
    for (Folder& f : machine ? machine_folders_ : user_folders_) {
      if (Lower(f.name) == Lower(name)) return &f;
    }
    return nullptr;
  }

  std::string GptUnc() const {
    return "\\\\" + source_.domain_controller + "\\sysvol\\" + source_.domain + "\\Policies\\" +
           source_.gpo_guid;
  }

  const BackupSource& source_;
  const GptTree& tree_;
  std::vector<FsObject> machine_ini_;
  std::vector<FsObject> user_ini_;
  std::vector<Folder> machine_folders_ = {{"Startup", {}, {}}, {"Shutdown", {}, {}}};
  std::vector<Folder> user_folders_ = {{"Logon", {}, {}}, {"Logoff", {}, {}}};
};

// The principals a security template names, in order of first appearance.
std::vector<SecurityGroup> GroupsFromTemplate(const SecurityTemplate& tmpl) {
  std::vector<SecurityGroup> out;
  std::set<std::string> seen;
  auto add = [&](const std::string& member) {
    if (member.empty()) return;
    std::string key = Lower(member);
    if (!seen.insert(key).second) return;
    SecurityGroup g;
    if (IsSidMember(member)) {
      g.sid = MemberSid(member);
      std::string name = WellKnownSidName(g.sid);
      size_t slash = name.find('\\');
      g.sam_account_name = slash == std::string::npos ? name : name.substr(slash + 1);
    } else {
      g.sam_account_name = member;
    }
    g.type = "Unknown";
    out.push_back(std::move(g));
  };
  for (const PrivilegeRight& r : tmpl.privilege_rights) {
    for (const std::string& m : r.members) add(m);
  }
  for (const GroupMembership& gm : tmpl.group_membership) {
    add(gm.group);
    for (const std::string& m : gm.members) add(m);
  }
  return out;
}

std::string RandomHex() {
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) out += kHex[rd() % 16];
  return out;
}

}  // namespace

std::string DerivedExtensionGuids(const GptSettings& settings, bool machine) {
  std::map<std::string, std::string> pairs;  // CSE -> tool, sorted by CSE
  const SideSettings& side = machine ? settings.machine : settings.user;
  if (side.registry_pol || side.kept_unparsed.registry_pol) {
    pairs[kRegistryExtensionGuid] = machine ? kRegistryMachineTool : kRegistryUserTool;
  }
  if (side.security || side.kept_unparsed.security) {
    pairs[kSecurityExtensionGuid] = kSecurityTool;
  }
  if (side.audit || side.kept_unparsed.audit) {
    pairs[kAdvancedAuditExtensionGuid] = kAdvancedAuditTool;
  }
  if (side.scripts || side.psscripts) {
    pairs[kScriptsExtensionGuid] = machine ? kScriptsMachineTool : kScriptsUserTool;
  }
  // GPMC writes one bracketed pair per extension: "[{cse}{tool}][{cse}{tool}]".
  std::string bracketed;
  for (const auto& [cse, tool] : pairs) bracketed += "[" + cse + tool + "]";
  return bracketed;
}

BackupXml MakeBackupXml(const BackupSource& source, const GptTree& tree,
                        const SecurityTemplate* security) {
  BackupXml xml;
  if (security != nullptr) xml.security_groups = GroupsFromTemplate(*security);
  xml.core.id = source.gpo_guid;
  xml.core.domain = source.domain;
  xml.core.display_name = source.display_name;
  xml.core.security_descriptor = source.security_descriptor;
  xml.core.options = source.flags;
  // Each side's number packs the GPT.INI half above the directory half, as the fixtures'
  // values show (458759 = 7 << 16 | 7 for a GPO at computer version 7 in both places).
  xml.core.user_version_number = (source.sysvol_version & 0xFFFF0000u) | (source.version >> 16);
  xml.core.machine_version_number =
      ((source.sysvol_version & 0xFFFFu) << 16) | (source.version & 0xFFFFu);
  xml.core.machine_extension_guids = source.machine_extension_guids;
  xml.core.user_extension_guids = source.user_extension_guids;

  BackupExtension registry{kRegistryExtensionGuid, "Registry", {}};
  BackupExtension sec{kSecurityExtensionGuid, "Security", {}};
  BackupExtension unknown{kUnknownExtensionGuid, "Unknown Extension", {}};
  if (source.has_gpo_comment) {
    FsObject cmt;
    cmt.path = std::string("%GPO_FSPATH%\\") + kGpoCommentFile;
    cmt.source_expanded_path = "\\\\" + source.domain_controller + "\\sysvol\\" + source.domain +
                               "\\Policies\\" + source.gpo_guid + "\\" + kGpoCommentFile;
    cmt.location = std::string("DomainSysvol\\GPO\\") + kGpoCommentFile;
    unknown.objects.push_back(std::move(cmt));
  }
  // As GPMC does: the security template belongs to the Security extension only when the GPO
  // lists that extension (otherwise it is an unknown file); registry.pol always belongs to the
  // Registry extension.
  const bool has_security =
      Lower(source.machine_extension_guids).find(Lower(kSecurityExtensionGuid)) !=
      std::string::npos;
  // Scripts likewise, when either side lists the Scripts extension.
  const bool has_scripts = Lower(source.machine_extension_guids + source.user_extension_guids)
                               .find(Lower(kScriptsExtensionGuid)) != std::string::npos;
  ScriptsExtension scripts(source, tree);
  for (const TreeEntry& e : tree.entries) {
    if (has_scripts && scripts.Take(e)) continue;
    FsObject o = MakeObject(source, tree, e);
    if (!e.is_dir && PathIs(e, {"registry.pol"})) {
      registry.objects.push_back(std::move(o));
    } else if (!e.is_dir && e.side == "Machine" && has_security &&
               PathIs(e, {"microsoft", "windows nt", "secedit", "gpttmpl.inf"})) {
      o.re_evaluate_function = "SecurityValidateSettings";
      sec.objects.push_back(std::move(o));
    } else {
      unknown.objects.push_back(std::move(o));
    }
  }
  if (!registry.objects.empty()) {
    FsObject adm;
    adm.path = "%GPO_FSPATH%\\Adm\\*.*";
    adm.source_expanded_path = "\\\\" + source.domain_controller + "\\sysvol\\" + source.domain +
                               "\\Policies\\" + source.gpo_guid + "\\Adm\\*.*";
    registry.objects.push_back(std::move(adm));
    xml.extensions.push_back(std::move(registry));
  }
  if (has_scripts) xml.extensions.push_back(scripts.Build());
  if (!sec.objects.empty()) xml.extensions.push_back(std::move(sec));
  if (!unknown.objects.empty()) xml.extensions.push_back(std::move(unknown));
  return xml;
}

core::BackupInfo BackupInfoFromInst(const BackupInst& inst, const std::string& location) {
  core::BackupInfo info;
  info.backup_id = core::NormalizeGuid(inst.id).value_or(inst.id);
  info.location = location;
  info.gpo_guid = core::NormalizeGuid(inst.gpo_guid).value_or(inst.gpo_guid);
  info.gpo_display_name = inst.gpo_display_name;
  info.domain = inst.gpo_domain;
  info.comment = inst.comment;
  if (auto t = ParseBackupTime(inst.backup_time)) info.time = *t;
  return info;
}

bool IsBackupFolderName(std::string_view name) {
  return name.size() == 38 && name.front() == '{' && core::NormalizeGuid(std::string(name));
}

ScannedFolder ScanBackupFolder(
    const Dir& location, const std::string& name,
    const std::function<void(const Dir&, const std::string&)>& before_read) {
  ScannedFolder out;
  std::optional<std::string> folder_id = core::NormalizeGuid(name);
  std::string display = JoinDisplay(location.display(), name);
  core::Result<Dir> dir = location.OpenSubdir(name);
  if (!dir.ok()) {
    out.skipped = dir.error().message;
    out.unreadable = true;
    return out;
  }
  core::Result<std::optional<DirEntry>> info = dir->FindNoCase(kBkupInfoFile);
  if (!info.ok() || !*info) {
    out.skipped = display + ": no bkupInfo.xml";
    out.unreadable = true;
    return out;
  }
  out.info_name = (*info)->name;
  if (before_read) before_read(*dir, out.info_name);
  core::Result<std::string> bytes = dir->ReadFile(out.info_name, kMaxSmallXmlBytes);
  core::Result<BackupInst> inst = bytes.ok()
                                      ? ParseBkupInfo(*bytes, JoinDisplay(display, out.info_name))
                                      : core::Result<BackupInst>(bytes.error());
  if (!inst.ok()) {
    out.skipped = inst.error().message;
    out.unreadable = true;
    return out;
  }
  if (core::NormalizeGuid(inst->id) != folder_id) {
    out.skipped = display + ": bkupInfo.xml names another backup ID";
    return out;
  }
  out.backup = ScannedBackup{name, std::move(*inst)};
  return out;
}

core::Result<std::vector<ScannedBackup>> ScanBackups(const Dir& location,
                                                     std::vector<std::string>* skipped,
                                                     std::set<std::string>* unreadable) {
  core::Result<std::vector<DirEntry>> entries = location.List();
  if (!entries.ok()) return entries.error();
  std::vector<ScannedBackup> out;
  for (const DirEntry& e : *entries) {
    if (e.type != EntryType::kDirectory || !IsBackupFolderName(e.name)) continue;
    ScannedFolder f = ScanBackupFolder(location, e.name);
    if (!f.skipped.empty() && skipped) skipped->push_back(f.skipped);
    if (f.unreadable && unreadable) unreadable->insert(*core::NormalizeGuid(e.name));
    if (f.backup) out.push_back(std::move(*f.backup));
  }
  return out;
}

core::Status ReplaceFileAtomically(const Dir& dir, std::string_view name, std::string_view bytes) {
  std::string temp = "." + std::string(name) + ".tmp-" + RandomHex();
  if (core::Status s = dir.WriteFile(temp, bytes); !s.ok()) {
    (void)dir.RemoveTree(temp);
    return s;
  }
  if (core::Status s = dir.RenameTo(temp, dir, name); !s.ok()) {
    (void)dir.RemoveTree(temp);
    return s;
  }
  return dir.Sync();
}

Manifest ReconcileManifest(const Manifest& current, const std::vector<ScannedBackup>& backups,
                           const std::set<std::string>& unreadable) {
  std::map<std::string, const BackupInst*> by_id;
  for (const ScannedBackup& b : backups) {
    by_id[core::NormalizeGuid(b.inst.id).value_or(b.inst.id)] = &b.inst;
  }
  Manifest out;
  std::set<std::string> emitted;
  for (const BackupInst& inst : current.backups) {
    std::string id = core::NormalizeGuid(inst.id).value_or(inst.id);
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      if (unreadable.count(id) > 0 && emitted.insert(id).second) out.backups.push_back(inst);
      continue;
    }
    if (!emitted.insert(id).second) continue;
    out.backups.push_back(*it->second);
  }
  std::vector<const BackupInst*> rest;
  for (const auto& [id, inst] : by_id) {
    if (!emitted.count(id)) rest.push_back(inst);
  }
  std::stable_sort(rest.begin(), rest.end(), [](const BackupInst* a, const BackupInst* b) {
    return a->backup_time < b->backup_time;
  });
  for (const BackupInst* inst : rest) out.backups.push_back(*inst);
  return out;
}

core::Result<Manifest> ReadManifest(const Dir& location, bool* corrupt) {
  *corrupt = false;
  core::Result<std::optional<DirEntry>> found = location.FindNoCase(kManifestFile);
  if (!found.ok()) return found.error();
  if (!*found) return Manifest();
  core::Result<std::string> bytes =
      location.ReadFile((*found)->name, 16u << 20);  // ~25,000 backups
  core::Result<Manifest> parsed =
      bytes.ok() ? ParseManifest(*bytes, JoinDisplay(location.display(), (*found)->name))
                 : core::Result<Manifest>(bytes.error());
  if (!parsed.ok()) {
    *corrupt = true;
    return Manifest();
  }
  return parsed;
}

}  // namespace gpop::sysvol
