// Root-confined file access over openat(2) and friends (see safe_fs.h).

#include "service/backends/sysvol/safe_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "service/backends/sysvol/format/format_error.h"

namespace gpop::sysvol {
namespace {

constexpr size_t kCopyChunk = 1u << 20;
constexpr int kMaxRemoveDepth = 256;

char AsciiLowerChar(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLowerChar(a[i]) != AsciiLowerChar(b[i])) return false;
  }
  return true;
}

EntryType TypeOf(mode_t mode) {
  if (S_ISREG(mode)) return EntryType::kFile;
  if (S_ISDIR(mode)) return EntryType::kDirectory;
  if (S_ISLNK(mode)) return EntryType::kSymlink;
  return EntryType::kOther;
}

// Closes an fd on scope exit unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

core::Status CheckName(std::string_view name, const std::string& parent_display) {
  if (!IsSafeName(name)) {
    return PathEscape(JoinDisplay(parent_display, name), "not a plain file name");
  }
  return core::Status();
}

// Opens a regular file for reading without following links and without blocking on FIFOs.
core::Result<int> OpenRegularFile(int dir_fd, const std::string& name, const std::string& display,
                                  struct stat* st) {
  // Look before opening: opening a device can have effects of its own. The fstat after the open
  // then checks that the file opened is the one looked at.
  struct stat before;
  if (::fstatat(dir_fd, name.c_str(), &before, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoError(errno, "stat", display);
  }
  if (S_ISLNK(before.st_mode)) {
    return PathEscape(display, "is a symbolic link; gpop does not follow links");
  }
  if (!S_ISREG(before.st_mode)) return PathEscape(display, "is not a regular file");
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP)
      return PathEscape(display, "is a symbolic link; gpop does not follow links");
    return ErrnoError(errno, "open", display);
  }
  FdCloser closer(fd);
  if (::fstat(fd, st) != 0) return ErrnoError(errno, "stat", display);
  if (!S_ISREG(st->st_mode)) return PathEscape(display, "is not a regular file");
  if (st->st_dev != before.st_dev || st->st_ino != before.st_ino) {
    return PathEscape(display, "changed while it was being opened");
  }
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return closer.release();
}

core::Status WriteAll(int fd, const char* data, size_t size, const std::string& display) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "write", display);
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return core::Status();
}

core::Status RemoveTreeAt(int dir_fd, const std::string& name, const std::string& display,
                          int depth) {
  if (depth > kMaxRemoveDepth) return PathEscape(display, "is nested too deeply to remove");
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return core::Status();
    return ErrnoError(errno, "stat", display);
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoError(errno, "unlink", display);
    }
    return core::Status();
  }
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", display);
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    ::close(fd);
    return ErrnoError(err, "opendir", display);
  }
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  core::Status status;
  for (const std::string& n : names) {
    status = RemoveTreeAt(::dirfd(d), n, JoinDisplay(display, n), depth + 1);
    if (!status.ok()) break;
  }
  ::closedir(d);
  if (!status.ok()) return status;
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoError(errno, "rmdir", display);
  }
  return core::Status();
}

}  // namespace

bool IsSafeName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  return name.find_first_of(std::string_view("/\\\0", 3)) == std::string_view::npos;
}

std::string JoinDisplay(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  if (name.empty()) return std::string(parent);
  std::string out(parent);
  out += '/';
  out += name;
  return out;
}

core::Error ErrnoError(int err, std::string_view what, std::string_view display) {
  std::string message = std::string(display) + ": " + std::string(what) + ": " + ::strerror(err);
  std::map<std::string, std::string> metadata = {{"file", std::string(display)}};
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      return core::MakeError(core::Code::kNotFound, core::reason::kIoError, message, metadata);
    case EACCES:
    case EPERM:
    case EROFS:
      return core::MakeError(core::Code::kPermissionDenied, core::reason::kAccessDenied, message,
                             metadata);
    case ENOSPC:
    case EDQUOT:
      return core::MakeError(core::Code::kResourceExhausted, core::reason::kIoError, message,
                             metadata);
    default:
      return core::MakeError(core::Code::kInternal, core::reason::kIoError, message, metadata);
  }
}

core::Error PathEscape(std::string_view display, std::string_view problem) {
  return core::MakeError(core::Code::kFailedPrecondition, core::reason::kPathEscape,
                         std::string(display) + ": " + std::string(problem),
                         {{"file", std::string(display)}});
}

