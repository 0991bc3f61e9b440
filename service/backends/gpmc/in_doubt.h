// Resources GPMC may still be writing after the adapter gave up on an operation.
//
// When an operation ends with NO_FINAL_STATUS, the engine releases its locks, but GPMC may go
// on writing the GPO (or the backup folder) in the background: Cancel promises nothing
// (shared/reference/gpmc-async.md). So the adapter keeps that operation's claims itself,
// until GPMC is known to be done with it (StatusChannel::WhenGpmcDone), and refuses every run
// that touches them meanwhile.

#ifndef GPOP_SERVICE_BACKENDS_GPMC_IN_DOUBT_H_
#define GPOP_SERVICE_BACKENDS_GPMC_IN_DOUBT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "service/core/backend.h"
#include "service/core/mutex.h"

namespace gpop::gpmc {

// InDoubtResources
//
// Resource claims ("gpo:{GUID}", "backup-location:name", as core::ResourceClaim names them)
// held for operations GPMC may still be working on. Two claims on one resource conflict when
// either writes, as the engine's locks do. Thread-safe; no method waits but for the
// short lock.
class InDoubtResources {
 public:
  using MarkId = uint64_t;

  // Holds `claims` for `operation_id`; returns the id that `Clear` takes.
  MarkId Mark(std::string operation_id, std::vector<core::ResourceClaim> claims);

  // Releases what one `Mark` held. Clearing twice is harmless.
  void Clear(MarkId id);

  // The operation whose held claim conflicts with `claim`, if any.
  std::optional<std::string> Conflict(const core::ResourceClaim& claim) const;

  // How many marks are held.
  size_t size() const;

 private:
  struct Entry {
    std::string operation_id;
    std::vector<core::ResourceClaim> claims;
  };
  mutable core::Mutex mu_;
  MarkId next_id_ GPOP_GUARDED_BY(mu_) = 1;
  std::map<MarkId, Entry> marks_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::gpmc

#endif  // GPOP_SERVICE_BACKENDS_GPMC_IN_DOUBT_H_
