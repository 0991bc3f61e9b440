// TLS for the HTTP listener over GnuTLS (see http_tls.h).

#include "service/http/http_tls.h"

#include <utility>

#include "service/api/auth/authenticator.h"
#include "service/engine/status_convert.h"

namespace gpop::http {

// One loaded certificate chain, key and client CA.
struct HttpTls::Keys {
  static constexpr unsigned kMaxChain = 16;
  gnutls_pcert_st certs[kMaxChain];
  unsigned int cert_count = 0;
  gnutls_privkey_t key = nullptr;
  gnutls_x509_trust_list_t client_ca = nullptr;  // null: client certificates are not asked for

  ~Keys() {
    for (unsigned i = 0; i < cert_count; ++i) gnutls_pcert_deinit(&certs[i]);
    if (key != nullptr) gnutls_privkey_deinit(key);
    if (client_ca != nullptr) gnutls_x509_trust_list_deinit(client_ca, 1);
  }
};

namespace {

gnutls_datum_t Datum(const std::string& text) {
  return {reinterpret_cast<unsigned char*>(const_cast<char*>(text.data())),
          static_cast<unsigned int>(text.size())};
}

absl::Status GnutlsError(const std::string& what, int code) {
  return absl::InternalError(what + ": " + gnutls_strerror(code));
}

// The subject CN and the DNS, URI and e-mail alternative names of `cert`.
std::vector<std::string> Identities(gnutls_x509_crt_t cert) {
  std::vector<std::string> out;
  char buffer[1024];
  size_t size = sizeof(buffer);
  if (gnutls_x509_crt_get_dn_by_oid(cert, GNUTLS_OID_X520_COMMON_NAME, 0, 0, buffer, &size) ==
      GNUTLS_E_SUCCESS) {
    out.emplace_back(buffer, size);
  }
  for (unsigned seq = 0;; ++seq) {
    size = sizeof(buffer);
    unsigned int critical = 0;
    int type = gnutls_x509_crt_get_subject_alt_name(cert, seq, buffer, &size, &critical);
    if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_URI || type == GNUTLS_SAN_RFC822NAME) {
      out.emplace_back(buffer, size);
    }
    // Other kinds, and names too long for the buffer, are no identity here.
  }
  return out;
}

absl::Status Unauthenticated(const std::string& message) {
  // The same reason as every other refused credential (authenticator.h).
  return engine::MakeStatus(core::Code::kUnauthenticated, api::reason::kUnauthenticated, message);
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpTls>> HttpTls::Open(const api::TlsOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls_cert and --tls_key");
  }
  if (options.require_client_cert && options.client_ca_file.empty()) {
    return absl::InvalidArgumentError("--tls_require_client_cert needs --tls_client_ca");
  }
  std::unique_ptr<HttpTls> tls(new HttpTls(options));
  core::MutexLock lock(&tls->mu_);
  if (absl::Status s = tls->LoadLocked(); !s.ok()) return s;
  return tls;
}

HttpTls::HttpTls(api::TlsOptions options) : options_(std::move(options)) {}

HttpTls::~HttpTls() = default;

absl::Status HttpTls::Reload() {
  core::MutexLock lock(&mu_);
  return LoadLocked();
}

absl::Status HttpTls::LoadLocked() {
  absl::StatusOr<api::TlsPem> pem = api::ReadCheckedPem(options_);
  if (!pem.ok()) return pem.status();
  auto keys = std::make_unique<Keys>();
  gnutls_datum_t cert = Datum(pem->cert);
  keys->cert_count = Keys::kMaxChain;
  int rc = gnutls_pcert_list_import_x509_raw(keys->certs, &keys->cert_count, &cert,
                                             GNUTLS_X509_FMT_PEM, 0);
  if (rc < 0) {
    keys->cert_count = 0;
    return GnutlsError("--tls_cert " + options_.cert_file, rc);
  }
  if ((rc = gnutls_privkey_init(&keys->key)) < 0) return GnutlsError("private key", rc);
  gnutls_datum_t key = Datum(pem->key);
  rc = gnutls_privkey_import_x509_raw(keys->key, &key, GNUTLS_X509_FMT_PEM, nullptr, 0);
  if (rc < 0) return GnutlsError("--tls_key " + options_.key_file, rc);
  if (!options_.client_ca_file.empty()) {
    if ((rc = gnutls_x509_trust_list_init(&keys->client_ca, 0)) < 0) {
      return GnutlsError("client CA", rc);
    }
    gnutls_datum_t ca = Datum(pem->client_ca);
    rc = gnutls_x509_trust_list_add_trust_mem(keys->client_ca, &ca, nullptr, GNUTLS_X509_FMT_PEM, 0,
                                              0);
    if (rc <= 0) {
      return rc < 0 ? GnutlsError("--tls_client_ca " + options_.client_ca_file, rc)
                    : absl::InvalidArgumentError("--tls_client_ca " + options_.client_ca_file +
                                                 ": no certificate in it");
    }
    if (keys_.empty()) initial_client_ca_ = pem->client_ca;
  }
  keys_.push_back(std::move(keys));
  return absl::OkStatus();
}

int HttpTls::Retrieve(gnutls_pcert_st** certs, unsigned int* certs_length, gnutls_privkey_t* key) {
  core::MutexLock lock(&mu_);
  if (keys_.empty()) return -1;
  Keys& current = *keys_.back();
  *certs = current.certs;
  *certs_length = current.cert_count;
  *key = current.key;
  return 0;
}

absl::StatusOr<std::vector<std::string>> HttpTls::ClientIdentities(gnutls_session_t session) const {
  unsigned int count = 0;
  const gnutls_datum_t* peers = gnutls_certificate_get_peers(session, &count);
  if (peers == nullptr || count == 0) return std::vector<std::string>();
  std::vector<gnutls_x509_crt_t> chain;
  auto free_chain = [&chain] {
    for (gnutls_x509_crt_t c : chain) gnutls_x509_crt_deinit(c);
  };
  for (unsigned i = 0; i < count && i < Keys::kMaxChain; ++i) {
    gnutls_x509_crt_t c = nullptr;
    if (gnutls_x509_crt_init(&c) < 0) break;
    chain.push_back(c);
    if (gnutls_x509_crt_import(c, &peers[i], GNUTLS_X509_FMT_DER) < 0) {
      free_chain();
      return Unauthenticated("the client certificate cannot be read");
    }
  }
  unsigned int verdict = 1;
  {
    core::MutexLock lock(&mu_);
    gnutls_x509_trust_list_t ca = keys_.empty() ? nullptr : keys_.back()->client_ca;
    if (ca != nullptr) {
      gnutls_typed_vdata_st purpose{};
      purpose.type = GNUTLS_DT_KEY_PURPOSE_OID;
      purpose.data = reinterpret_cast<unsigned char*>(const_cast<char*>(GNUTLS_KP_TLS_WWW_CLIENT));
      if (gnutls_x509_trust_list_verify_crt2(ca, chain.data(), static_cast<unsigned>(chain.size()),
                                             &purpose, 1, 0, &verdict, nullptr) < 0) {
        verdict = 1;
      }
    }
  }
  std::vector<std::string> identities;
  if (verdict == 0 && !chain.empty()) identities = Identities(chain[0]);
  free_chain();
  if (verdict != 0) {
    return Unauthenticated("the client certificate does not chain to --tls_client_ca");
  }
  return identities;
}

}  // namespace gpop::http
