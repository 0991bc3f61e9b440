// GPMC's COM objects read into gpop's types: GPOs, backups, OLE dates, BSTR properties and
// collections, and the names the adapter derives from them (resource names, migration-table
// files). Windows only.

#ifndef GPOP_SERVICE_BACKENDS_GPMC_GPMC_OBJECTS_H_
#define GPOP_SERVICE_BACKENDS_GPMC_GPMC_OBJECTS_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <gpmgmt.h>
// clang-format on

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service/backends/gpmc/com_util.h"
#include "service/core/operation.h"

namespace gpop::gpmc {

// ReadString
//
// A BSTR property as UTF-8: `get(BSTR*)` is the property's getter; empty when it fails.
template <typename Getter>
std::string ReadString(Getter get) {
  Bstr value;
  if (FAILED(get(value.Put()))) return std::string();
  return value.Utf8();
}

// Members
//
// The members of a GPMC collection (GPMGPOCollection, GPMBackupCollection), as interface `I`.
// In the collection's order (ForEachItem).
template <typename I, typename Collection>
std::vector<ComPtr<I>> Members(Collection* collection) {
  std::vector<ComPtr<I>> out;
  ForEachItem(collection, [&](const Variant& item) {
    if (IUnknown* unknown = item.AsUnknown()) {
      if (auto member = ComPtr<IUnknown>::Share(unknown).template As<I>()) out.push_back(member);
    }
  });
  return out;
}

// FromDate
//
// An OLE automation DATE (days since 1899-12-30, UTC here) as a time point; 0 is the epoch's
// default (unset).
std::chrono::system_clock::time_point FromDate(DATE date);

// ReadGpo
//
// A GPO's identity, versions, flags and times (the GUID normalized).
core::GpoInfo ReadGpo(IGPMGPO* gpo);

// GpoResource
//
// The resource name the engine's claims use for a GPO ("gpo:{GUID}").
std::string GpoResource(IGPMGPO* gpo);

// ReadBackup
//
// A backup in `location` (the location's name, not its directory), as listings and results
// show it.
core::BackupInfo ReadBackup(IGPMBackup* backup, const std::string& location);

// BackupFolderBytes
//
// The bytes of the files under the folder of backup `backup_id` ("{GUID}") in the backup
// directory `dir` — what GPMC wrote for it; nullopt when the folder cannot be read (then the
// size is unknown, not zero).
std::optional<uint64_t> BackupFolderBytes(const std::string& dir, const std::string& backup_id);

// MigrationTableFile
//
// The file of the migration table `name` in `dir`: "<dir>\<name>.migtable" (a name already
// ending in ".migtable", in any case, is used as is).
std::string MigrationTableFile(const std::string& dir, const std::string& name);

// Describe
//
// A GPO reference for messages: "GPO {GUID}" or "GPO \"name\"".
std::string Describe(const core::GpoRef& gpo);

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_GPMC_OBJECTS_H_
