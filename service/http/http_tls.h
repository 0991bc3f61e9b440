// TLS for the HTTP listener: the same certificate, key and client CA as the gRPC port
// (api::TlsOptions, checked by api::ReadCheckedPem), served by libmicrohttpd over GnuTLS.
//
// libmicrohttpd asks for the certificate on every handshake (MHD_OPTION_HTTPS_CERT_CALLBACK2),
// so a reload (SIGHUP) swaps what the next handshake gets while open connections, SSE streams
// included, keep the session they have. Client certificates (mutual TLS) are verified here,
// against the client CA of the last good reload, and their identities go to the authenticator
// as the gRPC port's do.

#ifndef GPOP_SERVICE_HTTP_HTTP_TLS_H_
#define GPOP_SERVICE_HTTP_HTTP_TLS_H_

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/api/tls.h"
#include "service/core/mutex.h"

namespace gpop::http {

// HttpTls
//
// Thread-safe. Must outlive every TLS session it served (the HTTP daemon it belongs to).
class HttpTls {
 public:
  // Reads and checks the files (errors as api::TlsCredentials::Open; INTERNAL when GnuTLS
  // refuses what OpenSSL accepted).
  static absl::StatusOr<std::unique_ptr<HttpTls>> Open(const api::TlsOptions& options);
  ~HttpTls();
  HttpTls(const HttpTls&) = delete;
  HttpTls& operator=(const HttpTls&) = delete;

  // Reads and checks the files again; new handshakes use them. On error nothing changes.
  absl::Status Reload() GPOP_EXCLUDES(mu_);

  bool wants_client_certs() const { return !options_.client_ca_file.empty(); }
  bool requires_client_cert() const { return options_.require_client_cert; }
  // The client CA as loaded at start (libmicrohttpd asks clients for certificates when given
  // one; verification uses the current one, see ClientIdentities).
  const std::string& initial_client_ca() const { return initial_client_ca_; }

  // The identities (subject common name, then DNS, URI and e-mail alternative names) of the
  // client certificate of `session` when it chains to the current client CA; empty when no
  // certificate was presented. UNAUTHENTICATED for a certificate that does not verify.
  absl::StatusOr<std::vector<std::string>> ClientIdentities(gnutls_session_t session) const
      GPOP_EXCLUDES(mu_);

  // The certificate and key for a handshake (gnutls_certificate_retrieve_function3 semantics).
  int Retrieve(gnutls_pcert_st** certs, unsigned int* certs_length, gnutls_privkey_t* key)
      GPOP_EXCLUDES(mu_);

 private:
  struct Keys;
  explicit HttpTls(api::TlsOptions options);
  absl::Status LoadLocked() GPOP_REQUIRES(mu_);

  const api::TlsOptions options_;
  std::string initial_client_ca_;
  mutable core::Mutex mu_;
  // The current set last. Earlier sets stay until destruction: GnuTLS does not copy what the
  // callback hands it, and a handshake in flight may still use one (reloads are rare).
  std::vector<std::unique_ptr<Keys>> keys_ GPOP_GUARDED_BY(mu_);
};

}  // namespace gpop::http

#endif  // GPOP_SERVICE_HTTP_HTTP_TLS_H_
