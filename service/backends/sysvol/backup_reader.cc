// Opening a backup (see backup_reader.h).

#include "service/backends/sysvol/backup_reader.h"

#include <set>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/format_error.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/core/guid.h"

namespace gpop::sysvol {

std::string OpenedBackup::GpoGuid() const {
  return core::NormalizeGuid(backup_xml.core.id).value_or(backup_xml.core.id);
}

uint32_t OpenedBackup::DirectoryVersion() const {
  const GpoCoreSettings& c = backup_xml.core;
  return ((c.user_version_number & 0xFFFFu) << 16) | (c.machine_version_number & 0xFFFFu);
}

uint32_t OpenedBackup::SysvolVersion() const {
  const GpoCoreSettings& c = backup_xml.core;
  return (c.user_version_number & 0xFFFF0000u) | (c.machine_version_number >> 16);
}

namespace {

// The backup-relative folder a wildcard object ("%GPO_MACH_FSPATH%\Scripts\Startup\*") covers,
// or "" when `path` is no wildcard. GPMC lists a folder's files inside such an object.
std::string WildcardFolder(const std::string& path) {
  size_t star = path.rfind('\\');
  if (star == std::string::npos || path.substr(star + 1).find('*') == std::string::npos) return "";
  std::string folder = path.substr(0, star);
  for (auto [var, location] :
       {std::pair<const char*, const char*>{"%GPO_MACH_FSPATH%", "DomainSysvol\\GPO\\Machine"},
        {"%GPO_USER_FSPATH%", "DomainSysvol\\GPO\\User"},
        {"%GPO_FSPATH%", "DomainSysvol\\GPO"}}) {
    const std::string v = var;
    if (folder.compare(0, v.size(), v) == 0) return location + folder.substr(v.size());
  }
  return "";
}

// Every object of `xml`, nested ones too (a wildcard lists the files it matched as its
// children).
std::vector<const FsObject*> AllObjects(const BackupXml& xml) {
  std::vector<const FsObject*> objects;
  for (const BackupExtension& ext : xml.extensions) {
    for (const FsObject& o : ext.objects) objects.push_back(&o);
  }
  for (size_t i = 0; i < objects.size(); ++i) {
    for (const FsObject& c : objects[i]->children) objects.push_back(&c);
  }
  return objects;
}

// The component of the backup-relative `location` that would take it out of the backup folder
// (".", "..", a '/' or a ':' naming a drive or an alternate stream), or nullopt.
std::optional<std::string> EscapingComponent(const std::vector<std::string>& parts) {
  for (const std::string& p : parts) {
    if (!IsSafeName(p) || p.find_first_of("/:") != std::string::npos) return p;
  }
  return std::nullopt;
}

// Why the backup-relative `location` ("DomainSysvol\GPO\Machine\registry.pol") is not a
// readable regular file below `folder` (every name matched case-insensitively, no link
// followed), or nullopt when it is one. `*escapes` is set when the location leaves the folder;
// nothing is then looked up.
std::optional<std::string> LocationProblem(const Dir& folder, const std::string& location,
                                           bool* escapes) {
  std::vector<std::string> parts;
  for (std::string& p : internal::Split(location, '\\')) {
    if (!p.empty()) parts.push_back(std::move(p));
  }
  if (parts.empty()) return "is an empty location";
  if (std::optional<std::string> p = EscapingComponent(parts)) {
    *escapes = true;
    return "leaves the backup folder (component \"" + *p + "\"); gpop reads nothing outside it";
  }
  std::optional<Dir> opened;
  const Dir* dir = &folder;
  for (size_t i = 0; i < parts.size(); ++i) {
    core::Result<std::optional<DirEntry>> found = dir->FindNoCase(parts[i]);
    if (!found.ok()) return found.error().message;
    const bool last = i + 1 == parts.size();
    if (!*found) return last ? "is missing" : "is missing (no folder \"" + parts[i] + "\")";
    if ((*found)->type == EntryType::kSymlink) {
      return "is a symbolic link" + std::string(last ? "" : " (\"" + parts[i] + "\")") +
             "; gpop does not follow links";
    }
    if (last) {
      if ((*found)->type == EntryType::kDirectory) return "is a folder, not a file";
      if ((*found)->type != EntryType::kFile) return "is not a regular file";
      if (core::Status s = dir->CheckReadableFile((*found)->name); !s.ok()) {
        return "cannot be read (" + s.error().message + ")";
      }
      return std::nullopt;
    }
    if ((*found)->type != EntryType::kDirectory) {
      return "is missing (\"" + parts[i] + "\" is not a folder)";
    }
    core::Result<Dir> sub = dir->OpenSubdir((*found)->name);
    if (!sub.ok()) return sub.error().message;
    opened = std::move(*sub);
    dir = &*opened;
  }
  return std::nullopt;
}

}  // namespace

std::vector<core::StatusMessage> OpenedBackup::ListedFileProblems(std::string* escaping) const {
  std::vector<core::StatusMessage> out;
  std::string first_escape;
  std::set<std::string> seen;  // lower-case locations: one message a file
  for (const FsObject* o : AllObjects(backup_xml)) {
    if (o->is_dir || o->location.empty()) continue;
    if (!seen.insert(internal::AsciiLower(o->location)).second) continue;
    bool escapes = false;
    std::optional<std::string> problem = LocationProblem(folder, o->location, &escapes);
    if (!problem) continue;
    // A publisher's Location may hold any character (a line break, an escape sequence): shown
    // printable, never raw, as names found on disk are.
    if (escapes && first_escape.empty()) first_escape = PrintableName(o->location);
    core::StatusMessage m;
    m.object_path = PrintableName(JoinDisplay(folder.display(), o->location));
    m.message = PrintableName("Backup.xml lists " + o->location +
                              " as one of the backup's files, but it " + *problem);
    m.severity = core::Severity::kError;
    out.push_back(std::move(m));
  }
  if (escaping != nullptr) *escaping = first_escape;
  return out;
}

bool OpenedBackup::Lists(const TreeEntry& entry) const {
  bool any = false;
  const std::string wanted = "DomainSysvol\\GPO\\" + entry.side + "\\" + entry.Joined('\\');
  // `path` is `base` or below it (case-insensitive, '\\'-separated).
  const auto at_or_below = [](std::string_view path, std::string_view base) {
    return path.size() >= base.size() &&
           internal::EqualsNoCase(path.substr(0, base.size()), base) &&
           (path.size() == base.size() || path[base.size()] == '\\');
  };
  for (const FsObject* object : AllObjects(backup_xml)) {
    const FsObject& o = *object;
    if (o.is_dir) {
      // A folder the backup lists (FSObjectDir with a Location), even an empty one.
      if (entry.is_dir && !o.location.empty() && internal::EqualsNoCase(o.location, wanted)) {
        return true;
      }
      continue;
    }
    if (o.location.empty()) {
      // A wildcard: every file below its folder belongs to the backup, and so do the folders
      // on the way to it and below it.
      const std::string folder = WildcardFolder(o.path);
      if (folder.empty()) continue;
      any = true;
      if (entry.is_dir ? at_or_below(wanted, folder) || at_or_below(folder, wanted)
                       : wanted.size() > folder.size() + 1 && at_or_below(wanted, folder)) {
        return true;
      }
      continue;
    }
    any = true;
    // A folder is the backup's when a file it lists lies below it.
    if (entry.is_dir ? at_or_below(o.location, wanted) && o.location.size() > wanted.size()
                     : internal::EqualsNoCase(o.location, wanted)) {
      return true;
    }
  }
  return !any;
}

std::vector<core::StatusMessage> OpenedBackup::StrayFileMessages(
    const std::vector<TreeEntry>& skipped) const {
  std::vector<core::StatusMessage> out;
  auto add = [&](const std::string& path) {
    core::StatusMessage m;
    m.object_path = path;
    m.message =
        "not one of the backup's GPMC files (not listed in Backup.xml); ignored, never "
        "copied into the GPO";
    m.severity = core::Severity::kInfo;
    out.push_back(std::move(m));
  };
  if (core::Result<std::vector<DirEntry>> entries = folder.List(); entries.ok()) {
    for (const DirEntry& e : *entries) {
      bool own = false;
      for (const char* name : {kBackupXmlFile, kBkupInfoFile, kGpReportFile, "DomainSysvol"}) {
        if (internal::EqualsNoCase(e.name, name)) own = true;
      }
      // A publisher's file may have any name: shown printable, never raw.
      if (!own) add(PrintableName(JoinDisplay(folder.display(), e.name)));
    }
  }
  for (const TreeEntry& e : skipped) {
    add(JoinDisplay(gpt ? gpt->display() : folder.display(), e.side + "/" + e.Joined('/')));
  }
  return out;
}

core::Result<OpenedBackup> OpenBackup(const BackupLocations& locations, const core::BackupRef& ref,
                                      const std::string& field) {
  std::optional<std::string> id = core::NormalizeGuid(ref.backup_id);
  if (!id) return core::InvalidField(field, "is not a GUID");
  core::Result<BackupLocation> location = locations.Resolve(ref.location);
  if (!location.ok()) return location.error();
  core::Result<Dir> loc = BackupLocations::Open(*location);
  core::Result<std::optional<DirEntry>> folder =
      loc.ok() ? loc->FindNoCase(*id) : core::Result<std::optional<DirEntry>>(loc.error());
  if (!folder.ok() || !*folder || (*folder)->type != EntryType::kDirectory) {
    if (folder.ok() && *folder && (*folder)->type == EntryType::kSymlink) {
      return PathEscape(JoinDisplay(loc->display(), (*folder)->name),
                        "is a symbolic link; gpop does not follow links");
    }
    return core::MakeError(core::Code::kNotFound, core::reason::kBackupNotFound,
                           "no backup " + *id + " in location " + location->name,
                           {{"backup_id", *id}, {"location", location->name}});
  }
  OpenedBackup out;
  out.location = *location;
  out.backup_id = *id;
  core::Result<Dir> backup = loc->OpenSubdir((*folder)->name);
  if (!backup.ok()) return backup.error();
  out.folder = std::move(*backup);
  core::Result<std::optional<DirEntry>> bx = out.folder.FindNoCase(kBackupXmlFile);
  if (!bx.ok()) return bx.error();
  if (!*bx) {
    return CorruptFile(JoinDisplay(out.folder.display(), kBackupXmlFile),
                       "missing: not a GPMC backup");
  }
  core::Result<std::string> bytes = out.folder.ReadFile((*bx)->name, kMaxSmallXmlBytes * 4);
  if (!bytes.ok()) return bytes.error();
  core::Result<BackupXml> parsed =
      ParseBackupXml(*bytes, JoinDisplay(out.folder.display(), (*bx)->name));
  if (!parsed.ok()) return parsed.error();
  out.backup_xml = std::move(*parsed);
  if (core::Result<std::optional<DirEntry>> bi = out.folder.FindNoCase(kBkupInfoFile);
      bi.ok() && *bi) {
    core::Result<std::string> info = out.folder.ReadFile((*bi)->name, kMaxSmallXmlBytes);
    if (info.ok()) {
      core::Result<BackupInst> inst =
          ParseBkupInfo(*info, JoinDisplay(out.folder.display(), (*bi)->name));
      if (inst.ok()) out.inst = std::move(*inst);
    }
  }
  core::Result<std::optional<Dir>> gpt = OpenPathNoCase(out.folder, {"DomainSysvol", "GPO"});
  if (!gpt.ok()) return gpt.error();
  out.gpt = std::move(*gpt);
  return out;
}

}  // namespace gpop::sysvol
