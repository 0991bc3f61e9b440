// Checking an extracted upload's layout (see upload_layout.h).

#include "service/transfer/upload_layout.h"

#include <cctype>
#include <map>
#include <optional>
#include <set>

#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/manifest.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/guid.h"

namespace gpop::transfer {
namespace {

using sysvol::Dir;
using sysvol::internal::EqualsNoCase;

constexpr size_t kMaxXmlBytes = size_t{64} << 20;

// A checker's error as an upload refusal, keeping its message.
core::Error RejectedBy(const std::string& entry, const core::Error& error) {
  return UploadRejected(entry, error.message);
}

bool EndsWithNoCase(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && EqualsNoCase(s.substr(s.size() - suffix.size()), suffix);
}

std::string Join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

// The entry of `dir` named `name` ignoring case, if any.
core::Result<std::optional<sysvol::DirEntry>> Find(const Dir& dir, const std::string& name) {
  return dir.FindNoCase(name);
}

// Reads and checks one backup folder `folder` (relative path `rel`).
core::Result<LaidOutBackup> CheckBackup(const Dir& folder, const std::string& rel) {
  core::Result<std::optional<sysvol::DirEntry>> backup_xml = Find(folder, "Backup.xml");
  if (!backup_xml.ok()) return backup_xml.error();
  if (!*backup_xml || (*backup_xml)->type != sysvol::EntryType::kFile) {
    return UploadRejected(rel, "a backup folder without Backup.xml");
  }
  core::Result<std::string> bytes = folder.ReadFile((*backup_xml)->name, kMaxXmlBytes);
  if (!bytes.ok()) return RejectedBy(Join(rel, "Backup.xml"), bytes.error());
  core::Result<sysvol::BackupXml> parsed =
      sysvol::ParseBackupXml(*bytes, Join(rel, (*backup_xml)->name));
  if (!parsed.ok()) return RejectedBy(Join(rel, "Backup.xml"), parsed.error());

  core::Result<std::optional<sysvol::DirEntry>> info = Find(folder, "bkupInfo.xml");
  if (!info.ok()) return info.error();
  if (!*info || (*info)->type != sysvol::EntryType::kFile) {
    return UploadRejected(rel, "a backup folder without bkupInfo.xml");
  }
  core::Result<std::string> info_bytes = folder.ReadFile((*info)->name, kMaxXmlBytes);
  if (!info_bytes.ok()) return RejectedBy(Join(rel, "bkupInfo.xml"), info_bytes.error());
  core::Result<sysvol::BackupInst> inst =
      sysvol::ParseBkupInfo(*info_bytes, Join(rel, (*info)->name));
  if (!inst.ok()) return RejectedBy(Join(rel, "bkupInfo.xml"), inst.error());
  std::optional<std::string> id = core::NormalizeGuid(inst->id);
  if (!id) return UploadRejected(Join(rel, "bkupInfo.xml"), "its ID is not a GUID");
  if (!core::NormalizeGuid(inst->gpo_guid)) {
    return UploadRejected(Join(rel, "bkupInfo.xml"), "its GPOGuid is not a GUID");
  }
  LaidOutBackup backup;
  backup.backup_id = *id;
  backup.folder = rel;
  backup.inst = *std::move(inst);
  return backup;
}

// The folder `rel` of the staging root, opened component by component (never through a link).
core::Result<Dir> OpenRel(const std::filesystem::path& staging, const std::string& rel) {
  core::Result<Dir> root = Dir::OpenRoot(staging, "upload");
  if (!root.ok() || rel.empty()) return root;
  Dir current;
  const Dir* at = &*root;
  size_t start = 0;
  while (start <= rel.size()) {
    size_t slash = rel.find('/', start);
    std::string part =
        rel.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    core::Result<Dir> next = at->OpenSubdir(part);
    if (!next.ok()) return next.error();
    current = std::move(*next);
    at = &current;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return current;
}

// Parses the file `path` of the staging folder with the hardened loader.
core::Status CheckXml(const std::filesystem::path& staging, const std::string& path, int64_t size) {
  if (size > static_cast<int64_t>(kMaxXmlBytes)) {
    return UploadRejected(path, "an XML file larger than 64 MiB");
  }
  size_t slash = path.rfind('/');
  core::Result<Dir> parent =
      OpenRel(staging, slash == std::string::npos ? "" : path.substr(0, slash));
  if (!parent.ok()) return parent.error();
  core::Result<std::string> bytes =
      parent->ReadFile(slash == std::string::npos ? path : path.substr(slash + 1), kMaxXmlBytes);
  if (!bytes.ok()) return RejectedBy(path, bytes.error());
  core::Result<std::unique_ptr<pugi::xml_document>> doc = sysvol::LoadXml(*bytes, path);
  if (!doc.ok()) return RejectedBy(path, doc.error());
  return core::Status();
}

}  // namespace

core::Result<UploadLayout> CheckLayout(const std::filesystem::path& staging,
                                       const std::vector<ExtractedFile>& files) {
  core::Result<Dir> root = Dir::OpenRoot(staging, "upload");
  if (!root.ok()) return root.error();
  // Unwrap one enclosing folder ("MyBaseline/manifest.xml", "MyBaseline/{GUID}/...", or a
  // single backup "{GUID}/Backup.xml").
  std::string base;
  core::Result<std::vector<sysvol::DirEntry>> entries = root->List();
  if (!entries.ok()) return entries.error();
  auto has_top_level = [](const std::vector<sysvol::DirEntry>& list, const char* name) {
    for (const sysvol::DirEntry& e : list) {
      if (EqualsNoCase(e.name, name)) return true;
    }
    return false;
  };
  if (entries->size() == 1 && (*entries)[0].type == sysvol::EntryType::kDirectory &&
      !has_top_level(*entries, "manifest.xml")) {
    core::Result<Dir> inner = root->OpenSubdir((*entries)[0].name);
    if (!inner.ok()) return inner.error();
    core::Result<std::vector<sysvol::DirEntry>> inner_entries = inner->List();
    if (!inner_entries.ok()) return inner_entries.error();
    // A lone {GUID} folder holding a backup stays a set of one; any other lone folder wraps.
    const bool lone_backup = core::NormalizeGuid((*entries)[0].name).has_value() &&
                             has_top_level(*inner_entries, "Backup.xml");
    if (!lone_backup) {
      base = (*entries)[0].name;
      entries = std::move(inner_entries);
    }
  }
  if (entries->empty()) return UploadRejected("", "the tar holds no files");
  core::Result<Dir> top = OpenRel(staging, base);
  if (!top.ok()) return top.error();

  UploadLayout layout;
  if (has_top_level(*entries, "Backup.xml")) {
    core::Result<LaidOutBackup> one = CheckBackup(*top, base);
    if (!one.ok()) return one.error();
    layout.backups.push_back(*std::move(one));
  } else {
    layout.backup_set = true;
    std::optional<sysvol::Manifest> manifest;
    for (const sysvol::DirEntry& e : *entries) {
      const std::string rel = Join(base, e.name);
      if (EqualsNoCase(e.name, "manifest.xml") && e.type == sysvol::EntryType::kFile) {
        core::Result<std::string> bytes = top->ReadFile(e.name, kMaxXmlBytes);
        if (!bytes.ok()) return RejectedBy(rel, bytes.error());
        core::Result<sysvol::Manifest> parsed = sysvol::ParseManifest(*bytes, rel);
        if (!parsed.ok()) return RejectedBy(rel, parsed.error());
        manifest = *std::move(parsed);
        continue;
      }
      std::optional<std::string> id = core::NormalizeGuid(e.name);
      if (e.type != sysvol::EntryType::kDirectory || !id) {
        return UploadRejected(
            rel,
            "neither manifest.xml nor a {GUID} backup folder: a backup set holds only "
            "those (a single backup holds Backup.xml at its root)");
      }
      core::Result<Dir> folder = top->OpenSubdir(e.name);
      if (!folder.ok()) return folder.error();
      core::Result<LaidOutBackup> backup = CheckBackup(*folder, rel);
      if (!backup.ok()) return backup.error();
      if (backup->backup_id != *id) {
        return UploadRejected(rel, "its bkupInfo.xml names the backup " + backup->backup_id);
      }
      layout.backups.push_back(*std::move(backup));
    }
    if (layout.backups.empty()) return UploadRejected("", "a backup set without backups");
    if (manifest) {
      std::set<std::string> present;
      for (const LaidOutBackup& b : layout.backups) present.insert(b.backup_id);
      for (const sysvol::BackupInst& listed : manifest->backups) {
        std::optional<std::string> id = core::NormalizeGuid(listed.id);
        if (!id || present.count(*id) == 0) {
          return UploadRejected(Join(base, "manifest.xml"),
                                "lists the backup " + listed.id + ", which is not in the upload");
        }
      }
    }
  }
  // Each backup's files, relative to its folder.
  for (LaidOutBackup& backup : layout.backups) {
    const std::string prefix = backup.folder.empty() ? "" : backup.folder + "/";
    for (const ExtractedFile& file : files) {
      if (file.path.compare(0, prefix.size(), prefix) != 0) continue;
      ExtractedFile relative = file;
      relative.path = file.path.substr(prefix.size());
      backup.files.push_back(std::move(relative));
    }
  }
  // GPMC's own XML files must be well formed: Backup.xml, bkupInfo.xml, gpreport.xml and every
  // XML file of the settings (DomainSysvol/...). Files a publisher left beside them are never
  // imported and are not read.
  for (const LaidOutBackup& backup : layout.backups) {
    for (const ExtractedFile& file : backup.files) {
      const bool own =
          EqualsNoCase(file.path, "Backup.xml") || EqualsNoCase(file.path, "bkupInfo.xml") ||
          EqualsNoCase(file.path, "gpreport.xml") ||
          (file.path.size() > 13 && EqualsNoCase(file.path.substr(0, 13), "DomainSysvol/") &&
           EndsWithNoCase(file.path, ".xml"));
      if (!own) continue;
      const std::string full = Join(backup.folder, file.path);
      if (core::Status s = CheckXml(staging, full, file.size); !s.ok()) return s.error();
    }
  }
  return layout;
}

}  // namespace gpop::transfer
