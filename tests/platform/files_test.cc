// Tests of replacing files: over an existing file (which the CRT's rename refuses on Windows, so
// this runs under Wine too), owner-only files, and clear errors that leave the target alone.

#include "service/platform/files.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gpop::platform {
namespace {

namespace fs = std::filesystem;

// A fresh folder under the temporary folder, removed at the end.
class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("gpop-files-test-" +
            std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    ASSERT_TRUE(fs::create_directories(dir_));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string PathOf(const std::string& name) const { return (dir_ / name).u8string(); }
  static std::string Read(const std::string& path) {
    std::ifstream in(fs::u8path(path), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
};

TEST_F(FilesTest, WriteReplacesAnExistingFile) {
  const std::string path = PathOf("port");
  ASSERT_TRUE(WriteFileAtomically(path, "50051\n").ok());
  EXPECT_EQ(Read(path), "50051\n");
  core::Status again = WriteFileAtomically(path, std::string("4\0\n", 3));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(Read(path), std::string("4\0\n", 3));
  EXPECT_FALSE(fs::exists(fs::u8path(path + ".tmp")));
}

TEST_F(FilesTest, RenameOverReplacesTheTarget) {
  const std::string from = PathOf("new.pem");
  const std::string to = PathOf("cert.pem");
  ASSERT_TRUE(WriteFileAtomically(to, "old").ok());
  ASSERT_TRUE(WriteFileAtomically(from, "new").ok());
  core::Status moved = RenameOver(from, to);
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(Read(to), "new");
  EXPECT_FALSE(fs::exists(fs::u8path(from)));
}

TEST_F(FilesTest, OwnerOnly) {
  const std::string path = PathOf("key.pem");
  ASSERT_TRUE(WriteFileAtomically(path, "secret", /*owner_only=*/true).ok());
  EXPECT_EQ(Read(path), "secret");
#ifndef _WIN32  // Windows has no POSIX permissions; the folder's ACL applies
  EXPECT_EQ(fs::status(fs::u8path(path)).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
#endif
}

TEST_F(FilesTest, ErrorsNameThePathAndChangeNothing) {
  const std::string missing = PathOf("no-such-folder/port");
  core::Status s = WriteFileAtomically(missing, "1\n");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().reason, core::reason::kIoError);
  EXPECT_NE(s.error().message.find("no-such-folder"), std::string::npos) << s.error().message;

  const std::string target = PathOf("kept");
  ASSERT_TRUE(WriteFileAtomically(target, "kept").ok());
  core::Status gone = RenameOver(PathOf("absent"), target);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().reason, core::reason::kIoError);
  EXPECT_NE(gone.error().message.find("absent"), std::string::npos) << gone.error().message;
  EXPECT_EQ(Read(target), "kept");
}

}  // namespace
}  // namespace gpop::platform
