// Reading an uploaded tar stream with libarchive into a private staging folder, refusing every
// entry that could escape the folder or is not a plain file or folder. Nothing here decides
// what a backup is (upload_layout.h does); this file only makes sure that what lands in the
// staging folder is exactly the regular files and folders the tar names, inside it.
#ifndef GPOP_SERVICE_TRANSFER_TAR_EXTRACT_H_
#define GPOP_SERVICE_TRANSFER_TAR_EXTRACT_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "service/core/error.h"

namespace gpop::transfer {

// The ErrorInfo reason of a refused upload (INVALID_ARGUMENT, metadata "entry" when one entry
// is at fault).
inline constexpr char kUploadRejected[] = "UPLOAD_REJECTED";

// UploadRejected
//
// The INVALID_ARGUMENT / UPLOAD_REJECTED error for `entry` (the tar path, or empty for the
// whole upload): "upload entry "<entry>": <problem>".
core::Error UploadRejected(const std::string& entry, const std::string& problem);

// ExtractLimits
//
// Bounds on one tar stream. The defaults hold a baseline package of hundreds of GPOs with a wide
// margin and stop tar bombs (many small files, huge or sparse entries) early.
struct ExtractLimits {
  int64_t max_file_bytes = int64_t{512} << 20;  // one file
  int64_t max_total_bytes = int64_t{4} << 30;   // all files together
  int64_t max_entries = 50000;                  // files and folders
  size_t max_path_bytes = 1024;                 // one entry's path
  int max_depth = 48;                           // components of one path
};

// ExtractedFile
//
// One regular file written: its '/'-separated path relative to the staging folder (as the tar
// named it, without a leading "./"), its size and SHA-256 (hex).
struct ExtractedFile {
  std::string path;
  int64_t size = 0;
  std::string sha256;
};

// NormalizeEntryPath
//
// The entry path `name` as stored: a leading "./" and one trailing '/' removed. Empty result
// for the root entry ("." or "./"). Errors (INVALID_ARGUMENT, UPLOAD_REJECTED) for absolute
// paths, "..", "." or empty components, and characters that no Windows file name may hold
// (control characters, \ : * ? " < > |), and paths over `limits`.
core::Result<std::string> NormalizeEntryPath(const std::string& name, const ExtractLimits& limits);

// ExtractTar
//
// Reads the uncompressed tar (ustar, pax or GNU) at `tar_file` and writes its folders and
// regular files under `dest`, an existing empty folder only gpop writes to. Every file is
// fsynced, then every folder. Refused (INVALID_ARGUMENT, UPLOAD_REJECTED): compressed or
// malformed or truncated streams, symbolic and hard links, devices, FIFOs, sockets, sparse
// entries, any entry whose path NormalizeEntryPath refuses, duplicate names (also names that
// differ only in ASCII case, and a file where a folder is needed), and anything over `limits`.
// On error `dest` may hold part of the stream: the caller removes it.
core::Result<std::vector<ExtractedFile>> ExtractTar(const std::filesystem::path& tar_file,
                                                    const std::filesystem::path& dest,
                                                    const ExtractLimits& limits);

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_TAR_EXTRACT_H_
