// The sysvol backend against hostile input: traversal attempts through names, links out of a
// GPT, special files, and corrupt settings files fail with clear errors naming the file, and
// leave nothing behind (a backup of a GPO with a corrupt Registry.pol, GptTmpl.inf or
// audit.csv goes on: it keeps the file byte for byte and warns).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "service/backends/sysvol/demo_store.h"
#include "service/backends/sysvol/format/utf16.h"
#include "service/backends/sysvol/safe_fs.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupOf;
using testing::OpenBackend;
using testing::RecordingSink;
using testing::ReportOfBackup;
using testing::ReportOfGpo;
using testing::RunOp;
using testing::WriteBytes;

constexpr char kServer[] = "{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}";
constexpr char kAudit[] = "{9A3B5C7D-1E2F-4061-8293-A4B5C6D7E8F9}";

struct Fixture {
  testing::TestStore store;
  std::unique_ptr<SysvolBackend> backend;
  fs::path gpt(const char* guid) const { return store.policies() / guid; }
};

Fixture Demo() {
  Fixture f;
  f.store = testing::MakeEmptyStore();
  EXPECT_TRUE(WriteDemoStore(f.store.config.sysvol_dir).ok());
  f.backend = OpenBackend(f.store.config);
  return f;
}

bool NothingLeft(const testing::TestStore& store) {
  for (auto& e : fs::recursive_directory_iterator(store.location())) {
    if (!e.is_directory()) return false;
    if (e.path().filename() != ".gpop-staging") return false;
  }
  return true;
}

// Runs a backup and a report of `guid`, expecting both to fail with `reason` and a message
// that names `file`.
void ExpectFail(Fixture& f, const char* guid, const char* reason, const std::string& file,
                bool report_too) {
  for (bool backup : {true, false}) {
    if (!backup && !report_too) continue;
    SCOPED_TRACE(backup ? "backup" : "report");
    RecordingSink sink;
    core::Outcome out = backup ? RunOp(*f.backend, BackupOf(guid), sink)
                               : RunOp(*f.backend, ReportOfGpo(guid), sink);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.error->reason, reason) << out.error->message;
    EXPECT_NE(out.error->message.find(file), std::string::npos) << out.error->message;
    EXPECT_EQ(out.effects, core::Effects::kNone);
  }
  EXPECT_TRUE(NothingLeft(f.store));
}

void ExpectBothFail(Fixture& f, const char* guid, const char* reason, const std::string& file) {
  ExpectFail(f, guid, reason, file, /*report_too=*/true);
}

TEST(SysvolSafetyTest, LocationNamesAreNotPaths) {
  Fixture f = Demo();
  ASSERT_NE(f.backend, nullptr);
  for (const char* location : {"../x", "/etc", "..", "a/b", "a\\b"}) {
    SCOPED_TRACE(location);
    core::BackupSpec spec = BackupOf(kServer);
    spec.location = location;
    core::Status v = f.backend->Validate(spec);
    ASSERT_FALSE(v.ok());
    EXPECT_EQ(v.error().code, core::Code::kInvalidArgument);
    RecordingSink sink;
    core::Outcome out = RunOp(*f.backend, spec, sink);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.error->code, core::Code::kInvalidArgument);
  }
  core::BackupSpec unknown = BackupOf(kServer);
  unknown.location = "nowhere";
  core::Status v = f.backend->Validate(unknown);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, core::Code::kNotFound);
  EXPECT_EQ(v.error().reason, core::reason::kLocationNotFound);
  EXPECT_FALSE(fs::exists(f.store.root / "x"));
  EXPECT_FALSE(fs::exists(f.store.root / "nowhere"));
}

TEST(SysvolSafetyTest, GuidsWithPathCharactersAreRejected) {
  Fixture f = Demo();
  ASSERT_NE(f.backend, nullptr);
  for (const char* guid : {"{../../etc}", "../{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}",
                           "{2F8E4D6C-9B1A-4E3F-8D7C-6B5A4F3E2D1C}/..", "/etc/passwd"}) {
    SCOPED_TRACE(guid);
    RecordingSink sink;
    core::Outcome out = RunOp(*f.backend, BackupOf(guid), sink);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.error->code, core::Code::kInvalidArgument);
    core::ReportSpec report = ReportOfBackup(guid);
    out = RunOp(*f.backend, report, sink);
    ASSERT_TRUE(out.error);
    EXPECT_EQ(out.error->code, core::Code::kInvalidArgument);
  }
}

