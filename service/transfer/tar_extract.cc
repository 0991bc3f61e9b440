// Extracting an uploaded tar with libarchive (see tar_extract.h).

#include "service/transfer/tar_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <map>
#include <memory>
#include <set>

#include "service/backends/sysvol/safe_fs.h"
#include "service/transfer/sha256.h"

namespace gpop::transfer {
namespace {

using sysvol::Dir;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

const char* TypeName(mode_t type) {
  switch (type) {
    case AE_IFLNK:
      return "a symbolic link";
    case AE_IFCHR:
      return "a character device";
    case AE_IFBLK:
      return "a block device";
    case AE_IFIFO:
      return "a FIFO";
    case AE_IFSOCK:
      return "a socket";
    default:
      return "not a regular file or folder";
  }
}

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

// The folders created so far, by ASCII-lower-case path, each open; the root is "".
class Folders {
 public:
  explicit Folders(Dir root) { open_[""] = std::move(root); }

  // The open folder `path` (its components already checked), creating missing ones.
  core::Result<const Dir*> Ensure(const std::vector<std::string>& parts, size_t count,
                                  const std::string& entry) {
    std::string key;
    const Dir* current = &open_.at("");
    for (size_t i = 0; i < count; ++i) {
      std::string next = key.empty() ? Lower(parts[i]) : key + "/" + Lower(parts[i]);
      auto it = open_.find(next);
      if (it == open_.end()) {
        if (files_.count(next) != 0)
          return UploadRejected(entry, "a file is in the way of its folder");
        core::Result<Dir> made = current->MakeSubdir(parts[i]);
        if (!made.ok()) return made.error();
        it = open_.emplace(next, std::move(*made)).first;
      }
      current = &it->second;
      key = std::move(next);
    }
    return current;
  }

  bool IsFolder(const std::string& lower) const { return open_.count(lower) != 0; }
  bool AddFile(const std::string& lower) { return files_.insert(lower).second; }
  bool IsFile(const std::string& lower) const { return files_.count(lower) != 0; }

  core::Status SyncAll() const {
    for (const auto& [path, dir] : open_) {
      if (core::Status s = dir.Sync(); !s.ok()) return s;
    }
    return core::Status();
  }

