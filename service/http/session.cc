// Sealed session cookies (see session.h).
//
// Cookie value: "s1." + base64url(nonce[12] || ciphertext || tag[16]); the plaintext is the
// expiry (Unix seconds, 8 bytes big-endian) followed by the bearer token; the additional
// authenticated data is the version prefix, so a cookie cannot be replayed as another format.

#include "service/http/session.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "service/core/error.h"
#include "service/engine/status_convert.h"

namespace gpop::http {
namespace {

constexpr char kPrefix[] = "s1.";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;
constexpr size_t kExpiryBytes = 8;

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<char*>(out), size);
}

std::string RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    std::abort();  // no randomness: nothing secure can be done
  }
  return bytes;
}

absl::Status Invalid() {
  return engine::MakeStatus(core::Code::kUnauthenticated, "SESSION_INVALID",
                            "the dashboard session cookie is not valid here (signed by another "
                            "server, or damaged); sign in again with POST /v1/session",
                            {});
}

int64_t UnixSeconds(engine::Time t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

SessionSealer::SessionSealer(const std::string& secret) {
  const std::string root = secret.empty() ? RandomBytes(32) : secret;
  seal_key_ = Hmac(root, "gpop http session seal v1");
  csrf_key_ = Hmac(root, "gpop http session csrf v1");
}

std::string SessionSealer::Seal(const std::string& bearer_token, engine::Time expires) const {
  std::string plain(kExpiryBytes, '\0');
  uint64_t seconds = static_cast<uint64_t>(UnixSeconds(expires));
  for (size_t i = 0; i < kExpiryBytes; ++i) {
    plain[kExpiryBytes - 1 - i] = static_cast<char>((seconds >> (8 * i)) & 0xff);
  }
  plain += bearer_token;
  const std::string nonce = RandomBytes(kNonceBytes);
  std::string sealed = nonce;
  sealed.resize(kNonceBytes + plain.size() + kTagBytes);
  auto* out = reinterpret_cast<unsigned char*>(sealed.data());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  bool ok = ctx != nullptr &&
            EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                               reinterpret_cast<const unsigned char*>(seal_key_.data()),
                               reinterpret_cast<const unsigned char*>(nonce.data())) == 1 &&
            EVP_EncryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(kPrefix),
                              sizeof(kPrefix) - 1) == 1 &&
            EVP_EncryptUpdate(ctx, out + kNonceBytes, &n,
                              reinterpret_cast<const unsigned char*>(plain.data()),
                              static_cast<int>(plain.size())) == 1 &&
            EVP_EncryptFinal_ex(ctx, out + kNonceBytes + n, &n) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagBytes,
                                out + kNonceBytes + plain.size()) == 1;
  EVP_CIPHER_CTX_free(ctx);
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!ok) std::abort();  // AES-GCM with a valid key cannot fail
  return kPrefix + absl::WebSafeBase64Escape(sealed);
}

absl::StatusOr<SessionSealer::Opened> SessionSealer::Open(const std::string& cookie,
                                                          engine::Time now) const {
  std::string sealed;
  if (!absl::StartsWith(cookie, kPrefix) ||
      !absl::WebSafeBase64Unescape(cookie.substr(sizeof(kPrefix) - 1), &sealed) ||
      sealed.size() < kNonceBytes + kExpiryBytes + kTagBytes) {
    return Invalid();
  }
  const size_t plain_size = sealed.size() - kNonceBytes - kTagBytes;
  std::string plain(plain_size, '\0');
  auto* in = reinterpret_cast<unsigned char*>(sealed.data());
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  bool ok = ctx != nullptr &&
            EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                               reinterpret_cast<const unsigned char*>(seal_key_.data()), in) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(kPrefix),
                              sizeof(kPrefix) - 1) == 1 &&
            EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &n,
                              in + kNonceBytes, static_cast<int>(plain_size)) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagBytes,
                                in + kNonceBytes + plain_size) == 1 &&
            EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plain.data()) + n, &n) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return Invalid();
  }
  uint64_t seconds = 0;
  for (size_t i = 0; i < kExpiryBytes; ++i) {
    seconds = (seconds << 8) | static_cast<unsigned char>(plain[i]);
  }
  Opened opened;
  opened.expires = engine::Time(std::chrono::seconds(static_cast<int64_t>(seconds)));
  opened.bearer_token = plain.substr(kExpiryBytes);
  OPENSSL_cleanse(plain.data(), plain.size());
  if (now >= opened.expires) {
    return engine::MakeStatus(core::Code::kUnauthenticated, "SESSION_EXPIRED",
                              "the dashboard session has expired; sign in again with POST "
                              "/v1/session",
                              {});
  }
  return opened;
}

std::string SessionSealer::CsrfToken(const std::string& cookie) const {
  return absl::WebSafeBase64Escape(Hmac(csrf_key_, cookie));
}

bool SessionSealer::CsrfMatches(const std::string& cookie, const std::string& presented) const {
  const std::string expected = CsrfToken(cookie);
  return presented.size() == expected.size() &&
         CRYPTO_memcmp(presented.data(), expected.data(), expected.size()) == 0;
}

std::string SessionCookieHeader(const std::string& value, int64_t max_age_seconds, bool secure) {
  // Without TLS the listener serves loopback only, where a browser keeps a Secure cookie from
  // http://127.0.0.1 too; still, Secure is only claimed where it holds.
  return std::string(kSessionCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict; " +
         "Max-Age=" + std::to_string(max_age_seconds) + (secure ? "; Secure" : "");
}

}  // namespace gpop::http
