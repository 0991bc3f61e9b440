// A migration table on the principal fields of the Group Policy Preferences other than
// Groups.xml, through a copy of a demo GPO holding hand-made preference files (no fixture
// backup has these): Services.xml accountName, Drives.xml userName, Printers.xml and
// DataSources.xml username, ScheduledTasks.xml runAs and a task's UserId / GroupId. Mapped by
// explicit and relative destinations (each file compared whole), DestinationNone leaves the
// field empty with a warning, "migration table only" names each unmapped account once, and
// the migration table template lists every one of them.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "service/backends/sysvol/format/safe_xml.h"
#include "tests/backends/sysvol/migration_test_util.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::MappingXml;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::RelativeMappingXml;
using testing::WriteBytes;

using testing::kWorkstation;

struct PreferenceFile {
  const char* path;  // below the GPT
  const char* xml;
};

const PreferenceFile kFiles[] = {
    {"Machine/Preferences/Services/Services.xml",
     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<NTServices "
     "clsid=\"{2CFB484A-4E96-4b5d-A0B6-093D2F91E6AE}\"><NTService "
     "clsid=\"{AB6F0B67-341F-4e51-92F9-005FBFBA1A43}\" name=\"Spooler\" image=\"4\" "
     "uid=\"{0A1B2C3D-0000-4000-8000-000000000001}\"><Properties startupType=\"AUTOMATIC\" "
     "serviceName=\"Spooler\" serviceAction=\"START\" timeout=\"30\" "
     "accountName=\"OLD\\svc-print\" interact=\"0\" cpassword=\"\"/></NTService></NTServices>"},
    {"User/Preferences/Drives/Drives.xml",
     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Drives "
     "clsid=\"{8FDDCC1A-0C3C-43cd-A6B4-71A6DF20DA8C}\"><Drive "
     "clsid=\"{935D1B74-9CB8-4e3c-9914-7DD559B7A417}\" name=\"H:\" image=\"2\" "
     "uid=\"{0A1B2C3D-0000-4000-8000-000000000002}\"><Properties action=\"U\" "
     "thisDrive=\"NOCHANGE\" allDrives=\"NOCHANGE\" userName=\"OLD\\svc-drive\" "
     "path=\"\\\\fs1.old.test\\home\" label=\"Home\" persistent=\"0\" useLetter=\"1\" "
     "letter=\"H\" cpassword=\"\"/></Drive></Drives>"},
    {"User/Preferences/Printers/Printers.xml",
     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Printers "
     "clsid=\"{1F577D12-3D1B-471e-A1B7-060317597B9C}\"><SharedPrinter "
     "clsid=\"{9A5E9697-9095-436d-A0EE-4D128FDFBCE5}\" name=\"Floor1\" image=\"2\" "
     "uid=\"{0A1B2C3D-0000-4000-8000-000000000003}\"><Properties action=\"U\" comment=\"\" "
     "path=\"\\\\print1.old.test\\Floor1\" location=\"\" default=\"0\" skipLocal=\"0\" "
     "deleteAll=\"0\" persistent=\"0\" deleteMaps=\"0\" port=\"\" "
     "username=\"svc-print@old.test\" cpassword=\"\"/></SharedPrinter></Printers>"},
    {"Machine/Preferences/DataSources/DataSources.xml",
     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<DataSources "
     "clsid=\"{380F820F-F21B-41ac-A3CC-24D4F80F067B}\"><DataSource "
     "clsid=\"{5C209626-D820-4d69-8D50-1FACD6214488}\" name=\"Sales\" image=\"0\" "
     "uid=\"{0A1B2C3D-0000-4000-8000-000000000004}\"><Properties action=\"U\" userDSN=\"0\" "
     "dsn=\"Sales\" driver=\"SQL Server\" description=\"\" username=\"OLD\\svc-sql\" "
     "cpassword=\"\"/></DataSource></DataSources>"},
    {"Machine/Preferences/ScheduledTasks/ScheduledTasks.xml",
     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<ScheduledTasks "
     "clsid=\"{CC63F200-7309-4ba0-B154-A71CD118DBCC}\"><TaskV2 "
     "clsid=\"{D8896631-B747-47a7-84A6-C155337F3BC8}\" name=\"Nightly\" image=\"0\" "
     "uid=\"{0A1B2C3D-0000-4000-8000-000000000005}\"><Properties action=\"C\" name=\"Nightly\" "
     "runAs=\"OLD\\svc-task\" logonType=\"Password\"><Task version=\"1.2\"><Principals>"
     "<Principal id=\"Author\"><UserId>OLD\\svc-task</UserId><LogonType>Password</LogonType>"
     "</Principal></Principals><Actions Context=\"Author\"><Exec><Command>cleanup.cmd</Command>"
     "</Exec></Actions></Task></Properties></TaskV2><ImmediateTaskV2 "
     "clsid=\"{9756B581-76EC-4169-9AFC-0CA8D43ADB5F}\" name=\"Once\" image=\"0\" "
     "uid=\"{0A1B2C3D-0000-4000-8000-000000000006}\"><Properties action=\"C\" name=\"Once\">"
     "<Task version=\"1.3\"><Principals><Principal id=\"Author\"><GroupId>OLD\\Task "
     "Operators</GroupId></Principal></Principals><Actions Context=\"Author\"><Exec><Command>"
     "once.cmd</Command></Exec></Actions></Task></Properties></ImmediateTaskV2>"
     "</ScheduledTasks>"},
};