 private:
  std::map<std::string, Dir> open_;
  std::set<std::string> files_;
};

// Copies the current entry's data into the new file `name` of `dir`.
core::Result<ExtractedFile> WriteEntry(archive* a, const Dir& dir, const std::string& name,
                                       const std::string& path, int64_t declared) {
  int fd =
      ::openat(dir.fd(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return sysvol::ErrnoError(errno, "create", path);
  Sha256 digest;
  int64_t written = 0;
  std::vector<char> buffer(64 * 1024);
  core::Status failed;
  while (true) {
    la_ssize_t n = archive_read_data(a, buffer.data(), buffer.size());
    if (n == 0) break;
    if (n < 0) {
      failed = UploadRejected(path, std::string("unreadable data (truncated or corrupt tar): ") +
                                        archive_error_string(a));
      break;
    }
    written += n;
    if (written > declared) {
      failed = UploadRejected(path, "holds more data than its header declares");
      break;
    }
    digest.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    const char* p = buffer.data();
    la_ssize_t left = n;
    while (left > 0) {
      ssize_t w = ::write(fd, p, static_cast<size_t>(left));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        failed = sysvol::ErrnoError(errno, "write", path);
        break;
      }
      p += w;
      left -= w;
    }
    if (!failed.ok()) break;
  }
  if (failed.ok() && written != declared) {
    failed = UploadRejected(path, "holds less data than its header declares (truncated tar)");
  }
  if (failed.ok() && ::fsync(fd) != 0) failed = sysvol::ErrnoError(errno, "fsync", path);
  ::close(fd);
  if (!failed.ok()) return failed.error();
  return ExtractedFile{path, written, digest.Hex()};
}

}  // namespace

core::Error UploadRejected(const std::string& entry, const std::string& problem) {
  std::map<std::string, std::string> metadata;
  if (!entry.empty()) metadata["entry"] = entry;
  return core::MakeError(
      core::Code::kInvalidArgument, kUploadRejected,
      (entry.empty() ? std::string("upload") : "upload entry \"" + entry + "\"") + ": " + problem,
      std::move(metadata));
}

core::Result<std::string> NormalizeEntryPath(const std::string& name, const ExtractLimits& limits) {
  std::string path = name;
  while (path.rfind("./", 0) == 0) path.erase(0, 2);
  if (path == ".") path.clear();
  if (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty()) return std::string();
  if (name.size() > limits.max_path_bytes)
    return UploadRejected(name.substr(0, 64) + "...", "path too long");
  if (path.front() == '/') return UploadRejected(name, "absolute path");
  for (unsigned char c : path) {
    if (c < 0x20 || c == 0x7f || c == '\\' || c == ':' || c == '*' || c == '?' || c == '"' ||
        c == '<' || c == '>' || c == '|') {
      return UploadRejected(name, "holds a character no Windows file name may hold");
    }
  }
  std::vector<std::string> parts = Split(path);
  if (static_cast<int>(parts.size()) > limits.max_depth)
    return UploadRejected(name, "nested too deep");
  for (const std::string& part : parts) {
    if (part.empty() || part == "." || part == "..") {
      return UploadRejected(name,
                            "path leaves the folder or has an empty, \".\" or \"..\" component");
    }
    if (!sysvol::IsSafeName(part)) return UploadRejected(name, "bad file name");
  }
  return path;
}

core::Result<std::vector<ExtractedFile>> ExtractTar(const std::filesystem::path& tar_file,
                                                    const std::filesystem::path& dest,
                                                    const ExtractLimits& limits) {
  core::Result<Dir> root = Dir::OpenRoot(dest, "upload");
  if (!root.ok()) return root.error();
  Folders folders(std::move(*root));

  std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
  // Plain tar only: no decompression filter is enabled, so a compressed stream (a gzip bomb)
  // is refused as an unknown format.
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), tar_file.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return UploadRejected("", std::string("not a tar stream: ") + archive_error_string(a.get()));
  }
  std::vector<ExtractedFile> files;
  int64_t entries = 0;
  int64_t total = 0;
  while (true) {
    archive_entry* entry = nullptr;
    int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return UploadRejected(
          "", std::string("malformed or truncated tar: ") + archive_error_string(a.get()));
    }
    if (++entries > limits.max_entries) {
      return UploadRejected("", "more than " + std::to_string(limits.max_entries) + " entries");
    }
    const char* raw_name = archive_entry_pathname(entry);
    if (raw_name == nullptr) return UploadRejected("", "an entry has no name");
    core::Result<std::string> normalized = NormalizeEntryPath(raw_name, limits);
    if (!normalized.ok()) return normalized.error();
    const std::string& path = *normalized;
    if (archive_entry_hardlink(entry) != nullptr) return UploadRejected(raw_name, "a hard link");
    const mode_t type = archive_entry_filetype(entry);
    if (type != AE_IFREG && type != AE_IFDIR) return UploadRejected(raw_name, TypeName(type));
    if (path.empty()) {
      if (type != AE_IFDIR) return UploadRejected(raw_name, "the root is not a folder");
      continue;
    }
    std::vector<std::string> parts = Split(path);
    const std::string lower = Lower(path);
    if (type == AE_IFDIR) {
      if (folders.IsFile(lower)) return UploadRejected(raw_name, "a file of that name exists");
      core::Result<const Dir*> made = folders.Ensure(parts, parts.size(), raw_name);
      if (!made.ok()) return made.error();
      continue;
    }
    if (archive_entry_sparse_count(entry) > 0) return UploadRejected(raw_name, "a sparse file");
    if (!archive_entry_size_is_set(entry)) return UploadRejected(raw_name, "no size");
    const int64_t size = archive_entry_size(entry);
    if (size < 0 || size > limits.max_file_bytes) {
      return UploadRejected(raw_name,
                            "larger than " + std::to_string(limits.max_file_bytes) + " bytes");
    }
    total += size;
    if (total > limits.max_total_bytes) {
      return UploadRejected(raw_name, "the files add up to more than " +
                                          std::to_string(limits.max_total_bytes) + " bytes");
    }
    if (folders.IsFolder(lower) || !folders.AddFile(lower)) {
      return UploadRejected(raw_name,
                            "a second entry of that name (names are compared ignoring case)");
    }
    core::Result<const Dir*> parent = folders.Ensure(parts, parts.size() - 1, raw_name);
    if (!parent.ok()) return parent.error();
    core::Result<ExtractedFile> file = WriteEntry(a.get(), **parent, parts.back(), path, size);
    if (!file.ok()) return file.error();
    files.push_back(std::move(*file));
  }
  if (core::Status s = folders.SyncAll(); !s.ok()) return s.error();
  std::sort(files.begin(), files.end(),
            [](const ExtractedFile& x, const ExtractedFile& y) { return x.path < y.path; });
  return files;
}

}  // namespace gpop::transfer
