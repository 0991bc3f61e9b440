// Deterministic tar output with libarchive (see tar_write.h).

#include "service/transfer/tar_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace gpop::transfer {
namespace {

core::Error TarError(archive* a, const std::string& what) {
  const char* why = a != nullptr ? archive_error_string(a) : nullptr;
  return core::MakeError(core::Code::kUnavailable, core::reason::kIoError,
                         "cannot write the tar (" + what + "): " + (why ? why : "unknown error"));
}

}  // namespace

struct TarWriter::State {
  archive* a = nullptr;
  bool closed = false;
};

core::Result<std::unique_ptr<TarWriter>> TarWriter::Create(const std::filesystem::path& path) {
  auto state = std::make_unique<State>();
  state->a = archive_write_new();
  archive_write_set_format_pax_restricted(state->a);
  archive_write_add_filter_none(state->a);
  archive_write_set_bytes_in_last_block(state->a, 1);
  if (std::error_code ec; std::filesystem::exists(path, ec)) {
    archive_write_free(state->a);
    return core::MakeError(core::Code::kInternal, core::reason::kInternal,
                           "tar output exists already");
  }
  if (archive_write_open_filename(state->a, path.c_str()) != ARCHIVE_OK) {
    core::Error error = TarError(state->a, "open");
    archive_write_free(state->a);
    return error;
  }
  return std::unique_ptr<TarWriter>(new TarWriter(std::move(state)));
}

TarWriter::TarWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}

TarWriter::~TarWriter() {
  if (!state_->closed) archive_write_close(state_->a);
  archive_write_free(state_->a);
}

core::Status TarWriter::Header(const std::string& name, bool folder, int64_t size) {
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, folder ? (name + "/").c_str() : name.c_str());
  archive_entry_set_filetype(entry, folder ? AE_IFDIR : AE_IFREG);
  archive_entry_set_perm(entry, folder ? 0755 : 0644);
  archive_entry_set_size(entry, folder ? 0 : size);
  archive_entry_set_uid(entry, 0);
  archive_entry_set_gid(entry, 0);
  archive_entry_set_mtime(entry, 0, 0);
  int r = archive_write_header(state_->a, entry);
  archive_entry_free(entry);
  if (r != ARCHIVE_OK) return TarError(state_->a, name);
  return core::Status();
}

core::Status TarWriter::AddFolder(const std::string& name) { return Header(name, true, 0); }

core::Status TarWriter::AddFile(const std::string& name, std::string_view bytes) {
  if (core::Status s = Header(name, false, static_cast<int64_t>(bytes.size())); !s.ok()) return s;
  if (!bytes.empty() && archive_write_data(state_->a, bytes.data(), bytes.size()) !=
                            static_cast<la_ssize_t>(bytes.size())) {
    return TarError(state_->a, name);
  }
  return core::Status();
}

core::Status TarWriter::AddFileFrom(const std::string& name, int fd, int64_t size) {
  if (core::Status s = Header(name, false, size); !s.ok()) return s;
  std::vector<char> buffer(256 * 1024);
  int64_t left = size;
  while (left > 0) {
    ssize_t n =
        ::read(fd, buffer.data(), static_cast<size_t>(std::min<int64_t>(left, buffer.size())));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return core::MakeError(core::Code::kUnavailable, core::reason::kIoError,
                             name + ": the file changed while it was read");
    }
    if (archive_write_data(state_->a, buffer.data(), static_cast<size_t>(n)) != n) {
      return TarError(state_->a, name);
    }
    left -= n;
  }
  return core::Status();
}

core::Status TarWriter::Close() {
  state_->closed = true;
  if (archive_write_close(state_->a) != ARCHIVE_OK) return TarError(state_->a, "close");
  return core::Status();
}

}  // namespace gpop::transfer