Dir::~Dir() {
  if (fd_ >= 0) ::close(fd_);
}

Dir::Dir(Dir&& other) noexcept : fd_(other.fd_), display_(std::move(other.display_)) {
  other.fd_ = -1;
}

Dir& Dir::operator=(Dir&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    display_ = std::move(other.display_);
    other.fd_ = -1;
  }
  return *this;
}

core::Result<Dir> Dir::OpenRoot(const std::filesystem::path& path, std::string display,
                                bool create) {
  if (path.empty()) {
    return core::MakeError(core::Code::kFailedPrecondition, core::reason::kLocationNotFound,
                           display + ": no folder configured");
  }
  if (create) {
    if (::mkdir(path.c_str(), 0755) == 0) {
      // A new folder exists durably only once its parent is synced.
      std::filesystem::path parent = path.parent_path().empty() ? "." : path.parent_path();
      int parent_fd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (parent_fd >= 0) {
        int rc = ::fsync(parent_fd);
        int saved = errno;
        ::close(parent_fd);
        if (rc != 0) return ErrnoError(saved, "fsync the parent of", display);
      }
    } else if (errno != EEXIST) {
      return ErrnoError(errno, "mkdir", display);
    }
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", display);
  return Dir(fd, std::move(display));
}

core::Result<Dir> Dir::OpenSubdir(std::string_view name) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s.error();
  std::string n(name);
  std::string display = JoinDisplay(display_, name);
  int fd = ::openat(fd_, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    struct stat st;
    if ((err == ELOOP || err == ENOTDIR) &&
        ::fstatat(fd_, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISLNK(st.st_mode)) {
        return PathEscape(display, "is a symbolic link; gpop does not follow links");
      }
      return PathEscape(display, "is not a directory");
    }
    return ErrnoError(err, "open", display);
  }
  return Dir(fd, std::move(display));
}

core::Result<Dir> Dir::MakeSubdir(std::string_view name) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s.error();
  std::string n(name);
  if (::mkdirat(fd_, n.c_str(), 0755) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "mkdir", JoinDisplay(display_, name));
  }
  return OpenSubdir(name);
}