// Every account the files name, once.
const char* const kAccounts[] = {"OLD\\svc-print", "OLD\\svc-drive", "svc-print@old.test",
                                 "OLD\\svc-sql",   "OLD\\svc-task",  "OLD\\Task Operators"};

// `text` with every occurrence of each `from` replaced by its `to`.
std::string ReplacedAll(std::string text,
                        const std::vector<std::pair<std::string, std::string>>& edits) {
  for (const auto& [from, to] : edits) {
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return text;
}

// `xml` as gpop writes a preference file it migrated (UTF-8 with a BOM, raw).
std::string Rewritten(const std::string& xml) {
  auto doc = LoadXml(xml, "test.xml");
  EXPECT_TRUE(doc.ok());
  return doc.ok() ? SaveXml(**doc, pugi::format_raw | pugi::format_write_bom) : "";
}

class SysvolMigrationGppTest : public testing::DemoCopyTest {
 protected:
  void WriteSources(const fs::path& gpt) override {
    for (const PreferenceFile& f : kFiles) WriteBytes(gpt / f.path, f.xml);
  }

  // A copy through a table of `mappings`.
  core::Outcome CopyWith(const std::string& mappings, bool only, RecordingSink* sink) {
    PutTable("t", testing::TableXml(mappings));
    return Copy("t", only, *sink);
  }

  // Each preference file of the copy is its source with exactly `edits` made.
  void ExpectFilesAre(const core::Outcome& out,
                      const std::vector<std::pair<std::string, std::string>>& edits) {
    for (const PreferenceFile& f : kFiles) {
      EXPECT_EQ(ReadFileBytes(GptOf(out) / f.path), Rewritten(ReplacedAll(f.xml, edits))) << f.path;
    }
    // Each edit is one the sources have to make (an edit that matches nothing checks nothing).
    for (const auto& edit : edits) {
      EXPECT_TRUE(std::any_of(std::begin(kFiles), std::end(kFiles), [&](const PreferenceFile& f) {
        return std::string(f.xml).find(edit.first) != std::string::npos;
      })) << edit.first;
    }
  }
};

TEST_F(SysvolMigrationGppTest, ExplicitDestinationsAreWrittenInEveryPrincipalField) {
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"OLD\\svc-print", "NEW\\svc-print"},         {"OLD\\svc-drive", "NEW\\svc-drive"},
      {"svc-print@old.test", "svc-print@new.test"}, {"OLD\\svc-sql", "NEW\\svc-sql"},
      {"OLD\\svc-task", "NEW\\svc-task"},           {"OLD\\Task Operators", "NEW\\Task Operators"},
      {"\\\\fs1.old.test", "\\\\fs2.new.test"},     {"\\\\print1.old.test", "\\\\print2.new.test"}};
  std::string table;
  for (const auto& [from, to] : edits) {
    table += MappingXml(from.rfind("\\\\", 0) == 0 ? "UNCPath" : "Unknown", from, to);
  }
  RecordingSink sink;
  core::Outcome out = CopyWith(table, true, &sink);
  ASSERT_FALSE(out.error) << out.error->message;
  EXPECT_TRUE(testing::UnmappedMessages(sink).empty());
  ExpectFilesAre(out, edits);
}

