// Whether a running Samba domain controller serves a SYSVOL tree: gpop then opens the tree
// read-only, since Samba replicates and rewrites it behind gpop's back.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_DC_DETECTION_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_DC_DETECTION_H_

#include <filesystem>
#include <optional>
#include <string>

namespace gpop::sysvol {

// DetectRunningDc
//
// Why the tree at `sysvol_dir` is served by a running Samba domain controller, or nullopt.
// The rule: an ancestor of `sysvol_dir` (up to four levels up) is a Samba DC's root (it holds
// `private/sam.ldb`), and either a `samba.pid` file (in `<root>/run`, `<root>/var/run`, or, for
// the system install under /var/lib/samba, `/run/samba` and `/var/run/samba`) names a live
// process, or a running process whose program is `samba` has that root in its command line
// (`samba -s <root>/etc/smb.conf`; for /var/lib/samba any running `samba`).
std::optional<std::string> DetectRunningDc(const std::filesystem::path& sysvol_dir);

// DomainControllerName
//
// The domain controller named in backups: `configured` when set, else "<host name>.<domain>".
std::string DomainControllerName(const std::string& configured, const std::string& domain);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_DC_DETECTION_H_
