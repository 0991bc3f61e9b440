// WAL checkpoints of one database file off the committing thread.

#ifndef GPOP_SERVICE_SQLITE_CHECKPOINTER_H_
#define GPOP_SERVICE_SQLITE_CHECKPOINTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "service/core/mutex.h"
#include "service/sqlite/database.h"

namespace gpop::sqlite {

// Checkpointer
//
// Copies the WAL of `writer`'s file into the file (a PASSIVE checkpoint, synced as the file's
// synchronous=FULL asks) on a thread and a connection of its own, so that a commit seldom
// copies pages or syncs the database file. It replaces the writer's automatic checkpoint: each
// time a commit of `writer` (its WAL hook) has added `pages` frames to the WAL since the last
// time, the thread is asked for a checkpoint. SQLite starts the WAL over at a write transaction
// that finds it wholly checkpointed; under a steady load commits land during the thread's
// checkpoints, so a commit that leaves 4 x `pages` frames checkpoints on the writer itself (the
// few frames the thread has not copied yet) and the WAL starts over: the file stays bounded
// (4 x `pages` pages and a commit's), whatever the thread manages.
//
// Thread-safe. The hook runs on the writer's committing thread (under the lock that serialises
// `writer`); destroy the Checkpointer before `writer`.
class Checkpointer {
 public:
  static absl::StatusOr<std::unique_ptr<Checkpointer>> Start(Database* writer, const Schema& schema,
                                                             const OpenOptions& options, int pages);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // For tests: waits until no asked checkpoint is pending or running.
  void WaitIdle() GPOP_EXCLUDES(mu_);
  // Checkpoints run by the thread, and by the committing thread (the backstop).
  int64_t checkpoints() GPOP_EXCLUDES(mu_);
  int64_t inline_checkpoints() GPOP_EXCLUDES(mu_);

 private:
  Checkpointer(Database* writer, std::unique_ptr<Database> own, int pages)
      : writer_(writer), own_(std::move(own)), pages_(pages) {}
  static int OnCommit(void* self, struct sqlite3* db, const char* name, int pages);
  void Loop() GPOP_EXCLUDES(mu_);

  Database* const writer_;
  const std::unique_ptr<Database> own_;  // used by the thread only
  static constexpr int kBackstop = 4;    // x pages_: the writer checkpoints itself
  const int pages_;
  int asked_at_ = 0;  // WAL frames at the last ask; used by the hook only (the writer's thread)
  core::Mutex mu_;
  core::CondVar cv_;
  bool asked_ GPOP_GUARDED_BY(mu_) = false;
  bool running_ GPOP_GUARDED_BY(mu_) = false;
  bool stop_ GPOP_GUARDED_BY(mu_) = false;
  int64_t checkpoints_ GPOP_GUARDED_BY(mu_) = 0;
  int64_t inline_checkpoints_ GPOP_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace gpop::sqlite

#endif  // GPOP_SERVICE_SQLITE_CHECKPOINTER_H_
