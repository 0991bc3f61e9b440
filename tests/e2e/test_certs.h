// Test certificates, made at test time with Debian's openssl command in a temporary folder: CAs,
// server certificates for 127.0.0.1/localhost and client certificates, all short-lived.

#ifndef GPOP_TESTS_E2E_TEST_CERTS_H_
#define GPOP_TESTS_E2E_TEST_CERTS_H_

#include <string>

namespace gpop::e2e {

// TempDir
//
// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `command` with /bin/sh; false (and a test failure) when it fails.
bool Run(const std::string& command);

// MakeCa
//
// A self-signed CA "<dir>/<name>.crt" + ".key". False on failure.
bool MakeCa(const std::string& dir, const std::string& name);

// MakeCert
//
// "<dir>/<name>.crt" + ".key" with subject CN=`common_name` and subjectAltName `san` (e.g.
// "IP:127.0.0.1,DNS:localhost"), signed by the CA `ca` made by MakeCa in `dir`.
bool MakeCert(const std::string& dir, const std::string& ca, const std::string& name,
              const std::string& common_name, const std::string& san);

// The contents of a file ("" when unreadable).
std::string ReadText(const std::string& path);
// Writes `text` to `path`, replacing it atomically.
void WriteText(const std::string& path, const std::string& text);

}  // namespace gpop::e2e

#endif  // GPOP_TESTS_E2E_TEST_CERTS_H_
