// Group commit of flushes (see sync_batch.h).

#include "service/backends/sysvol/sync_batch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace gpop::sysvol {
namespace {

core::Status SyncFs(int fd, const std::string& display) {
  if (::syncfs(fd) != 0) return ErrnoError(errno, "syncfs", display);
  return core::Status();
}

core::Status FsyncFolder(int fd, const std::string& display) {
  if (::fsync(fd) != 0) return ErrnoError(errno, "fsync", display);
  return core::Status();
}

}  // namespace

SyncBatch::SyncBatch(Scope scope)
    : SyncBatch(scope, scope == Scope::kFileSystem ? FlushFn(SyncFs) : FlushFn(FsyncFolder)) {}

SyncBatch::~SyncBatch() {
  core::MutexLock lock(&mu_);
  if (fd_ >= 0) ::close(fd_);
}

SyncBatch::Member::Member(Member&& other) noexcept
    : batch_(std::exchange(other.batch_, nullptr)),
      id_(other.id_),
      own_fd_(std::exchange(other.own_fd_, -1)),
      display_(std::move(other.display_)) {}

SyncBatch::Member::~Member() {
  if (own_fd_ >= 0) ::close(own_fd_);
  if (batch_ != nullptr && id_ != 0) batch_->Leave(id_);
}

core::Status SyncBatch::Member::Flush() const {
  if (own_fd_ >= 0) return batch_->flush_(own_fd_, display_);
  return batch_->FlushMember(id_);
}

core::Result<SyncBatch::Member> SyncBatch::Join(const Dir& dir) {
  struct stat st;
  if (::fstat(dir.fd(), &st) != 0) return ErrnoError(errno, "stat", dir.display());
  Key key;
  key.dev = st.st_dev;
  key.ino = scope_ == Scope::kFolder ? st.st_ino : 0;
  core::MutexLock lock(&mu_);
  if (fd_ < 0 || (!(key == key_) && members_.empty())) {
    // The first member, or the folder was replaced while no one was joined: the batch's
    // descriptor is this folder's, duplicated before the member's first write.
    int fd = ::fcntl(dir.fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return ErrnoError(errno, "dup", dir.display());
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    key_ = key;
    display_ = dir.display();
  }
  if (!(key == key_)) {
    int fd = ::fcntl(dir.fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return ErrnoError(errno, "dup", dir.display());
    return Member(this, 0, fd, dir.display());
  }
  const uint64_t id = next_id_++;
  members_.emplace(id, core::Status());
  return Member(this, id, -1, std::string());
}

void SyncBatch::Leave(uint64_t id) {
  core::MutexLock lock(&mu_);
  members_.erase(id);
}

uint64_t SyncBatch::flushes() const {
  core::MutexLock lock(&mu_);
  return started_;
}

size_t SyncBatch::waiting() const {
  core::MutexLock lock(&mu_);
  return waiting_;
}

core::Status SyncBatch::FlushMember(uint64_t id) {
  mu_.Lock();
  // A flush already running may have begun before this member's last write: only one that
  // begins after this call covers it.
  const uint64_t needed = started_ + 1;
  while (finished_ < needed) {
    if (running_) {
      ++waiting_;
      cv_.Wait(&mu_);
      --waiting_;
      continue;
    }
    running_ = true;
    const uint64_t number = ++started_;
    const int fd = fd_;  // not replaced while a member (this one) is joined
    const std::string display = display_;
    mu_.Unlock();
    core::Status s = flush_(fd, display);
    mu_.Lock();
    running_ = false;
    finished_ = number;
    if (!s.ok()) {
      for (auto& [member, status] : members_) {
        if (status.ok()) status = s;
      }
    }
    cv_.SignalAll();
  }
  core::Status out = members_.at(id);
  mu_.Unlock();
  return out;
}

}  // namespace gpop::sysvol
