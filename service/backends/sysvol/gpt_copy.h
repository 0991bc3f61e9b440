// Copying the Machine/ and User/ trees of a GPT-shaped folder (a live GPT or a backup's
// DomainSysvol/GPO) into another, durably, with progress and cancellation: the one copy loop of
// backup, restore, import and copy.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_GPT_COPY_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_GPT_COPY_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/core/backend.h"

namespace gpop::sysvol {

// CopyProgress
//
// Progress over `total` units (bytes plus one per entry and per extra step); thread-compatible.
class CopyProgress {
 public:
  CopyProgress(core::ProgressSink& sink, core::CancelToken& cancel, int64_t total)
      : sink_(sink), cancel_(cancel), total_(total) {}

  bool Cancelled() const { return cancel_.cancel_requested(); }
  void Advance(int64_t units) {
    done_ += units;
    sink_.Progress(std::min(done_, total_), total_);
  }
  void Start() { sink_.Progress(0, total_); }

 private:
  core::ProgressSink& sink_;
  core::CancelToken& cancel_;
  const int64_t total_;
  int64_t done_ = 0;
};

// CheckTreeNames
//
// One error status message for every entry of `tree` whose name is not valid UTF-8 or holds a
// control character (Backup.xml and SMB clients cannot carry it), naming the entry below
// `gpt_display`. Empty when all names are fine.
std::vector<core::StatusMessage> CheckTreeNames(const GptTree& tree,
                                                const std::string& gpt_display);

// CopyGptSides
//
// Copies the sides of `tree` (walked from `src`) into `dst` (canonical "Machine"/"User" at the
// top, names below as found). Every folder created is fsynced as soon as its content is
// complete (children before parents), so open descriptors stay bounded by depth. `skip` (may be
// null) leaves entries out, with their subtrees for folders. A cancel stops it with CANCELLED.
core::Status CopyGptSides(const Dir& src, const GptTree& tree, const Dir& dst,
                          CopyProgress& progress,
                          const std::function<bool(const TreeEntry&)>& skip = nullptr);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_GPT_COPY_H_