TEST(SysvolSafetyTest, LinksOutOfAGptAreRefused) {
  Fixture f = Demo();
  ASSERT_NE(f.backend, nullptr);
  fs::path outside = f.store.root / "outside";
  WriteBytes(outside / "secret.txt", "not for backups");
  // A file link, deep in the tree.
  fs::create_symlink(outside / "secret.txt", f.gpt(kServer) / "Machine" / "evil.txt");
  // A backup copies every file, so it refuses; a report never reads unknown files.
  ExpectFail(f, kServer, core::reason::kPathEscape, "Machine/evil.txt", /*report_too=*/false);
  fs::remove(f.gpt(kServer) / "Machine" / "evil.txt");
  // A folder link.
  fs::create_directories(outside / "dir");
  fs::create_directory_symlink(outside / "dir", f.gpt(kServer) / "User" / "linked");
  ExpectFail(f, kServer, core::reason::kPathEscape, "User/linked", /*report_too=*/false);
}

TEST(SysvolSafetyTest, LinkedSideFolderAndLinkedSettingsFileAreRefused) {
  Fixture f = Demo();
  ASSERT_NE(f.backend, nullptr);
  fs::path outside = f.store.root / "outside";
  fs::create_directories(outside);
  fs::rename(f.gpt(kServer) / "Machine", outside / "Machine");
  fs::create_symlink(outside / "Machine", f.gpt(kServer) / "Machine");
  ExpectBothFail(f, kServer, core::reason::kPathEscape, "Machine");

  fs::path audit_pol = f.gpt(kAudit) / "Machine" / "registry.pol";
  WriteBytes(outside / "registry.pol", std::string("PReg\x01\0\0\0", 8));
  fs::create_symlink(outside / "registry.pol", audit_pol);
  ExpectBothFail(f, kAudit, core::reason::kPathEscape, "registry.pol");
}

TEST(SysvolSafetyTest, LinkedGptFolderIsRefused) {
  Fixture f = Demo();
  ASSERT_NE(f.backend, nullptr);
  fs::path outside = f.store.root / "outside-gpt";
  fs::rename(f.gpt(kServer), outside);
  fs::create_symlink(outside, f.gpt(kServer));
  RecordingSink sink;
  core::Outcome out = RunOp(*f.backend, BackupOf(kServer), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->reason, core::reason::kPathEscape) << out.error->message;
  EXPECT_TRUE(NothingLeft(f.store));
}

TEST(SysvolSafetyTest, FifoInAGptFailsWithoutHanging) {
  Fixture f = Demo();
  ASSERT_NE(f.backend, nullptr);
  fs::path fifo = f.gpt(kServer) / "Machine" / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  RecordingSink sink;
  core::Outcome out = RunOp(*f.backend, BackupOf(kServer), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->reason, core::reason::kPathEscape);
  EXPECT_NE(out.error->message.find("Machine/pipe"), std::string::npos);
  // A FIFO in place of a settings file is refused without blocking on open.
  fs::remove(fifo);
  fs::path pol = f.gpt(kServer) / "Machine" / "Registry.pol";
  fs::remove(pol);
  ASSERT_EQ(::mkfifo(pol.c_str(), 0644), 0);
  ExpectBothFail(f, kServer, core::reason::kPathEscape, "Registry.pol");
}

