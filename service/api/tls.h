// TLS and mutual TLS for gpopd's listener, from PEM files, reloadable without a restart.
//
// gRPC's FileWatcherCertificateProvider re-reads files on a timer, and would pick up a file
// half-written by an editor. So gpopd checks the configured files (key matches certificate,
// client CA readable) and copies them into a staging folder that only it writes; the provider
// watches the staged copies. Reload (SIGHUP) checks and re-stages: a broken file never reaches
// the listener, and open connections and streams are never dropped (new handshakes use the new
// certificate within the provider's refresh interval).

#ifndef GPOP_SERVICE_API_TLS_H_
#define GPOP_SERVICE_API_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "service/core/mutex.h"

namespace grpc {
class ServerCredentials;
}  // namespace grpc

namespace gpop::api {

// TlsOptions
//
// Empty cert_file: no TLS.
struct TlsOptions {
  std::string cert_file;  // PEM certificate chain of the server
  std::string key_file;   // PEM private key of that certificate
  // PEM CA bundle for client certificates (mutual TLS). Empty: no client certificates. Set: a
  // client certificate, if presented, must chain to it (and is mapped to a principal by the
  // policy file); with require_client_cert every client must present one.
  std::string client_ca_file;
  bool require_client_cert = false;
  // Where the checked copies live (created 0700 if missing). Required when cert_file is set.
  std::string staging_dir;
  // How often gRPC looks at the staged copies.
  int refresh_seconds = 1;
};

// TlsPem
//
// The configured files' text, checked (a certificate, the private key that matches it, a CA
// bundle with a certificate when client_ca_file is set; empty client_ca otherwise).
struct TlsPem {
  std::string cert;
  std::string key;
  std::string client_ca;
};

// ReadCheckedPem
//
// Reads and checks the files `options` names, as TlsCredentials does; for a listener that takes
// them from memory (the HTTP listener, service/http/http_tls.h). Errors as TlsCredentials::Open.
absl::StatusOr<TlsPem> ReadCheckedPem(const TlsOptions& options);

// TlsCredentials
//
// Thread-safe.
class TlsCredentials {
 public:
  // Checks and stages the files. Errors: INVALID_ARGUMENT (a file missing, unreadable, not
  // PEM, or a key that does not match the certificate; the message names the file), INTERNAL
  // (the staging folder cannot be written).
  static absl::StatusOr<std::unique_ptr<TlsCredentials>> Open(const TlsOptions& options);

  // The server credentials over the staged files.
  std::shared_ptr<grpc::ServerCredentials> ServerCredentials() const;

  // Checks and re-stages the configured files; on error the staged ones stay as they were.
  absl::Status Reload() GPOP_EXCLUDES(mu_);

 private:
  explicit TlsCredentials(TlsOptions options) : options_(std::move(options)) {}
  absl::Status StageLocked() GPOP_REQUIRES(mu_);

  const TlsOptions options_;
  core::Mutex mu_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_TLS_H_
