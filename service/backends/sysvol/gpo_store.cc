// The GPO store over Policies/ and the metadata store (see gpo_store.h).

#include "service/backends/sysvol/gpo_store.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "service/backends/sysvol/format/gpt_ini.h"
#include "service/core/guid.h"

namespace gpop::sysvol {
namespace {

constexpr size_t kMaxGptIniBytes = 64u << 10;

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::chrono::system_clock::time_point FromMs(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

std::chrono::system_clock::time_point FromTimespec(const struct timespec& ts) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
}

// The braced GUID a GPT folder is named by, or nullopt for other folders (PolicyDefinitions).
std::optional<std::string> FolderGuid(const std::string& name) {
  if (name.size() != 38 || name.front() != '{' || name.back() != '}') return std::nullopt;
  return core::NormalizeGuid(name);
}

}  // namespace

core::Result<Dir> GpoStore::OpenPolicies() const {
  core::Result<Dir> root = Dir::OpenRoot(config_.sysvol_dir, "sysvol");
  if (!root.ok()) return root.error();
  core::Result<std::optional<DirEntry>> found = root->FindNoCase("Policies");
  if (!found.ok()) return found.error();
  if (!*found) {
    return core::MakeError(core::Code::kFailedPrecondition, core::reason::kIoError,
                           "sysvol: no Policies folder in " + config_.sysvol_dir.string());
  }
  // Messages name files relative to the sysvol folder: "sysvol/Policies/{GUID}/...".
  return root->OpenSubdir((*found)->name);
}

core::Result<GpoEntry> GpoStore::LoadEntry(const Dir& policies, const std::string& folder,
                                           const std::string& guid) const {
  GpoEntry entry;
  entry.folder = folder;
  entry.info.guid = guid;
  entry.info.domain = config_.domain;
  core::Result<Dir> gpt = policies.OpenSubdir(folder);
  if (!gpt.ok()) return gpt.error();

  std::optional<std::string> ini_name;
  core::Result<std::optional<DirEntry>> ini_entry = gpt->FindNoCase("GPT.INI");
  if (!ini_entry.ok()) return ini_entry.error();
  std::optional<GptIni> ini;
  if (*ini_entry) {
    core::Result<std::string> bytes = gpt->ReadFile((*ini_entry)->name, kMaxGptIniBytes);
    core::Result<GptIni> parsed =
        bytes.ok() ? ParseGptIni(*bytes, JoinDisplay(gpt->display(), (*ini_entry)->name))
                   : core::Result<GptIni>(bytes.error());
    if (parsed.ok()) {
      ini = std::move(*parsed);
      entry.sysvol_version = ini->version;
    } else {
      entry.gpt_ini_error = parsed.error();
    }
  }

  struct stat st;
  bool have_stat = ::fstat(gpt->fd(), &st) == 0;

  core::Result<std::optional<GpoMetadata>> meta = metadata_->GetGpo(guid);
  if (!meta.ok()) return meta.error();
  if (*meta) {
    const GpoMetadata& m = **meta;
    entry.has_metadata = true;
    entry.info.display_name = m.display_name;
    entry.info.flags = m.flags;
    entry.info.version = m.version;
    // Times the store does not know come from the GPT folder, as for a GPO it has not seen.
    entry.info.created = m.created_ms != 0 ? FromMs(m.created_ms)
                         : have_stat       ? FromTimespec(st.st_ctim)
                                           : FromMs(0);
    entry.info.modified = m.modified_ms != 0 ? FromMs(m.modified_ms)
                          : have_stat        ? FromTimespec(st.st_mtim)
                                             : FromMs(0);
    entry.machine_extension_guids = m.machine_extension_guids;
    entry.user_extension_guids = m.user_extension_guids;
    entry.security_descriptor = m.security_descriptor;
  } else {
    // Defaults for a tree gpop has not seen before (a Samba provisioning, a copied SYSVOL).
    if (guid == kDefaultDomainPolicyGuid) {
      entry.info.display_name = "Default Domain Policy";
    } else if (guid == kDefaultDomainControllersPolicyGuid) {
      entry.info.display_name = "Default Domain Controllers Policy";
    } else if (ini && ini->display_name && !ini->display_name->empty()) {
      entry.info.display_name = *ini->display_name;
    } else {
      entry.info.display_name = guid;
    }
    entry.info.version = entry.sysvol_version;
    if (have_stat) {
      entry.info.created = FromTimespec(st.st_ctim);
      entry.info.modified = FromTimespec(st.st_mtim);
    }
  }
  return entry;
}

std::optional<uint64_t> GpoStore::Generation(std::chrono::system_clock::time_point now) const {
  core::Result<Dir> policies = OpenPolicies();
  if (!policies.ok()) return std::nullopt;
  struct stat st;
  if (::fstat(policies->fd(), &st) != 0) return std::nullopt;
  const auto changed = std::max(FromTimespec(st.st_mtim), FromTimespec(st.st_ctim));
  if (now - changed < kRacyWindow) return std::nullopt;
  core::Result<uint64_t> metadata = metadata_->GposGeneration();
  if (!metadata.ok()) return std::nullopt;
  // FNV-1a over the parts.
  uint64_t h = 14695981039346656037ull;
  auto mix = [&h](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xff;
      h *= 1099511628211ull;
    }
  };
  mix(static_cast<uint64_t>(st.st_mtim.tv_sec));
  mix(static_cast<uint64_t>(st.st_mtim.tv_nsec));
  mix(static_cast<uint64_t>(st.st_ctim.tv_sec));
  mix(static_cast<uint64_t>(st.st_ctim.tv_nsec));
  mix(static_cast<uint64_t>(st.st_nlink));
  mix(static_cast<uint64_t>(st.st_ino));
  mix(*metadata);
  return h;
}

