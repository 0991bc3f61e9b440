// A folder tree as tar entries (see folder_tar.h).

#include "service/transfer/folder_tar.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "service/transfer/sha256.h"

namespace gpop::transfer {

core::Status AddTree(TarWriter& tar, const sysvol::Dir& folder, const std::string& prefix,
                     std::vector<ExtractedFile>* files) {
  core::Result<std::vector<sysvol::DirEntry>> entries = folder.List();
  if (!entries.ok()) return entries.error();
  for (const sysvol::DirEntry& e : *entries) {
    const std::string name = prefix.empty() ? e.name : prefix + "/" + e.name;
    if (e.type == sysvol::EntryType::kDirectory) {
      if (core::Status s = tar.AddFolder(name); !s.ok()) return s;
      core::Result<sysvol::Dir> sub = folder.OpenSubdir(e.name);
      if (!sub.ok()) return sub.error();
      if (core::Status s = AddTree(tar, *sub, name, files); !s.ok()) return s;
      continue;
    }
    if (e.type != sysvol::EntryType::kFile) {
      return sysvol::PathEscape(sysvol::JoinDisplay(folder.display(), e.name),
                                "is a link or a special file; only files and folders are sent");
    }
    const std::string display = sysvol::JoinDisplay(folder.display(), e.name);
    int fd = ::openat(folder.fd(), e.name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return sysvol::ErrnoError(errno, "open", display);
    struct stat st;
    core::Status status;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      status = sysvol::PathEscape(display, "is not a regular file");
    } else {
      core::Result<std::string> digest = Sha256OfFd(fd, display);
      if (digest.ok() && ::lseek(fd, 0, SEEK_SET) != 0) {
        digest = sysvol::ErrnoError(errno, "seek", display);
      }
      if (!digest.ok()) {
        status = digest.error();
      } else {
        status = tar.AddFileFrom(name, fd, st.st_size);
        if (status.ok() && files != nullptr) {
          files->push_back(ExtractedFile{name, static_cast<int64_t>(st.st_size), *digest});
        }
      }
    }
    ::close(fd);
    if (!status.ok()) return status;
  }
  return core::Status();
}

core::Result<std::vector<ExtractedFile>> TarFolder(const std::filesystem::path& dir,
                                                   const std::filesystem::path& out) {
  core::Result<sysvol::Dir> root = sysvol::Dir::OpenRoot(dir, dir.string());
  if (!root.ok()) return root.error();
  core::Result<std::unique_ptr<TarWriter>> tar = TarWriter::Create(out);
  if (!tar.ok()) return tar.error();
  std::vector<ExtractedFile> files;
  if (core::Status s = AddTree(**tar, *root, "", &files); !s.ok()) return s.error();
  if (core::Status s = (*tar)->Close(); !s.ok()) return s.error();
  return files;
}

}  // namespace gpop::transfer