TEST(SysvolSafetyTest, CorruptSettingsFilesNameTheFile) {
  struct Case {
    const char* name;
    const char* relative;  // below the GPT
    std::string bytes;
  };
  std::string huge_size = std::string("PReg\x01\0\0\0", 8);
  // "[" "K\0" ";" "V\0" ";" type ";" size 0x7FFFFFFF ";" ...
  for (char c : std::string("[\0K\0\0\0;\0V\0\0\0;\0\x04\0\0\0;\0\xff\xff\xff\x7f;\0", 26)) {
    huge_size += c;
  }
  std::string deep = "\xFF\xFE";
  const std::vector<Case> cases = {
      {"bad signature", "Machine/Registry.pol", "NOPE\x01\0\0\0"},
      {"truncated entry", "Machine/Registry.pol", std::string("PReg\x01\0\0\0[\0K\0", 13)},
      {"huge declared size", "Machine/Registry.pol", huge_size},
      {"template without BOM", "Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf",
       "[Unicode]\r\nUnicode=yes\r\n"},
      {"template with odd size", "Machine/Microsoft/Windows NT/SecEdit/GptTmpl.inf",
       std::string("\xFF\xFE[\0U", 5)},
      {"audit.csv with bad row", "Machine/Microsoft/Windows NT/Audit/audit.csv",
       "Machine Name,Policy Target,Subcategory,Subcategory GUID,Inclusion Setting,Exclusion "
       "Setting,Setting Value\r\nonly,three,fields\r\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Fixture f = Demo();
    ASSERT_NE(f.backend, nullptr);
    WriteBytes(f.gpt(kAudit) / c.relative, c.bytes);
    const std::string file = fs::path(c.relative).filename().string();
    // The report of the GPO fails, naming the file.
    RecordingSink report_sink;
    core::Outcome report = RunOp(*f.backend, ReportOfGpo(kAudit), report_sink);
    ASSERT_TRUE(report.error);
    EXPECT_EQ(report.error->reason, core::reason::kCorruptFile) << report.error->message;
    EXPECT_NE(report.error->message.find(file), std::string::npos) << report.error->message;
    // A backup keeps what an operator needs to repair it: the file byte for byte, with one
    // warning naming it; the backup's report leaves the file's settings out and says so.
    RecordingSink sink;
    core::Outcome backup = RunOp(*f.backend, BackupOf(kAudit), sink);
    ASSERT_FALSE(backup.error) << backup.error->message;
    const fs::path folder =
        f.store.location() / std::get<core::BackupInfo>(backup.result).backup_id;
    EXPECT_EQ(testing::ReadFileBytes(folder / "DomainSysvol" / "GPO" / c.relative), c.bytes);
    int warned = 0;
    for (const auto& m : sink.messages) {
      if (m.severity == core::Severity::kWarning &&
          m.object_path.find(c.relative) != std::string::npos &&
          m.message.find("keeps the file byte for byte") != std::string::npos) {
        ++warned;
      }
    }
    EXPECT_EQ(warned, 1);
    auto text = DecodeUtf16LeWithBom(testing::ReadFileBytes(folder / "gpreport.xml"), "report");
    ASSERT_TRUE(text.ok());
    EXPECT_NE(text->find(std::string(c.relative) + ": "), std::string::npos);
  }
}

TEST(SysvolSafetyTest, CorruptGptIniFailsTheOperation) {
  Fixture f = Demo();
  ASSERT_NE(f.backend, nullptr);
  WriteBytes(f.gpt(kServer) / "GPT.INI", "[General]\r\nVersion=banana\r\n");
  ExpectBothFail(f, kServer, core::reason::kCorruptFile, "GPT.INI");
}

TEST(SysvolSafetyTest, HostileBackupFilesFailTheReport) {
  Fixture f = Demo();
  ASSERT_NE(f.backend, nullptr);
  const std::string id = "{11111111-2222-4333-8444-555555555555}";
  fs::path backup = f.store.location() / id;
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "<a>";
  for (int i = 0; i < 5000; ++i) deep += "</a>";
  WriteBytes(backup / "Backup.xml", deep);
  RecordingSink sink;
  core::Outcome out = RunOp(*f.backend, ReportOfBackup(id), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->reason, core::reason::kCorruptFile);
  EXPECT_NE(out.error->message.find("Backup.xml"), std::string::npos);

  WriteBytes(backup / "Backup.xml",
             "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>");
  out = RunOp(*f.backend, ReportOfBackup(id), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->reason, core::reason::kCorruptFile);

  out = RunOp(*f.backend, ReportOfBackup("{99999999-2222-4333-8444-555555555555}"), sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kNotFound);
  EXPECT_EQ(out.error->reason, core::reason::kBackupNotFound);
}

TEST(SysvolSafetyTest, SafeFsRefusesBadNames) {
  for (const char* bad : {"", ".", "..", "a/b", "a\\b"}) EXPECT_FALSE(IsSafeName(bad)) << bad;
  EXPECT_FALSE(IsSafeName(std::string("a\0b", 3)));
  EXPECT_TRUE(IsSafeName("Registry.pol"));
  fs::path dir = gpop::testing::TempDir("gpop-safefs");
  auto root = Dir::OpenRoot(dir, "root");
  ASSERT_TRUE(root.ok());
  EXPECT_FALSE(root->OpenSubdir("..").ok());
  EXPECT_FALSE(root->ReadFile("../etc/passwd", 100).ok());
  EXPECT_FALSE(root->WriteFile("/tmp/x", "x").ok());
  // Reading more than allowed is CORRUPT_FILE, not an allocation of the declared size.
  ASSERT_TRUE(root->WriteFile("big", std::string(1000, 'x')).ok());
  auto big = root->ReadFile("big", 999);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().reason, core::reason::kCorruptFile);
  // Writing through a link is refused.
  fs::create_symlink(dir / "big", dir / "link");
  EXPECT_FALSE(root->WriteFile("link", "y").ok());
  EXPECT_EQ(testing::ReadFileBytes(dir / "big"), std::string(1000, 'x'));
}

