// Sealed page tokens (see page_tokens.h).

#include "service/api/page_tokens.h"

#include <fcntl.h>
#ifdef _WIN32
#include <io.h>
#include <sys/stat.h>
#else
#include <unistd.h>
#endif
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kMacBytes = 32;
constexpr char kVersion = '1';

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no randomness: nothing secure can be done
  }
  return bytes;
}

// Length-prefixed, so that no two field lists serialize alike.
void AppendField(std::string* out, const std::string& field) {
  out->append(std::to_string(field.size()));
  out->push_back(':');
  out->append(field);
}

absl::Status BadToken() {
  return engine::ToStatus(core::InvalidField(
      "page_token",
      "is not a page token this server issued for this filter, page size and caller"));
}

}  // namespace

PageTokenSealer::PageTokenSealer(std::string key)
    : key_(key.empty() ? RandomBytes(kKeyBytes) : std::move(key)) {}

absl::StatusOr<std::string> PageTokenSealer::LoadOrCreateKey(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::ostringstream text;
    text << in.rdbuf();
    std::string key = text.str();
    if (key.size() < kKeyBytes) {
      return absl::InvalidArgumentError(path + ": a page token key has at least 32 bytes");
    }
    return key;
  }
  std::string key = RandomBytes(kKeyBytes);
  // Created exclusively (a second gpopd racing for it loses, and reads the winner's), owner-only,
  // and synced before use.
#ifdef _WIN32
  int fd = _open(path.c_str(), _O_WRONLY | _O_CREAT | _O_EXCL | _O_BINARY, _S_IREAD | _S_IWRITE);
  if (fd < 0) return absl::InternalError("cannot create " + path + ": " + std::strerror(errno));
  bool written =
      _write(fd, key.data(), static_cast<unsigned>(key.size())) == static_cast<int>(key.size()) &&
      _commit(fd) == 0;
  _close(fd);
#else
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError("cannot create " + path + ": " + std::strerror(errno));
  bool written =
      write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size()) && fsync(fd) == 0;
  close(fd);
#endif
  if (!written) return absl::InternalError("cannot write " + path);
  return key;
}

std::string PageTokenSealer::Mac(const std::string& engine_token, const std::string& filter,
                                 int page_size, const std::string& principal) const {
  std::string message;
  AppendField(&message, engine_token);
  AppendField(&message, filter);
  AppendField(&message, std::to_string(page_size));
  AppendField(&message, principal);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_size);
  return std::string(reinterpret_cast<const char*>(mac), mac_size);
}

std::string PageTokenSealer::Seal(const std::string& engine_token, const std::string& filter,
                                  int page_size, const std::string& principal) const {
  if (engine_token.empty()) return "";
  std::string raw(1, kVersion);
  raw += Mac(engine_token, filter, page_size, principal);
  raw += engine_token;
  return absl::WebSafeBase64Escape(raw);
}

absl::StatusOr<std::string> PageTokenSealer::Open(const std::string& token,
                                                  const std::string& filter, int page_size,
                                                  const std::string& principal) const {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() <= 1 + kMacBytes ||
      raw[0] != kVersion) {
    return BadToken();
  }
  std::string engine_token = raw.substr(1 + kMacBytes);
  std::string expected = Mac(engine_token, filter, page_size, principal);
  if (CRYPTO_memcmp(expected.data(), raw.data() + 1, kMacBytes) != 0) return BadToken();
  return engine_token;
}

}  // namespace gpop::api