namespace {

// Calls `fn(name, d_type)` for every entry of the directory open as `dir_fd` but "." and "..",
// in the order readdir gives; false from `fn` stops the walk. More than `max_entries` entries
// is an error.
template <typename Fn>
core::Status ForEachName(int dir_fd, const std::string& display, size_t max_entries, Fn fn) {
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(errno, "open", display);
  DIR* d = ::fdopendir(fd);
  if (d == nullptr) {
    int err = errno;
    ::close(fd);
    return ErrnoError(err, "opendir", display);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(d, &::closedir);
  size_t count = 0;
  while (struct dirent* e = ::readdir(d)) {
    const std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    if (count++ >= max_entries) {
      return PathEscape(display, "holds more than " + std::to_string(max_entries) + " entries");
    }
    if (!fn(n, e->d_type)) break;
  }
  return core::Status();
}

// The entry `name` of `dir_fd` as fstatat (no link followed) sees it: its type, and its size
// for a file. `d_type` (readdir's, DT_UNKNOWN when not known) spares the stat for anything but
// a regular file, whose size only a stat gives. An entry that cannot be stat'ed has kOther.
DirEntry StatEntry(int dir_fd, std::string name, unsigned char d_type) {
  DirEntry entry;
  entry.name = std::move(name);
  switch (d_type) {
    case DT_DIR:
      entry.type = EntryType::kDirectory;
      return entry;
    case DT_LNK:
      entry.type = EntryType::kSymlink;
      return entry;
    case DT_REG:
    case DT_UNKNOWN:
      break;
    default:  // FIFOs, devices, sockets
      entry.type = EntryType::kOther;
      return entry;
  }
  struct stat st;
  if (::fstatat(dir_fd, entry.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    entry.type = TypeOf(st.st_mode);
    if (entry.type == EntryType::kFile) entry.size = static_cast<uint64_t>(st.st_size);
  }
  return entry;
}

}  // namespace

core::Result<std::vector<DirEntry>> Dir::List(size_t max_entries) const {
  std::vector<DirEntry> entries;
  core::Status listed =
      ForEachName(fd_, display_, max_entries, [&](std::string_view name, unsigned char d_type) {
        entries.push_back(StatEntry(fd_, std::string(name), d_type));
        return true;
      });
  if (!listed.ok()) return listed.error();
  std::sort(entries.begin(), entries.end(),
            [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  return entries;
}

core::Result<std::optional<DirEntry>> Dir::FindNoCase(std::string_view name) const {
  // An exact match wins, so it is looked up directly: no listing of a folder that may hold
  // thousands of entries (Policies holds every GPO, a backup location every backup).
  if (IsSafeName(name)) {
    const std::string exact(name);
    struct stat st;
    if (::fstatat(fd_, exact.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      DirEntry entry;
      entry.name = exact;
      entry.type = TypeOf(st.st_mode);
      if (entry.type == EntryType::kFile) entry.size = static_cast<uint64_t>(st.st_size);
      return std::optional<DirEntry>(std::move(entry));
    }
  }
  // Otherwise the first entry, in byte order (List's), that equals it case-insensitively; only
  // that one is stat'ed.
  std::optional<std::string> found;
  unsigned char found_type = DT_UNKNOWN;
  core::Status listed =
      ForEachName(fd_, display_, 100000, [&](std::string_view entry, unsigned char d_type) {
        if (entry == name) {  // named exactly but not stat'able above
          found = std::string(entry);
          found_type = d_type;
          return false;
        }
        if (EqualsNoCase(entry, name) && (!found || entry < *found)) {
          found = std::string(entry);
          found_type = d_type;
        }
        return true;
      });
  if (!listed.ok()) return listed.error();
  if (!found) return std::optional<DirEntry>();
  return std::optional<DirEntry>(StatEntry(fd_, *std::move(found), found_type));
}

core::Result<std::string> Dir::ReadFile(std::string_view name, size_t max_bytes) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s.error();
  std::string display = JoinDisplay(display_, name);
  struct stat st;
  core::Result<int> fd = OpenRegularFile(fd_, std::string(name), display, &st);
  if (!fd.ok()) return fd.error();
  FdCloser closer(*fd);
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    return CorruptFile(display, "file of " + std::to_string(st.st_size) +
                                    " bytes is larger than the " + std::to_string(max_bytes) +
                                    " bytes allowed");
  }
  std::string out;
  out.resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  // The file may grow while it is read: read at most max_bytes + 1 to notice.
  for (;;) {
    if (done == out.size()) {
      if (out.size() > max_bytes) break;
      out.resize(std::min(max_bytes + 1, out.size() + 4096));
    }
    ssize_t n = ::read(*fd, out.data() + done, out.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "read", display);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  if (out.size() > max_bytes) {
    return CorruptFile(display,
                       "file is larger than the " + std::to_string(max_bytes) + " bytes allowed");
  }
  return out;
}

core::Status Dir::CheckReadableFile(std::string_view name) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s;
  struct stat st;
  core::Result<int> fd = OpenRegularFile(fd_, std::string(name), JoinDisplay(display_, name), &st);
  if (!fd.ok()) return fd.error();
  FdCloser closer(*fd);
  return core::Status();
}

core::Status Dir::WriteFile(std::string_view name, std::string_view bytes, FileSync sync) const {
  return WriteFileFrom(
      name, [bytes](const PieceWriter& write) { return write(bytes); }, sync);
}

core::Status Dir::WriteFileFrom(std::string_view name,
                                const std::function<core::Status(const PieceWriter&)>& produce,
                                FileSync sync) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s;
  std::string display = JoinDisplay(display_, name);
  std::string n(name);
  int fd = ::openat(fd_, n.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == ELOOP)
      return PathEscape(display, "is a symbolic link; gpop does not follow links");
    return ErrnoError(errno, "create", display);
  }
  FdCloser closer(fd);
  core::Status written = produce(
      [&](std::string_view piece) { return WriteAll(fd, piece.data(), piece.size(), display); });
  if (!written.ok()) return written;
  if (sync == FileSync::kNow && ::fsync(fd) != 0) return ErrnoError(errno, "fsync", display);
  return core::Status();
}

core::Status Dir::CopyFileTo(std::string_view name, const Dir& to, std::string_view to_name,
                             const std::function<bool(uint64_t)>& on_chunk, FileSync sync) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s;
  if (core::Status s = CheckName(to_name, to.display_); !s.ok()) return s;
  std::string display = JoinDisplay(display_, name);
  std::string to_display = JoinDisplay(to.display_, to_name);
  struct stat st;
  core::Result<int> in = OpenRegularFile(fd_, std::string(name), display, &st);
  if (!in.ok()) return in.error();
  FdCloser in_closer(*in);
  std::string out_name(to_name);
  // Never wider than the source: a 0600 settings file stays 0600 in the backup.
  const mode_t mode = static_cast<mode_t>(st.st_mode & 0644);
  int out = ::openat(to.fd_, out_name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                     mode);
  if (out < 0) return ErrnoError(errno, "create", to_display);
  FdCloser out_closer(out);
  // The kernel copies in place of a read and a write through a buffer, until it says it cannot
  // for these files (another file system, a file system without support): then the buffer.
  bool kernel_copy = true;
  std::string buffer;
  for (;;) {
    ssize_t n = -1;
    if (kernel_copy) {
      n = ::copy_file_range(*in, nullptr, out, nullptr, kCopyChunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP ||
                    errno == EBADF)) {
        kernel_copy = false;
      } else if (n < 0) {
        return ErrnoError(errno, "copy to " + to_display, display);
      }
    }
    if (!kernel_copy) {
      if (buffer.empty()) buffer.assign(kCopyChunk, '\0');
      n = ::read(*in, buffer.data(), buffer.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoError(errno, "read", display);
      }
      if (n > 0) {
        if (core::Status s = WriteAll(out, buffer.data(), static_cast<size_t>(n), to_display);
            !s.ok()) {
          return s;
        }
      }
    }
    if (n == 0) break;
    if (on_chunk && !on_chunk(static_cast<uint64_t>(n))) {
      return core::MakeError(core::Code::kCancelled, core::reason::kCancelled,
                             "cancelled while copying " + display);
    }
  }
  if (sync == FileSync::kNow && ::fsync(out) != 0) return ErrnoError(errno, "fsync", to_display);
  return core::Status();
}

