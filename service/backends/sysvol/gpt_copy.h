// Copying the Machine/ and User/ trees of a GPT-shaped folder (a live GPT or a backup's
// DomainSysvol/GPO) into another, durably, with progress and cancellation: the one copy loop of
// backup, restore, import and copy.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_GPT_COPY_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_GPT_COPY_H_

#include <algorithm>
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
// Rate-limited at the source: the sink hears of the start, of every advance that crosses the
// next 1/kSteps of `total`, and of reaching `total`, so an operation reports at most about
// kSteps + 2 values however many chunks and files it moves.
class CopyProgress {
 public:
  static constexpr int64_t kSteps = 200;

  CopyProgress(core::ProgressSink& sink, core::CancelToken& cancel, int64_t total)
      : sink_(sink), cancel_(cancel), total_(total), step_(std::max<int64_t>(1, total / kSteps)) {}

  bool Cancelled() const { return cancel_.cancel_requested(); }
  void Advance(int64_t units) {
    done_ += units;
    const int64_t shown = std::min(done_, total_);
    if (shown < next_ && shown < total_) return;
    if (shown == reported_) return;
    reported_ = shown;
    next_ = shown + step_;
    sink_.Progress(shown, total_);
  }
  void Start() {
    reported_ = 0;
    next_ = step_;
    sink_.Progress(0, total_);
  }

 private:
  core::ProgressSink& sink_;
  core::CancelToken& cancel_;
  const int64_t total_;
  const int64_t step_;
  int64_t done_ = 0;
  int64_t next_ = 0;       // the next value worth reporting
  int64_t reported_ = -1;  // the last value reported
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
// top, names below as found). With FileSync::kNow every file is fsynced and every folder
// created is fsynced as soon as its content is complete (children before parents), so open
// descriptors stay bounded by depth; with kLater nothing is, and the caller makes the copy
// durable with one Dir::SyncFileSystem. `skip` (may be null) leaves entries out, with their
// subtrees for folders. A cancel stops it with CANCELLED.
core::Status CopyGptSides(const Dir& src, const GptTree& tree, const Dir& dst,
                          CopyProgress& progress,
                          const std::function<bool(const TreeEntry&)>& skip = nullptr,
                          FileSync sync = FileSync::kNow);

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_GPT_COPY_H_
