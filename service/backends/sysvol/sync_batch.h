// Group commit of flushes: one syncfs(2) of a file system, or one fsync(2) of a folder, shared by
// the writers that want it at about the same time (the backups of one location that make their
// staged trees durable, then their renames into the location).

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_SYNC_BATCH_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_SYNC_BATCH_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "service/backends/sysvol/safe_fs.h"
#include "service/core/error.h"
#include "service/core/mutex.h"

namespace gpop::sysvol {

// SyncBatch
//
// A writer Joins before its first write that the flush must cover, makes its writes, then calls
// Member::Flush, which returns once a flush that began after the call has ended: so it covers
// every write the member made before. While one flush runs, every writer that calls Flush waits,
// and the next flush (one for all of them) starts when it ends: at most one runs at a time and
// writers that arrive together share one.
//
// Errors: the flushes run on the batch's own descriptor, a duplicate of the first member's
// folder, opened before that member's writes and kept, so each reports every write-back error of
// what it covers since then (syncfs and fsync report an error once per open file). A failed flush
// fails every member joined at that moment, whether it is waiting or still writing (its pages may
// be the ones that failed), and each later Flush of those members: a member's Flush is OK only if
// no flush failed while it was joined. A member whose folder is not the batch's (another file
// system for kFileSystem, another folder for kFolder: the location was replaced) flushes alone
// through its own duplicate.
//
// Thread-safe.
class SyncBatch {
 public:
  enum class Scope { kFileSystem, kFolder };
  // How a flush runs through a descriptor (syncfs or fsync; tests count and fail them).
  using FlushFn = std::function<core::Status(int fd, const std::string& display)>;

  SyncBatch(Scope scope, FlushFn flush) : scope_(scope), flush_(std::move(flush)) {}
  // syncfs(2) (kFileSystem) or fsync(2) (kFolder) of the descriptor.
  explicit SyncBatch(Scope scope);
  ~SyncBatch();
  SyncBatch(const SyncBatch&) = delete;
  SyncBatch& operator=(const SyncBatch&) = delete;

  // Member
  //
  // One writer's place in the batch; leaves it when destroyed. Movable.
  class Member {
   public:
    Member(Member&& other) noexcept;
    Member& operator=(Member&&) = delete;
    ~Member();
    // Every write the member made before the call is durable when this returns OK.
    core::Status Flush() const;

   private:
    friend class SyncBatch;
    Member(SyncBatch* batch, uint64_t id, int own_fd, std::string display)
        : batch_(batch), id_(id), own_fd_(own_fd), display_(std::move(display)) {}
    SyncBatch* batch_;
    uint64_t id_;
    int own_fd_;  // >= 0: flushes alone through this descriptor (owned)
    std::string display_;
  };

  // Join
  //
  // Joins the batch for writes through `dir` (its file system, or the folder itself).
  core::Result<Member> Join(const Dir& dir);

  // The number of flushes run through the batch's descriptor, and of members waiting in Flush
  // for a flush to begin or end (tests).
  uint64_t flushes() const;
  size_t waiting() const;

 private:
  struct Key {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const Key& o) const { return dev == o.dev && ino == o.ino; }
  };
  core::Status FlushMember(uint64_t id);
  void Leave(uint64_t id);

  const Scope scope_;
  const FlushFn flush_;
  mutable core::Mutex mu_;
  core::CondVar cv_;
  int fd_ GPOP_GUARDED_BY(mu_) = -1;
  Key key_ GPOP_GUARDED_BY(mu_);
  std::string display_ GPOP_GUARDED_BY(mu_);
  uint64_t next_id_ GPOP_GUARDED_BY(mu_) = 1;
  // The joined members, each with the first error of a flush while it was joined.
  std::map<uint64_t, core::Status> members_ GPOP_GUARDED_BY(mu_);
  uint64_t started_ GPOP_GUARDED_BY(mu_) = 0;   // flushes begun
  uint64_t finished_ GPOP_GUARDED_BY(mu_) = 0;  // the last flush ended (by number)
  bool running_ GPOP_GUARDED_BY(mu_) = false;
  size_t waiting_ GPOP_GUARDED_BY(mu_) = 0;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_SYNC_BATCH_H_
