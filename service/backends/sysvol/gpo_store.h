// The GPO store: the GPTs under <sysvol>/Policies/{GUID}/ joined with their container half from
// the metadata store (or defaults where it knows nothing, as for a tree Samba's provisioning
// wrote), addressable by GUID or display name.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_GPO_STORE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_GPO_STORE_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/metadata_store.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/backends/sysvol/sysvol_config.h"
#include "service/core/error.h"
#include "service/core/operation.h"

namespace gpop::sysvol {

// Well-known GPOs every domain has, with the display names Windows and Samba give them.
inline constexpr char kDefaultDomainPolicyGuid[] = "{31B2F340-016D-11D2-945F-00C04FB984F9}";
inline constexpr char kDefaultDomainControllersPolicyGuid[] =
    "{6AC1786C-016F-11D2-945F-00C04FB984F9}";

// GpoEntry
//
// One GPO: the container half (`info`, with the directory version) and where its GPT is.
struct GpoEntry {
  core::GpoInfo info;
  std::string folder;           // the name under Policies/, case as found
  uint32_t sysvol_version = 0;  // GPT.INI Version=
  std::string machine_extension_guids;
  std::string user_extension_guids;
  std::string security_descriptor;           // GpoMetadata's; empty: none known
  bool has_metadata = false;                 // the metadata store has a row for it
  std::optional<core::Error> gpt_ini_error;  // GPT.INI unreadable or corrupt
};

// GpoStore
//
// Reads the tree on every call (no cache: the tree may change under it). Thread-safe (holds
// only immutable configuration and a thread-safe MetadataStore).
class GpoStore {
 public:
  GpoStore(SysvolConfig config, MetadataStore* metadata)
      : config_(std::move(config)), metadata_(metadata) {}

  // OpenPolicies
  //
  // The Policies folder (found case-insensitively) inside the sysvol folder.
  core::Result<Dir> OpenPolicies() const;

  // List
  //
  // Every GPT folder named by a braced GUID, sorted by GUID. Folders that are links are skipped
  // (they cannot be used safely); a corrupt GPT.INI is recorded in the entry.
  core::Result<std::vector<GpoEntry>> List() const;

  // Generation
  //
  // Changes whenever List's answer may have: the Policies folder's change time, modification
  // time, link count and inode (GPT folders created, removed or renamed) and the metadata
  // store's GposGeneration (GPOs written by gpop or by another process). nullopt when that
  // cannot be read, or while the folder changed less than kRacyWindow before `now` (a change
  // within the file system's timestamp granularity would not show). Not seen: an edit in place
  // of the GPT.INI of a GPO the metadata store does not know (its name and version come from
  // there) until one of the above changes.
  static constexpr std::chrono::seconds kRacyWindow{2};
  std::optional<uint64_t> Generation(std::chrono::system_clock::time_point now) const;

  // Resolve
  //
  // The GPO `ref` names: by GUID (any case, braces optional) or by display name
  // (case-insensitive). NOT_FOUND/GPO_NOT_FOUND when none, FAILED_PRECONDITION/
  // GPO_NAME_AMBIGUOUS when several GPOs share the name.
  core::Result<GpoEntry> Resolve(const core::GpoRef& ref) const;

  // OpenGpt
  //
  // The GPT folder of `gpo`, inside `policies`.
  core::Result<Dir> OpenGpt(const Dir& policies, const GpoEntry& gpo) const;

 private:
  core::Result<GpoEntry> LoadEntry(const Dir& policies, const std::string& folder,
                                   const std::string& guid) const;

  const SysvolConfig config_;
  MetadataStore* const metadata_;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_GPO_STORE_H_
