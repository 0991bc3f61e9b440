// ExtractTar against hostile streams: each one refused, with nothing written outside the
// destination and no link, device or sparse file inside it.

#include "service/transfer/tar_extract.h"

#include <gtest/gtest.h>

#include <fstream>

#include "service/transfer/sha256.h"
#include "tests/testing/fixtures.h"
#include "tests/transfer/raw_tar.h"

namespace gpop::transfer {
namespace {

namespace fs = std::filesystem;
using testing::RawTar;

struct Extracted {
  core::Result<std::vector<ExtractedFile>> result;
  fs::path dest;
  fs::path outside;  // a folder beside dest that must stay empty
};

Extracted Extract(const std::string& tar_bytes, ExtractLimits limits = {}) {
  fs::path work = gpop::testing::TempDir("gpop-tar");
  fs::create_directories(work / "dest");
  fs::create_directories(work / "outside");
  {
    std::ofstream out(work / "in.tar", std::ios::binary);
    out << tar_bytes;
  }
  return Extracted{ExtractTar(work / "in.tar", work / "dest", limits), work / "dest",
                   work / "outside"};
}

bool Empty(const fs::path& dir) { return fs::is_empty(dir); }

void ExpectRejected(const Extracted& e, const std::string& needle) {
  ASSERT_FALSE(e.result.ok()) << "accepted a stream that should be refused (" << needle << ")";
  EXPECT_EQ(e.result.error().code, core::Code::kInvalidArgument) << e.result.error().message;
  EXPECT_EQ(e.result.error().reason, kUploadRejected);
  EXPECT_NE(e.result.error().message.find(needle), std::string::npos) << e.result.error().message;
  EXPECT_TRUE(Empty(e.outside));
  for (const auto& entry : fs::recursive_directory_iterator(e.dest)) {
    EXPECT_TRUE(entry.is_regular_file() || entry.is_directory()) << entry.path();
    EXPECT_FALSE(entry.is_symlink()) << entry.path();
  }
}

TEST(TarExtractTest, WritesFilesAndFoldersWithDigests) {
  Extracted e = Extract(RawTar()
                            .Folder("./")
                            .Folder("./a/")
                            .File("./a/b.txt", "hello")
                            .File("c/d.bin", std::string(1000, 'x'))
                            .Finish());
  ASSERT_TRUE(e.result.ok()) << e.result.error().message;
  ASSERT_EQ(e.result->size(), 2u);
  EXPECT_EQ((*e.result)[0].path, "a/b.txt");
  EXPECT_EQ((*e.result)[0].size, 5);
  EXPECT_EQ((*e.result)[0].sha256, Sha256Hex("hello"));
  EXPECT_EQ((*e.result)[1].path, "c/d.bin");
  std::ifstream in(e.dest / "a" / "b.txt");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "hello");
}

TEST(TarExtractTest, RefusesParentReferences) {
  ExpectRejected(Extract(RawTar().File("../outside/x", "evil").Finish()), "leaves the folder");
  ExpectRejected(Extract(RawTar().File("a/../../outside/x", "evil").Finish()), "leaves the folder");
}

TEST(TarExtractTest, RefusesAbsoluteNames) {
  ExpectRejected(Extract(RawTar().File("/tmp/gpop-evil", "evil").Finish()), "absolute");
}

TEST(TarExtractTest, RefusesLinksDevicesAndFifos) {
  ExpectRejected(Extract(RawTar().Entry("link", '2', "", "/etc/passwd").Finish()), "symbolic link");
  ExpectRejected(Extract(RawTar().File("a", "x").Entry("b", '1', "", "a").Finish()), "hard link");
  ExpectRejected(Extract(RawTar().Entry("dev", '3').Finish()), "character device");
  ExpectRejected(Extract(RawTar().Entry("blk", '4').Finish()), "block device");
  ExpectRejected(Extract(RawTar().Entry("fifo", '6').Finish()), "FIFO");
}

TEST(TarExtractTest, RefusesDuplicateAndCaseOnlyDifferentNames) {
  ExpectRejected(Extract(RawTar().File("a.txt", "1").File("a.txt", "2").Finish()), "second entry");
  ExpectRejected(Extract(RawTar().File("Backup.xml", "1").File("BACKUP.XML", "2").Finish()),
                 "second entry");
  ExpectRejected(Extract(RawTar().File("a", "1").File("a/b", "2").Finish()), "in the way");
}

TEST(TarExtractTest, RefusesWindowsUnsafeCharacters) {
  ExpectRejected(Extract(RawTar().File("a\\..\\b", "1").Finish()), "character");
  ExpectRejected(Extract(RawTar().File("c:x", "1").Finish()), "character");
}

TEST(TarExtractTest, RefusesAHugeEntryBeforeReadingIt) {
  // A pax size of 10 GB with no data behind it: refused on the header, nothing written.
  ExpectRejected(Extract(RawTar().Pax("size", "10737418240").Entry("big", '0', "", "", 0).Finish()),
                 "larger than");
}

TEST(TarExtractTest, RefusesSparseEntries) {
  // A GNU sparse file of pax format 1.0: 10 GB apparent size.
  ExpectRejected(
      Extract(RawTar()
                  .Pax("GNU.sparse.major", "1")
                  .Pax("GNU.sparse.minor", "0")
                  .Pax("GNU.sparse.name", "sparse")
                  .Pax("GNU.sparse.realsize", "10737418240")
                  .Entry("sparse", '0', std::string("1\n0\n1\n") + std::string(506, '\0') + "x")
                  .Finish()),
      "sparse");
}

TEST(TarExtractTest, RefusesTarBombsOfManySmallFiles) {
  RawTar tar;
  for (int i = 0; i < 50; ++i) tar.File("f" + std::to_string(i), "x");
  ExtractLimits limits;
  limits.max_entries = 20;
  ExpectRejected(Extract(tar.Finish(), limits), "more than 20 entries");
  limits = ExtractLimits();
  limits.max_total_bytes = 10;
  ExpectRejected(Extract(RawTar().File("a", "123456").File("b", "123456").Finish(), limits),
                 "add up to more than");
}

TEST(TarExtractTest, RefusesTruncatedAndCompressedStreams) {
  std::string whole = RawTar().File("a.txt", std::string(5000, 'a')).Finish();
  ExpectRejected(Extract(whole.substr(0, 1500)), "");
  ExpectRejected(Extract(whole.substr(0, 100)), "");
  // gzip magic: no decompression filter is enabled.
  ExpectRejected(Extract(std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8) + whole), "");
  ExpectRejected(Extract("this is not a tar stream at all, just some text"), "");
}

TEST(TarExtractTest, NormalizesOnlyHarmlessPrefixes) {
  ExtractLimits limits;
  EXPECT_EQ(*NormalizeEntryPath("./a/b/", limits), "a/b");
  EXPECT_EQ(*NormalizeEntryPath("./", limits), "");
  EXPECT_FALSE(NormalizeEntryPath("a//b", limits).ok());
  EXPECT_FALSE(NormalizeEntryPath("a/./b", limits).ok());
  EXPECT_FALSE(NormalizeEntryPath("..", limits).ok());
  EXPECT_FALSE(NormalizeEntryPath(std::string(2000, 'a'), limits).ok());
}

}  // namespace
}  // namespace gpop::transfer
