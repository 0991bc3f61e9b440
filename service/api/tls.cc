// TLS credentials from checked, staged PEM files (see tls.h).

#include "service/api/tls.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "grpcpp/security/server_credentials.h"
#include "grpcpp/security/tls_certificate_provider.h"
#include "grpcpp/security/tls_credentials_options.h"
#include "service/platform/files.h"

namespace gpop::api {
namespace {

constexpr char kStagedCert[] = "/server.crt";
constexpr char kStagedKey[] = "/server.key";
constexpr char kStagedCa[] = "/client_ca.crt";

absl::StatusOr<std::string> ReadPem(const std::string& flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(flag + " " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioDeleter>;
Bio MemBio(const std::string& pem) {
  return Bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// The files as PEM text, checked: a certificate, a private key that matches it, a CA bundle with
// at least one certificate.
absl::Status Check(const std::string& cert_pem, const std::string& key_pem,
                   const std::string* ca_pem, const TlsOptions& options) {
  Bio cert_bio = MemBio(cert_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) {
    return absl::InvalidArgumentError("--tls_cert " + options.cert_file +
                                      ": no PEM certificate in it");
  }
  Bio key_bio = MemBio(key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  bool matches = key != nullptr && X509_check_private_key(cert, key) == 1;
  EVP_PKEY_free(key);
  X509_free(cert);
  if (!matches) {
    return absl::InvalidArgumentError("--tls_key " + options.key_file +
                                      ": not an unencrypted PEM private key of --tls_cert " +
                                      options.cert_file);
  }
  if (ca_pem != nullptr) {
    Bio ca_bio = MemBio(*ca_pem);
    X509* ca = PEM_read_bio_X509(ca_bio.get(), nullptr, nullptr, nullptr);
    if (ca == nullptr) {
      return absl::InvalidArgumentError("--tls_client_ca " + options.client_ca_file +
                                        ": no PEM certificate in it");
    }
    X509_free(ca);
  }
  return absl::OkStatus();
}

// Writes `text` to `path` atomically (temporary file, then a replace that works on Windows too),
// readable by owner only (the folder is owner-only already; this is a second fence).
absl::Status WriteAtomically(const std::string& path, const std::string& text) {
  core::Status s = platform::WriteFileAtomically(path, text, /*owner_only=*/true);
  return s.ok() ? absl::OkStatus() : absl::InternalError(s.error().message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsCredentials>> TlsCredentials::Open(const TlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls_cert and --tls_key");
  }
  if (options.require_client_cert && options.client_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls_require_client_cert needs --tls_client_ca");
  }
  if (options.staging_dir.empty()) return absl::InvalidArgumentError("no TLS staging folder");
  {
    // Owner-only: it holds a copy of the private key.
    std::error_code ec;
    std::filesystem::create_directory(options.staging_dir, ec);
    if (!ec) {
      std::filesystem::permissions(options.staging_dir, std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::replace, ec);
    }
    if (ec)
      return absl::InternalError("cannot create " + options.staging_dir + ": " + ec.message());
  }
  std::unique_ptr<TlsCredentials> tls(new TlsCredentials(options));
  core::MutexLock lock(&tls->mu_);
  if (absl::Status s = tls->StageLocked(); !s.ok()) return s;
  return tls;
}

absl::StatusOr<TlsPem> ReadCheckedPem(const TlsOptions& options) {
  TlsPem pem;
  absl::StatusOr<std::string> cert = ReadPem("--tls_cert", options.cert_file);
  if (!cert.ok()) return cert.status();
  pem.cert = *std::move(cert);
  absl::StatusOr<std::string> key = ReadPem("--tls_key", options.key_file);
  if (!key.ok()) return key.status();
  pem.key = *std::move(key);
  if (!options.client_ca_file.empty()) {
    absl::StatusOr<std::string> read = ReadPem("--tls_client_ca", options.client_ca_file);
    if (!read.ok()) return read.status();
    pem.client_ca = *std::move(read);
  }
  if (absl::Status s = Check(pem.cert, pem.key,
                             options.client_ca_file.empty() ? nullptr : &pem.client_ca, options);
      !s.ok()) {
    return s;
  }
  return pem;
}

absl::Status TlsCredentials::StageLocked() {
  absl::StatusOr<TlsPem> pem = ReadCheckedPem(options_);
  if (!pem.ok()) return pem.status();
  // The provider skips a key and certificate that do not match, so the short moment between the
  // two renames is harmless: it takes the pair on its next look.
  if (!options_.client_ca_file.empty()) {
    absl::Status s = WriteAtomically(options_.staging_dir + kStagedCa, pem->client_ca);
    if (!s.ok()) return s;
  }
  if (absl::Status s = WriteAtomically(options_.staging_dir + kStagedKey, pem->key); !s.ok()) {
    return s;
  }
  return WriteAtomically(options_.staging_dir + kStagedCert, pem->cert);
}

absl::Status TlsCredentials::Reload() {
  core::MutexLock lock(&mu_);
  return StageLocked();
}

std::shared_ptr<grpc::ServerCredentials> TlsCredentials::ServerCredentials() const {
  const std::string& dir = options_.staging_dir;
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      dir + kStagedKey, dir + kStagedCert,
      options_.client_ca_file.empty() ? std::string() : dir + kStagedCa,
      static_cast<unsigned int>(options_.refresh_seconds));
  grpc::experimental::TlsServerCredentialsOptions tls_options(provider);
  tls_options.watch_identity_key_cert_pairs();
  if (options_.client_ca_file.empty()) {
    tls_options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  } else {
    tls_options.watch_root_certs();
    tls_options.set_cert_request_type(
        options_.require_client_cert ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                     : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(tls_options);
}

}  // namespace gpop::api