TEST_F(SysvolMigrationGppTest, RelativeNamesAndNoneInACopy) {
  std::string table;
  for (const char* a : kAccounts) {
    table += std::string(a) == "OLD\\Task Operators" ? MappingXml("GlobalGroup", a, "")
                                                     : RelativeMappingXml("User", a);
  }
  table += MappingXml("UNCPath", "\\\\fs1.old.test", "=") +
           MappingXml("UNCPath", "\\\\print1.old.test", "=");
  RecordingSink sink;
  core::Outcome out = CopyWith(table, true, &sink);
  ASSERT_FALSE(out.error) << out.error->message;
  // The store's domain is gpop.test: NetBIOS GPOP. The group mapped to None leaves the task's
  // GroupId empty, with a warning.
  ExpectFilesAre(out, {{"OLD\\svc-", "GPOP\\svc-"},
                       {"svc-print@old.test", "svc-print@gpop.test"},
                       {"<GroupId>OLD\\Task Operators</GroupId>", "<GroupId></GroupId>"}});
  int warned = 0;
  for (const core::StatusMessage& m : sink.messages) {
    if (m.message.find("\"OLD\\Task Operators\" to None") == std::string::npos) continue;
    EXPECT_EQ(m.severity, core::Severity::kWarning);
    EXPECT_NE(m.object_path.find("ScheduledTasks.xml"), std::string::npos) << m.object_path;
    ++warned;
  }
  EXPECT_EQ(warned, 1);
}

