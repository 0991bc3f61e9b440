// SHA-256 digests of transferred bytes (OpenSSL's EVP), as 64 lower-case hex digits: what upload
// and download messages carry and what clients compare.
#ifndef GPOP_SERVICE_TRANSFER_SHA256_H_
#define GPOP_SERVICE_TRANSFER_SHA256_H_

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "service/core/error.h"

namespace gpop::transfer {

// Sha256
//
// An incremental digest: Update with every piece in order, then Hex once. Not thread-safe.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The digest of everything updated so far; the object is spent afterwards.
  std::string Hex();

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

// Sha256Hex
//
// The digest of `bytes` in one call.
std::string Sha256Hex(std::string_view bytes);

// Sha256OfFd / Sha256OfFile
//
// The digest of everything read from the open descriptor `fd` until its end (`display` names it
// in errors), or of the regular file `path` (links are not followed).
core::Result<std::string> Sha256OfFd(int fd, const std::string& display);
core::Result<std::string> Sha256OfFile(const std::filesystem::path& path);

// IsSha256Hex
//
// True for exactly 64 lower-case hex digits.
bool IsSha256Hex(std::string_view text);

}  // namespace gpop::transfer

#endif  // GPOP_SERVICE_TRANSFER_SHA256_H_