core::Result<std::vector<GpoEntry>> GpoStore::List() const {
  core::Result<Dir> policies = OpenPolicies();
  if (!policies.ok()) return policies.error();
  core::Result<std::vector<DirEntry>> entries = policies->List();
  if (!entries.ok()) return entries.error();
  std::map<std::string, GpoEntry> by_guid;
  for (const DirEntry& e : *entries) {
    if (e.type != EntryType::kDirectory) continue;
    std::optional<std::string> guid = FolderGuid(e.name);
    if (!guid || by_guid.count(*guid)) continue;
    core::Result<GpoEntry> entry = LoadEntry(*policies, e.name, *guid);
    if (!entry.ok()) return entry.error();
    by_guid.emplace(*guid, std::move(*entry));
  }
  std::vector<GpoEntry> out;
  for (auto& [guid, entry] : by_guid) out.push_back(std::move(entry));
  return out;
}

core::Result<GpoEntry> GpoStore::Resolve(const core::GpoRef& ref) const {
  if (!ref.guid.empty()) {
    std::optional<std::string> guid = core::NormalizeGuid(ref.guid);
    if (!guid) return core::InvalidField("gpo.guid", "is not a GUID");
    core::Result<Dir> policies = OpenPolicies();
    if (!policies.ok()) return policies.error();
    core::Result<std::optional<DirEntry>> found = policies->FindNoCase(*guid);
    if (!found.ok()) return found.error();
    if (!*found) {
      return core::MakeError(core::Code::kNotFound, core::reason::kGpoNotFound,
                             "no GPO " + *guid + " in the store", {{"gpo", *guid}});
    }
    if ((*found)->type == EntryType::kSymlink) {
      return PathEscape(JoinDisplay(policies->display(), (*found)->name),
                        "is a symbolic link; gpop does not follow links");
    }
    return LoadEntry(*policies, (*found)->name, *guid);
  }
  core::Result<std::vector<GpoEntry>> all = List();
  if (!all.ok()) return all.error();
  std::string wanted = LowerAscii(ref.display_name);
  std::vector<GpoEntry> matches;
  for (GpoEntry& e : *all) {
    if (LowerAscii(e.info.display_name) == wanted) matches.push_back(std::move(e));
  }
  if (matches.empty()) {
    return core::MakeError(core::Code::kNotFound, core::reason::kGpoNotFound,
                           "no GPO named \"" + ref.display_name + "\" in the store",
                           {{"display_name", ref.display_name}});
  }
  if (matches.size() > 1) {
    std::string guids;
    for (const GpoEntry& e : matches) guids += (guids.empty() ? "" : ", ") + e.info.guid;
    return core::MakeError(
        core::Code::kFailedPrecondition, core::reason::kGpoAmbiguous,
        "several GPOs are named \"" + ref.display_name + "\" (" + guids + "): name the GPO by GUID",
        {{"display_name", ref.display_name}});
  }
  return std::move(matches.front());
}

core::Result<Dir> GpoStore::OpenGpt(const Dir& policies, const GpoEntry& gpo) const {
  return policies.OpenSubdir(gpo.folder);
}

}  // namespace gpop::sysvol
