// A GPO store that gpop writes itself, with its own writers only (no fetched data): a few GPOs
// with realistic settings for the README's first command, and a generator of large stores for
// tests and benchmarks.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_DEMO_STORE_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_DEMO_STORE_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

// DemoGpo
//
// A GPO written into a demo store.
struct DemoGpo {
  std::string guid;
  std::string display_name;
};

// WriteDemoStore
//
// Creates `sysvol_dir`/Policies/ (the folder may exist; GPT folders already there are replaced)
// with four GPOs: "Default Domain Policy" (password and lockout policy, Kerberos), "Workstation
// Baseline" (screen saver, Windows Update, firewall, SMB signing, user-side settings),
// "Server Hardening" (SMB signing, NTLM, services, user rights, registry values) and "Audit
// Policy" (legacy and advanced audit). GPT.INI carries each display name, so that a backend
// opening the store with an empty metadata store finds them. Returns the GPOs written.
core::Result<std::vector<DemoGpo>> WriteDemoStore(const std::filesystem::path& sysvol_dir);

// WriteLargeStore
//
// Creates `sysvol_dir`/Policies/ with `gpo_count` GPOs named "Generated GPO 0001"... whose
// registry.pol files (plus a security template and audit.csv each) hold about `megabytes` MB in
// total. Deterministic for given arguments.
core::Result<std::vector<DemoGpo>> WriteLargeStore(const std::filesystem::path& sysvol_dir,
                                                   int gpo_count, int megabytes);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_DEMO_STORE_H_
