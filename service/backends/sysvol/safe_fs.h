// File system access that cannot leave a configured root: directories are opened one component
// at a time relative to an open directory (openat with O_NOFOLLOW), names are single validated
// components, symbolic links and special files are refused, and reads are bounded.
//
// Every error names the file by its display path (relative to a root, as users know it):
// PATH_OUTSIDE_ROOT for links, special files and bad names; NOT_FOUND, ACCESS_DENIED or IO_ERROR
// for the system's errors; CORRUPT_FILE (format_error.h) for files larger than the caller allows.

#ifndef GPOP_SERVICE_BACKENDS_SYSVOL_SAFE_FS_H_
#define GPOP_SERVICE_BACKENDS_SYSVOL_SAFE_FS_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "service/core/error.h"

namespace gpop::sysvol {

// IsSafeName
//
// True for a single path component gpop may create or open: not empty, not "." or "..", no
// '/', '\\' or NUL, at most 255 bytes.
bool IsSafeName(std::string_view name);

// JoinDisplay
//
// "a/b" from "a" and "b" (either may be empty), for messages.
std::string JoinDisplay(std::string_view parent, std::string_view name);

// ErrnoError
//
// The core error for a failed system call `what` on `display`: NOT_FOUND, ACCESS_DENIED,
// RESOURCE_EXHAUSTED (no space) or IO_ERROR, the message "<display>: <what>: <strerror>".
core::Error ErrnoError(int err, std::string_view what, std::string_view display);

// PathEscape
//
// A FAILED_PRECONDITION / PATH_OUTSIDE_ROOT error "<display>: <problem>".
core::Error PathEscape(std::string_view display, std::string_view problem);

// EntryType
//
// What a directory entry is, as lstat sees it (links are never followed).
enum class EntryType { kFile, kDirectory, kSymlink, kOther };

// DirEntry
//
// One entry of a directory listing.
struct DirEntry {
  std::string name;
  EntryType type = EntryType::kOther;
  uint64_t size = 0;  // files only
};

// FileSync
//
// When a file written by WriteFile or CopyFileTo is made durable: kNow fsyncs it before the
// call returns; kLater leaves it to one Dir::SyncFileSystem of the same file system, which the
// caller must call (and check) before it relies on the file (batched fsyncs: one journal
// commit for a whole staged tree instead of one per file and folder).
enum class FileSync { kNow, kLater };

// Dir
//
// An open directory (an owned file descriptor) and its display path. Movable, not copyable.
// Thread-compatible: distinct Dir objects may be used from distinct threads.
class Dir {
 public:
  Dir() = default;
  ~Dir();
  Dir(Dir&& other) noexcept;
  Dir& operator=(Dir&& other) noexcept;
  Dir(const Dir&) = delete;
  Dir& operator=(const Dir&) = delete;

  // OpenRoot
  //
  // Opens a configured root (links in `path` itself are followed: the administrator chose it).
  // With `create`, a missing folder is created first (one level).
  static core::Result<Dir> OpenRoot(const std::filesystem::path& path, std::string display,
                                    bool create = false);

  // OpenSubdir
  //
  // Opens the directory `name` inside this one; a link, a file or a bad name is an error.
  core::Result<Dir> OpenSubdir(std::string_view name) const;

  // MakeSubdir
  //
  // Creates `name` (mode 0755; an existing directory is fine) and opens it.
  core::Result<Dir> MakeSubdir(std::string_view name) const;

  // List
  //
  // The entries except "." and "..", sorted by name (bytes). At most `max_entries` (more is an
  // error: a hostile tree must not make gpop walk forever). Only regular files (for their
  // size) and entries whose type readdir does not give are stat'ed.
  core::Result<std::vector<DirEntry>> List(size_t max_entries = 100000) const;

  // FindNoCase
  //
  // The name of the entry that equals `name` ASCII case-insensitively (an exact match wins), or
  // nullopt. Used for every GPT name: SMB is case-insensitive, SYSVOL's case varies. The exact
  // name is stat'ed first; the folder is listed (names only) only when it is not there.
  core::Result<std::optional<DirEntry>> FindNoCase(std::string_view name) const;

