#include "service/sqlite/checkpointer.h"

#include <sqlite3.h>

#include <utility>

namespace gpop::sqlite {

absl::StatusOr<std::unique_ptr<Checkpointer>> Checkpointer::Start(Database* writer,
                                                                  const Schema& schema,
                                                                  const OpenOptions& options,
                                                                  int pages) {
  OpenOptions own = options;
  own.create = false;
  own.check_integrity = false;
  absl::StatusOr<std::unique_ptr<Database>> db = Database::Open(writer->path(), schema, own);
  if (!db.ok()) return db.status();
  std::unique_ptr<Checkpointer> checkpointer(new Checkpointer(writer, *std::move(db), pages));
  // Replaces the writer's autocheckpoint (which is a WAL hook of SQLite's own).
  sqlite3_wal_hook(writer->handle(), &Checkpointer::OnCommit, checkpointer.get());
  checkpointer->thread_ = std::thread([c = checkpointer.get()] { c->Loop(); });
  return checkpointer;
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(writer_->handle(), nullptr, nullptr);
  {
    core::MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  thread_.join();
}

int Checkpointer::OnCommit(void* self, sqlite3* db, const char* name, int pages) {
  auto* c = static_cast<Checkpointer*>(self);
  // `pages`: the frames in the WAL, which restarts from 0 after a complete checkpoint.
  if (pages < c->asked_at_) c->asked_at_ = 0;
  if (pages - c->asked_at_ < c->pages_) return SQLITE_OK;
  c->asked_at_ = pages;
  if (pages >= kBackstop * c->pages_) {
    // The thread is behind: bound the WAL here. BUSY (the thread is checkpointing) is fine.
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    core::MutexLock lock(&c->mu_);
    ++c->inline_checkpoints_;
    return SQLITE_OK;
  }
  core::MutexLock lock(&c->mu_);
  c->asked_ = true;
  c->cv_.SignalAll();
  return SQLITE_OK;
}

void Checkpointer::Loop() {
  mu_.Lock();
  for (;;) {
    while (!asked_ && !stop_) cv_.Wait(&mu_);
    if (stop_) break;
    asked_ = false;
    running_ = true;
    mu_.Unlock();
    // Best effort: a failed or partial checkpoint leaves the frames for the next one.
    (void)sqlite3_wal_checkpoint_v2(own_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                    nullptr);
    mu_.Lock();
    running_ = false;
    ++checkpoints_;
    cv_.SignalAll();
  }
  mu_.Unlock();
}

void Checkpointer::WaitIdle() {
  core::MutexLock lock(&mu_);
  while ((asked_ || running_) && !stop_) cv_.Wait(&mu_);
}

int64_t Checkpointer::checkpoints() {
  core::MutexLock lock(&mu_);
  return checkpoints_;
}

int64_t Checkpointer::inline_checkpoints() {
  core::MutexLock lock(&mu_);
  return inline_checkpoints_;
}

}  // namespace gpop::sqlite
