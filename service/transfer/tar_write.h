// Writing tar streams for downloads with libarchive: POSIX pax (restricted) entries with fixed
// owner, modes and times, so that the same files always give the same bytes (a download can be
// resumed at an offset and checked against the SHA-256 announced first).
#ifndef GPOP_SERVICE_TRANSFER_TAR_WRITE_H_
#define GPOP_SERVICE_TRANSFER_TAR_WRITE_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "service/core/error.h"

namespace gpop::transfer {

// TarWriter
//
// Appends folders and files to a new tar file. Not thread-safe.
class TarWriter {
 public:
  // Creates `path` (must not exist).
  static core::Result<std::unique_ptr<TarWriter>> Create(const std::filesystem::path& path);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  // A folder entry "name/" (mode 0755).
  core::Status AddFolder(const std::string& name);
  // A file entry `name` holding `bytes` (mode 0644).
  core::Status AddFile(const std::string& name, std::string_view bytes);
  // A file entry `name` holding `size` bytes read from the open descriptor `fd`.
  core::Status AddFileFrom(const std::string& name, int fd, int64_t size);
  // Writes the end-of-archive blocks and closes the file.
  core::Status Close();

 private:
  struct State;
  explicit TarWriter(std::unique_ptr<State> state);
  core::Status Header(const std::string& name, bool folder, int64_t size);
  std::unique_ptr<State> state_;
};

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_TAR_WRITE_H_