TEST_F(SysvolMigrationGppTest, TableOnlyNamesEachAccountOnceAndTheTemplateListsThem) {
  const auto before = testing::Snapshot(store_.config.sysvol_dir);
  RecordingSink sink;
  core::Outcome out = CopyWith(MappingXml("UNCPath", "\\\\fs1.old.test", "=") +
                                   MappingXml("UNCPath", "\\\\print1.old.test", "="),
                               true, &sink);
  ASSERT_TRUE(out.error);
  EXPECT_EQ(out.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(out.effects, core::Effects::kNone);
  EXPECT_EQ(testing::Snapshot(store_.config.sysvol_dir), before);
  // One message per account (the task's runAs and its UserId are one).
  std::vector<std::string> unmapped = testing::UnmappedMessages(sink);
  EXPECT_EQ(unmapped.size(), std::size(kAccounts)) << ::testing::PrintToString(unmapped);
  for (const char* a : kAccounts) {
    EXPECT_EQ(std::count_if(unmapped.begin(), unmapped.end(),
                            [&](const std::string& m) {
                              return m.find(std::string("\"") + a + "\"") != std::string::npos;
                            }),
              1)
        << a;
  }
  // The template of the GPO lists every account and both paths.
  RecordingSink report_sink;
  core::Outcome tmpl =
      Run(testing::ReportOfGpo(kWorkstation, core::ReportFormat::kMigrationTable), report_sink);
  ASSERT_FALSE(tmpl.error) << tmpl.error->message;
  auto table = ParseMigrationTable(std::get<core::ReportInfo>(tmpl.result).content, "template");
  ASSERT_TRUE(table.ok()) << table.error().message;
  for (const char* a : kAccounts) EXPECT_NE(table->FindPrincipal(a), nullptr) << a;
  EXPECT_NE(table->FindPath("\\\\fs1.old.test\\home"), nullptr);
  EXPECT_NE(table->FindPath("\\\\print1.old.test\\Floor1"), nullptr);
}

// A SID field that is not half of a name/SID pair (the migrator looks at sid, groupSid and
// userSid attributes wherever they are): mapped to None it is emptied with a warning, as a
// principal field; mapped to a name it keeps its SID and is reported, as a security
// descriptor's SID (a SID field holds no name).
constexpr char kLoneSidPath[] = "Machine/Preferences/Services/Services.xml";
constexpr char kNoneSid[] = "S-1-5-21-1000000000-2000000000-3000000000-1105";
constexpr char kNamedSid[] = "S-1-5-21-1000000000-2000000000-3000000000-1106";

class SysvolMigrationGppLoneSidTest : public testing::DemoCopyTest {
 protected:
  void WriteSources(const fs::path& gpt) override {
    WriteBytes(gpt / kLoneSidPath,
               std::string("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<NTServices "
                           "clsid=\"{2CFB484A-4E96-4b5d-A0B6-093D2F91E6AE}\"><NTService "
                           "clsid=\"{AB6F0B67-341F-4e51-92F9-005FBFBA1A43}\" name=\"A\" "
                           "uid=\"{0A1B2C3D-0000-4000-8000-000000000011}\"><Properties "
                           "serviceName=\"A\" userSid=\"") +
                   kNoneSid +
                   "\"/></NTService><NTService "
                   "clsid=\"{AB6F0B67-341F-4e51-92F9-005FBFBA1A43}\" name=\"B\" "
                   "uid=\"{0A1B2C3D-0000-4000-8000-000000000012}\"><Properties "
                   "serviceName=\"B\" sid=\"" +
                   kNamedSid + "\"/></NTService></NTServices>");
  }
};

TEST_F(SysvolMigrationGppLoneSidTest, NoneEmptiesTheFieldAndANameIsReported) {
  PutTable("t", testing::TableXml(MappingXml("User", kNoneSid, "") +
                                  MappingXml("User", kNamedSid, "NEW\\svc-b")));
  RecordingSink sink;
  core::Outcome out = Copy("t", false, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const std::string source = ReadFileBytes(gpt_ / kLoneSidPath);
  std::string want = source;
  const std::string none_attr = std::string("userSid=\"") + kNoneSid + "\"";
  ASSERT_NE(want.find(none_attr), std::string::npos);
  want.replace(want.find(none_attr), none_attr.size(), "userSid=\"\"");
  EXPECT_EQ(ReadFileBytes(GptOf(out) / kLoneSidPath), Rewritten(want));
  int none = 0;
  int named = 0;
  for (const core::StatusMessage& m : sink.messages) {
    if (m.message.find(std::string("\"") + kNoneSid + "\" to None") != std::string::npos) {
      EXPECT_EQ(m.severity, core::Severity::kWarning);
      EXPECT_EQ(m.settings_name, "Properties/userSid");
      ++none;
    }
    if (m.message.find(kNamedSid) != std::string::npos &&
        m.message.find("which is not a SID") != std::string::npos) {
      EXPECT_NE(m.message.find("NEW\\svc-b"), std::string::npos) << m.message;
      ++named;
    }
  }
  EXPECT_EQ(none, 1);
  EXPECT_EQ(named, 1);
}

// A drive or printer that stores a password (cpassword) for its account: when the table maps
// the account to another one or to None, the password (the old account's) is emptied with a
// warning naming the item; an account the table keeps (DestinationSameAsSource) keeps it.
constexpr char kDrivesPath[] = "User/Preferences/Drives/Drives.xml";
constexpr char kPrintersPath[] = "User/Preferences/Printers/Printers.xml";
// The key Microsoft published makes any cpassword readable (MS14-025); this one is made up.
constexpr char kStoredPassword[] = "R2h0fU1hZGVVcEZvckFUZXN0T25seQ";

// A drive `letter` mapped for `user`, with a stored password; `uid` ends its uid.
std::string DriveXml(const std::string& letter, const std::string& user, const std::string& uid) {
  return "<Drive clsid=\"{935D1B74-9CB8-4e3c-9914-7DD559B7A417}\" name=\"" + letter +
         ":\" image=\"2\" uid=\"{0A1B2C3D-0000-4000-8000-0000000000" + uid +
         "}\"><Properties action=\"U\" thisDrive=\"NOCHANGE\" allDrives=\"NOCHANGE\" userName=\"" +
         user + "\" path=\"\\\\fs1\\share\" label=\"\" persistent=\"0\" useLetter=\"1\" letter=\"" +
         letter + "\" cpassword=\"" + kStoredPassword + "\"/></Drive>";
}

class SysvolMigrationGppPasswordTest : public testing::DemoCopyTest {
 protected:
  void WriteSources(const fs::path& gpt) override {
    WriteBytes(gpt / kDrivesPath,
               "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Drives "
               "clsid=\"{8FDDCC1A-0C3C-43cd-A6B4-71A6DF20DA8C}\">" +
                   DriveXml("H", "OLD\\svc-drive", "21") + DriveXml("S", "OLD\\svc-same", "22") +
                   "</Drives>");
    WriteBytes(gpt / kPrintersPath,
               std::string("<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Printers "
                           "clsid=\"{1F577D12-3D1B-471e-A1B7-060317597B9C}\"><SharedPrinter "
                           "clsid=\"{9A5E9697-9095-436d-A0EE-4D128FDFBCE5}\" name=\"Floor1\" "
                           "image=\"2\" uid=\"{0A1B2C3D-0000-4000-8000-000000000031}\"><Properties "
                           "action=\"U\" path=\"\\\\print1\\Floor1\" "
                           "username=\"svc-print@old.test\" cpassword=\"") +
                   kStoredPassword + "\"/></SharedPrinter></Printers>");
  }
};

TEST_F(SysvolMigrationGppPasswordTest, APasswordOfAMappedAccountIsRemovedWithAWarning) {
  PutTable("t", testing::TableXml(MappingXml("User", "OLD\\svc-drive", "NEW\\svc-drive") +
                                  MappingXml("User", "OLD\\svc-same", "=") +
                                  MappingXml("User", "svc-print@old.test", "")));
  RecordingSink sink;
  core::Outcome out = Copy("t", false, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  const std::string password = std::string("cpassword=\"") + kStoredPassword + "\"";
  const std::string drives = ReadFileBytes(gpt_ / kDrivesPath);
  const size_t h = drives.find(password);
  ASSERT_NE(h, std::string::npos);
  std::string want_drives = drives;  // H:'s password goes, S:'s stays
  want_drives.replace(h, password.size(), "cpassword=\"\"");
  want_drives.replace(want_drives.find("OLD\\svc-drive"), 13, "NEW\\svc-drive");
  EXPECT_EQ(ReadFileBytes(GptOf(out) / kDrivesPath), Rewritten(want_drives));
  EXPECT_NE(ReadFileBytes(GptOf(out) / kDrivesPath).find(password), std::string::npos);  // S:
  std::string want_printers = ReadFileBytes(gpt_ / kPrintersPath);
  want_printers.replace(want_printers.find(password), password.size(), "cpassword=\"\"");
  want_printers.replace(want_printers.find("svc-print@old.test"), 18, "");
  EXPECT_EQ(ReadFileBytes(GptOf(out) / kPrintersPath), Rewritten(want_printers));

  std::map<std::string, int> warned;  // item -> warnings about its password
  for (const core::StatusMessage& m : sink.messages) {
    if (m.message.find("cpassword") == std::string::npos) continue;
    EXPECT_EQ(m.severity, core::Severity::kWarning);
    EXPECT_EQ(m.settings_name, "Properties/cpassword");
    EXPECT_EQ(m.message.find(kStoredPassword), std::string::npos);  // never shown
    for (const char* item : {"\"H:\"", "\"S:\"", "\"Floor1\""}) {
      if (m.message.find(std::string("preference item ") + item) != std::string::npos) {
        ++warned[item];
      }
    }
  }
  EXPECT_EQ(warned, (std::map<std::string, int>{{"\"H:\"", 1}, {"\"Floor1\"", 1}}));
}

}  // namespace
}  // namespace gpop::sysvol
