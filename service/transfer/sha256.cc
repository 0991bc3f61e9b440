// SHA-256 over OpenSSL's EVP interface (see sha256.h).

#include "service/transfer/sha256.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <vector>

#include "service/backends/sysvol/safe_fs.h"

namespace gpop::transfer {

struct Sha256::Context {
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
  context_->md = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(context_->md); }

void Sha256::Update(std::string_view bytes) {
  EVP_DigestUpdate(context_->md, bytes.data(), bytes.size());
}

std::string Sha256::Hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->md, digest, &length);
  std::string hex;
  hex.reserve(2 * length);
  char buf[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof(buf), "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

std::string Sha256Hex(std::string_view bytes) {
  Sha256 digest;
  digest.Update(bytes);
  return digest.Hex();
}

core::Result<std::string> Sha256OfFd(int fd, const std::string& display) {
  Sha256 digest;
  std::vector<char> buffer(256 * 1024);
  while (true) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return sysvol::ErrnoError(errno, "read", display);
    if (n == 0) break;
    digest.Update(std::string_view(buffer.data(), static_cast<size_t>(n)));
  }
  return digest.Hex();
}

core::Result<std::string> Sha256OfFile(const std::filesystem::path& path) {
  const std::string display = path.filename().string();
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return sysvol::ErrnoError(errno, "open", display);
  core::Result<std::string> digest = Sha256OfFd(fd, display);
  ::close(fd);
  return digest;
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace gpop::transfer