// FindNoCase stats the exact name before it lists the folder: the answers are List's (an exact
// match wins, else the byte-order-first case-insensitive one), names with a path in them never
// reach the file system, and links are reported as links, not followed.
TEST(SysvolSafetyTest, FindNoCaseAndListTypes) {
  fs::path dir = gpop::testing::TempDir("gpop-findnocase");
  auto root = Dir::OpenRoot(dir, "root");
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(root->WriteFile("Machine", "12345").ok());
  ASSERT_TRUE(root->MakeSubdir("machine").ok());
  ASSERT_TRUE(root->MakeSubdir("MACHINE").ok());
  ASSERT_TRUE(root->MakeSubdir("Sub").ok());
  fs::create_symlink(dir / "Machine", dir / "Link");
  const auto find = [&](std::string_view name) {
    auto found = root->FindNoCase(name);
    EXPECT_TRUE(found.ok()) << name;
    return found.ok() ? *found : std::nullopt;
  };
  // Exact matches, each with its own type (and size for the file).
  for (const char* exact : {"Machine", "machine", "MACHINE"}) {
    auto e = find(exact);
    ASSERT_TRUE(e) << exact;
    EXPECT_EQ(e->name, exact);
  }
  EXPECT_EQ(find("Machine")->type, EntryType::kFile);
  EXPECT_EQ(find("Machine")->size, 5u);
  EXPECT_EQ(find("machine")->type, EntryType::kDirectory);
  // No exact match: the first in byte order of the case-insensitive ones ("MACHINE" < "Machine"
  // < "machine"), as List sorts them.
  auto folded = find("mAcHiNe");
  ASSERT_TRUE(folded);
  EXPECT_EQ(folded->name, "MACHINE");
  EXPECT_EQ(folded->type, EntryType::kDirectory);
  auto sub = find("SUB");
  ASSERT_TRUE(sub);
  EXPECT_EQ(sub->name, "Sub");
  auto link = find("link");
  ASSERT_TRUE(link);
  EXPECT_EQ(link->name, "Link");
  EXPECT_EQ(link->type, EntryType::kSymlink);
  EXPECT_EQ(find("Link")->type, EntryType::kSymlink);
  EXPECT_FALSE(find("missing"));
  // A name with a path in it is never looked up (it would leave the folder).
  ASSERT_TRUE(fs::create_directories(dir / "Sub" / "deep"));
  EXPECT_FALSE(find("Sub/deep"));
  EXPECT_FALSE(find("../" + dir.filename().string()));
  // List: the same types and sizes, sorted by bytes.
  auto listed = root->List();
  ASSERT_TRUE(listed.ok());
  std::vector<std::string> names;
  for (const DirEntry& e : *listed) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Link", "MACHINE", "Machine", "Sub", "machine"}));
  EXPECT_EQ((*listed)[0].type, EntryType::kSymlink);
  EXPECT_EQ((*listed)[1].type, EntryType::kDirectory);
  EXPECT_EQ((*listed)[2].type, EntryType::kFile);
  EXPECT_EQ((*listed)[2].size, 5u);
  EXPECT_EQ((*listed)[3].type, EntryType::kDirectory);
}

}  // namespace
}  // namespace gpop::sysvol
