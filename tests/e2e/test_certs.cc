// Test certificates (see test_certs.h).

#include "tests/e2e/test_certs.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"

namespace gpop::e2e {

TempDir::TempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp != nullptr && *tmp ? tmp : "/tmp") + "/gpop-e2e-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp " << pattern;
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

bool Run(const std::string& command) {
  int rc = std::system((command + " >/dev/null 2>&1").c_str());
  EXPECT_EQ(rc, 0) << command;
  return rc == 0;
}

bool MakeCa(const std::string& dir, const std::string& name) {
  return Run(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=" +
      name + " -keyout " + dir + "/" + name + ".key -out " + dir + "/" + name + ".crt");
}

bool MakeCert(const std::string& dir, const std::string& ca, const std::string& name,
              const std::string& common_name, const std::string& san) {
  std::string base = dir + "/" + name;
  WriteText(base + ".ext", "subjectAltName=" + san + "\n");
  return Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" +
             common_name + " -keyout " + base + ".key -out " + base + ".csr") &&
         Run("openssl x509 -req -days 2 -in " + base + ".csr -CA " + dir + "/" + ca +
             ".crt -CAkey " + dir + "/" + ca + ".key -CAcreateserial -extfile " + base +
             ".ext -out " + base + ".crt");
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << path;
}

}  // namespace gpop::e2e
