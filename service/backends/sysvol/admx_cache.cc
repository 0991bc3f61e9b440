// The ADMX cache (see admx_cache.h).

#include "service/backends/sysvol/admx_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <optional>

#include "service/backends/sysvol/format/text_util.h"

namespace gpop::sysvol {
namespace {

constexpr size_t kMaxTemplateBytes = 32u << 20;
constexpr char kLanguage[] = "en-US";

bool HasExtension(const std::string& name, std::string_view ext) {
  return name.size() > ext.size() &&
         internal::EqualsNoCase(std::string_view(name).substr(name.size() - ext.size()), ext);
}

std::string LowerStem(const std::string& name) {
  return internal::AsciiLower(name.substr(0, name.rfind('.')));
}

core::StatusMessage AdmxWarning(std::string object_path, std::string message) {
  core::StatusMessage m;
  m.object_path = std::move(object_path);
  m.extension_name = "Administrative Templates";
  m.message = std::move(message);
  m.severity = core::Severity::kWarning;
  return m;
}

// "<name>:<size>:<mtime ns>;" for one entry of `dir` (links are not followed).
std::string Stamp(const Dir& dir, const std::string& name) {
  struct stat st;
  if (::fstatat(dir.fd(), name.empty() ? "." : name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return name + ":?;";
  }
  return name + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ";";
}

// The templates of PolicyDefinitions: the .admx names and the language folder, if any.
struct TemplateFiles {
  std::vector<std::string> admx;
  std::optional<Dir> language;
  std::vector<std::string> adml;
};

core::Result<TemplateFiles> ListTemplates(const Dir& dir) {
  TemplateFiles out;
  core::Result<std::vector<DirEntry>> entries = dir.List();
  if (!entries.ok()) return entries.error();
  for (const DirEntry& e : *entries) {
    if (e.type == EntryType::kFile && HasExtension(e.name, ".admx")) out.admx.push_back(e.name);
  }
  std::sort(out.admx.begin(), out.admx.end());
  core::Result<std::optional<DirEntry>> lang = dir.FindNoCase(kLanguage);
  if (!lang.ok()) return lang.error();
  if (*lang && (*lang)->type == EntryType::kDirectory) {
    core::Result<Dir> lang_dir = dir.OpenSubdir((*lang)->name);
    if (!lang_dir.ok()) return lang_dir.error();
    core::Result<std::vector<DirEntry>> files = lang_dir->List();
    if (!files.ok()) return files.error();
    for (const DirEntry& e : *files) {
      if (e.type == EntryType::kFile && HasExtension(e.name, ".adml")) out.adml.push_back(e.name);
    }
    out.language = std::move(*lang_dir);
  }
  return out;
}

std::string Fingerprint(const Dir& dir, const TemplateFiles& files) {
  std::string out = Stamp(dir, "");
  for (const std::string& name : files.admx) out += Stamp(dir, name);
  if (files.language) {
    out += "|" + Stamp(*files.language, "");
    for (const std::string& name : files.adml) out += Stamp(*files.language, name);
  }
  return out;
}

LoadedAdmx LoadTemplates(const Dir& dir, const TemplateFiles& files) {
  LoadedAdmx out;
  std::map<std::string, std::string> adml;  // lower-case stem -> bytes
  for (const std::string& name : files.adml) {
    core::Result<std::string> bytes = files.language->ReadFile(name, kMaxTemplateBytes);
    if (!bytes.ok()) {
      out.warnings.push_back(AdmxWarning(JoinDisplay(files.language->display(), name),
                                         "language file left out: " + bytes.error().message));
      continue;
    }
    adml[LowerStem(name)] = std::move(*bytes);
  }
  auto catalog = std::make_shared<AdmxCatalog>();
  for (const std::string& name : files.admx) {
    const std::string display = JoinDisplay(dir.display(), name);
    core::Result<std::string> bytes = dir.ReadFile(name, kMaxTemplateBytes);
    if (!bytes.ok()) {
      out.warnings.push_back(AdmxWarning(display, "template left out: " + bytes.error().message));
      continue;
    }
    auto it = adml.find(LowerStem(name));
    const std::string_view language = it == adml.end() ? std::string_view() : it->second;
    // AddFile checks the whole file before it adds anything: a failed file leaves no trace.
    if (core::Status s = catalog->AddFile(*bytes, language, "PolicyDefinitions/" + name); !s.ok()) {
      out.warnings.push_back(AdmxWarning(display, "template left out: " + s.error().message));
    }
  }
  catalog->Finish();
  out.catalog = std::move(catalog);
  return out;
}

}  // namespace

LoadedAdmx AdmxCache::Load(const Dir& policies) const {
  core::Result<std::optional<DirEntry>> found = policies.FindNoCase("PolicyDefinitions");
  if (!found.ok()) {
    return {nullptr,
            {AdmxWarning(JoinDisplay(policies.display(), "PolicyDefinitions"),
                         "ADMX templates not read: " + found.error().message)}};
  }
  if (!*found || (*found)->type != EntryType::kDirectory) return {};
  core::Result<Dir> dir = policies.OpenSubdir((*found)->name);
  core::Result<TemplateFiles> files =
      dir.ok() ? ListTemplates(*dir) : core::Result<TemplateFiles>(dir.error());
  if (!files.ok()) {
    return {nullptr,
            {AdmxWarning(JoinDisplay(policies.display(), (*found)->name),
                         "ADMX templates not read: " + files.error().message)}};
  }
  const std::string fingerprint = Fingerprint(*dir, *files);
  {
    core::MutexLock lock(&mu_);
    if (valid_ && fingerprint_ == fingerprint) return loaded_;
  }
  LoadedAdmx loaded = LoadTemplates(*dir, *files);
  core::MutexLock lock(&mu_);
  loaded_ = loaded;
  fingerprint_ = fingerprint;
  valid_ = true;
  return loaded;
}

}  // namespace gpop::sysvol