core::Status Dir::RenameTo(std::string_view name, const Dir& to, std::string_view to_name,
                           bool no_replace) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s;
  if (core::Status s = CheckName(to_name, to.display_); !s.ok()) return s;
  std::string from(name);
  std::string target(to_name);
  int rc;
  if (no_replace) {
#if defined(SYS_renameat2)
    rc = static_cast<int>(::syscall(SYS_renameat2, fd_, from.c_str(), to.fd_, target.c_str(),
                                    1u /* RENAME_NOREPLACE */));
    if (rc != 0 && (errno == ENOSYS || errno == EINVAL)) {
      struct stat st;
      if (::fstatat(to.fd_, target.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        errno = EEXIST;
      } else {
        rc = ::renameat(fd_, from.c_str(), to.fd_, target.c_str());
      }
    }
#else
    rc = ::renameat(fd_, from.c_str(), to.fd_, target.c_str());
#endif
  } else {
    rc = ::renameat(fd_, from.c_str(), to.fd_, target.c_str());
  }
  if (rc != 0) {
    return ErrnoError(errno, "rename to " + JoinDisplay(to.display_, to_name),
                      JoinDisplay(display_, name));
  }
  return core::Status();
}

core::Status Dir::RemoveTree(std::string_view name) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s;
  return RemoveTreeAt(fd_, std::string(name), JoinDisplay(display_, name), 0);
}

core::Result<bool> Dir::RemoveEmptyDir(std::string_view name) const {
  if (core::Status s = CheckName(name, display_); !s.ok()) return s.error();
  if (::unlinkat(fd_, std::string(name).c_str(), AT_REMOVEDIR) == 0) return true;
  if (errno == ENOTEMPTY || errno == EEXIST || errno == ENOENT) return false;
  return ErrnoError(errno, "rmdir", JoinDisplay(display_, name));
}

bool Dir::Exists(std::string_view name) const {
  if (!IsSafeName(name)) return false;
  struct stat st;
  return ::fstatat(fd_, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

core::Status Dir::Sync() const {
  if (::fsync(fd_) != 0) return ErrnoError(errno, "fsync", display_);
  return core::Status();
}

bool Dir::CanSyncFileSystem() const {
  struct statfs st;
  if (::fstatfs(fd_, &st) != 0) return false;
  switch (static_cast<uint64_t>(st.f_type)) {
    case 0xEF53:      // ext2, ext3, ext4
    case 0x58465342:  // xfs
    case 0x9123683E:  // btrfs
    case 0xF2F52010:  // f2fs
    case 0x01021994:  // tmpfs
      return true;
    default:
      return false;
  }
}

core::Status Dir::SyncFileSystem() const {
  if (::syncfs(fd_) != 0) return ErrnoError(errno, "syncfs", display_);
  return core::Status();
}

}  // namespace gpop::sysvol