  // ReadFile
  //
  // The whole regular file `name`; larger than `max_bytes` is a CORRUPT_FILE error. Links,
  // FIFOs and devices are refused without being opened for reading (no blocking open).
  core::Result<std::string> ReadFile(std::string_view name, size_t max_bytes) const;

  // CheckReadableFile
  //
  // OK when `name` is a regular file this process can open for reading (opened and closed at
  // once, nothing read); the error ReadFile would give otherwise (a link, folder or special
  // file: PATH_OUTSIDE_ROOT; missing: NOT_FOUND; no permission: ACCESS_DENIED).
  core::Status CheckReadableFile(std::string_view name) const;

  // WriteFile
  //
  // Creates or replaces `name` with `bytes` (mode 0644) and fsyncs it (with kNow). An existing
  // link of that name is refused, never written through.
  core::Status WriteFile(std::string_view name, std::string_view bytes,
                         FileSync sync = FileSync::kNow) const;

  // WriteFileFrom
  //
  // As WriteFile, with the bytes handed over in pieces: `produce` is called once with a writer
  // that appends one piece to the file; its first error, or `produce`'s own, fails the call.
  using PieceWriter = std::function<core::Status(std::string_view)>;
  core::Status WriteFileFrom(std::string_view name,
                             const std::function<core::Status(const PieceWriter&)>& produce,
                             FileSync sync = FileSync::kNow) const;

  // CopyFileTo
  //
  // Copies the regular file `name` to `to`/`to_name` (which must not exist) in chunks, fsyncs
  // the copy (with kNow), and calls `on_chunk(bytes)` after each chunk; a false return stops the
  // copy with a CANCELLED error (the partial copy is left for the caller's staging cleanup).
  // The kernel copies the bytes (copy_file_range) where it can.
  core::Status CopyFileTo(std::string_view name, const Dir& to, std::string_view to_name,
                          const std::function<bool(uint64_t)>& on_chunk,
                          FileSync sync = FileSync::kNow) const;

  // RenameTo
  //
  // renameat(this/name, to/to_name): atomic within one file system. Replaces a file;
  // `no_replace` makes an existing target an error (renameat2 RENAME_NOREPLACE).
  core::Status RenameTo(std::string_view name, const Dir& to, std::string_view to_name,
                        bool no_replace = false) const;

  // RemoveTree
  //
  // Removes `name` and, for a directory, everything below it, never following links. A missing
  // name is fine.
  core::Status RemoveTree(std::string_view name) const;

  // RemoveEmptyDir
  //
  // Removes the directory `name` when it is empty (rmdir: atomic, so an entry created in it
  // concurrently keeps it). True when it was removed; false when it is not empty or missing.
  core::Result<bool> RemoveEmptyDir(std::string_view name) const;

  // Exists
  //
  // Whether `name` exists (as any type, links not followed).
  bool Exists(std::string_view name) const;

  // Sync
  //
  // fsync of the directory itself, so that creations and renames inside it are durable.
  core::Status Sync() const;

  // CanSyncFileSystem
  //
  // Whether SyncFileSystem is known to make every file and folder of this directory's file
  // system durable and to report write-back errors: the local file systems whose syncfs(2)
  // does (ext2/3/4, xfs, btrfs, f2fs, tmpfs). Elsewhere (network and FUSE file systems, where
  // syncfs may do nothing) callers write with FileSync::kNow.
  bool CanSyncFileSystem() const;

  // SyncFileSystem
  //
  // syncfs(2) of this directory's file system: once it returns OK, every file and folder
  // written there (with FileSync::kLater, and their directory entries) is durable. A write-back
  // error of the file system since this directory was opened is an IO_ERROR.
  core::Status SyncFileSystem() const;

  int fd() const { return fd_; }
  const std::string& display() const { return display_; }
  bool is_open() const { return fd_ >= 0; }

 private:
  Dir(int fd, std::string display) : fd_(fd), display_(std::move(display)) {}

  int fd_ = -1;
  std::string display_;
};

}  // namespace gpop::sysvol

#endif  // GPOP_SERVICE_BACKENDS_SYSVOL_SAFE_FS_H_
