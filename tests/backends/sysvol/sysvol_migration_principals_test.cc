// Migration tables on the principals of GptTmpl.inf and Groups.xml, through imports of the
// HardenAD fixture backups (a [Group Membership] section and extra Groups.xml items added to
// the backup's own files): restricted groups map the group on the left and the members on the
// right; DestinationNone removes a privilege-rights entry, a member, a group's item; Groups.xml
// maps a group's own name (groupName, newName) and SID and its members by name and by SID;
// relative names resolve against the target domain. Every check compares the whole file with
// the source file plus exactly the mapped edits.

#include <gtest/gtest.h>

#include "service/backends/sysvol/format/safe_xml.h"
#include "tests/backends/sysvol/migration_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupIdOf;
using testing::ImportIntoNewGpo;
using testing::MappingXml;
using testing::ReadFileBytes;
using testing::RecordingSink;
using testing::TableXml;
using testing::Utf16Of;
using testing::Utf8Of;
using testing::WriteBytes;

constexpr const char* kPaw = testing::kHardenAdPaw;
constexpr char kLocalAdmins[] = "HAD-LocalAdmins-T1/{9B52CEFC-64E9-43EF-A822-DA5557416251}";

// HARDEN\L-S-T0_PawAccess_Logon and HARDEN\Domain Admins, as the Paw backup's Backup.xml
// records them (settings name the SIDs, the table names the accounts).
constexpr char kPawLogon[] = "S-1-5-21-3969813092-808328988-2608691388-1617";
constexpr char kDomainAdmins[] = "S-1-5-21-3969813092-808328988-2608691388-512";
constexpr char kNewLogon[] = "S-1-5-21-1000000000-2000000000-3000000000-1617";

// `text` with every `from` replaced by `to` (which must occur).
std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The warnings a migration's DestinationNone gave.
std::vector<std::string> NoneNotes(const RecordingSink& sink) {
  std::vector<std::string> out;
  for (const core::StatusMessage& m : sink.messages) {
    if (m.message.find("to None") == std::string::npos &&
        m.message.find("mapped to None") == std::string::npos) {
      continue;
    }
    EXPECT_EQ(m.severity, core::Severity::kWarning) << m.message;
    EXPECT_FALSE(m.object_path.empty());
    out.push_back(m.message);
  }
  return out;
}

class SysvolMigrationPrincipalsTest : public testing::MigrationTest {
 protected:
  static fs::path InfBelow(const fs::path& gpt) {
    return gpt / "Machine" / "microsoft" / "windows nt" / "SecEdit" / "GptTmpl.inf";
  }
  static fs::path GroupsBelow(const fs::path& gpt) {
    return gpt / "Machine" / "Preferences" / "Groups" / "Groups.xml";
  }
  fs::path BackupGpt(const std::string& rel) const {
    return store_.location() / BackupIdOf(rel) / "DomainSysvol" / "GPO";
  }

  // Appends `lines` to the Paw backup's GptTmpl.inf (UTF-16LE kept); returns the new text.
  std::string AppendToPawInf(const std::string& lines) {
    const fs::path inf = InfBelow(BackupGpt(kPaw));
    const std::string text = Utf8Of(ReadFileBytes(inf)) + lines;
    WriteBytes(inf, Utf16Of(text));
    return text;
  }

  // Imports `rel` into a new GPO through a table of `mappings`; the outcome must succeed.
  core::Outcome Import(const std::string& rel, const std::string& mappings, bool table_only,
                       RecordingSink* sink) {
    PutTable("t", TableXml(mappings));
    core::Outcome out = Run(ImportIntoNewGpo(BackupIdOf(rel), "t", table_only), *sink);
    EXPECT_FALSE(out.error) << out.error->message;
    return out;
  }
};

TEST_F(SysvolMigrationPrincipalsTest, RestrictedGroupsMapTheGroupAndItsMembers) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  const std::string p = std::string("*") + kPawLogon;
  const std::string source = AppendToPawInf(
      "[Group Membership]\r\n" + p + "__Memberof = *S-1-5-32-544\r\n" + p + "__Members = \r\n" +
      "*S-1-5-32-555__Members = *" + kDomainAdmins + ",HARDEN\\helpdesk,*S-1-5-32-545\r\n" +
      "*S-1-5-32-555__Memberof = \r\n" + "HARDEN\\Tier1 Admins__Members = HARDEN\\helpdesk\r\n" +
      "HARDEN\\Tier1 Admins__Memberof = " + p + "\r\n");
  // Every domain principal is mapped: "migration table only" lets the import through.
  RecordingSink sink;
  core::Outcome out =
      Import(kPaw,
             MappingXml("LocalGroup", "L-S-T0_PawAccess_Logon@harden.ad", kNewLogon) +
                 MappingXml("GlobalGroup", "HARDEN\\Domain Admins", "GPOP\\Tier0 Admins") +
                 MappingXml("User", "HARDEN\\helpdesk", "GPOP\\helpdesk") +
                 MappingXml("GlobalGroup", "HARDEN\\Tier1 Admins", "Tier1 Admins@gpop.test"),
             true, &sink);
  if (out.error) return;
  EXPECT_TRUE(testing::UnmappedMessages(sink).empty());
  const std::string bytes = ReadFileBytes(InfBelow(GptOf(out)));
  ASSERT_TRUE(HasUtf16LeBom(bytes));
  // The whole file: the source with exactly the mapped principals replaced. A SID destination
  // keeps the template's '*', a name is written bare; untouched lines keep their spacing.
  std::string want = source;
  const std::string n = std::string("*") + kNewLogon;
  want = Replaced(want, "SeInteractiveLogonRight = " + p, "SeInteractiveLogonRight = " + n);
  want = Replaced(want, p + "__Memberof = *S-1-5-32-544", n + "__Memberof = *S-1-5-32-544");
  want = Replaced(want, p + "__Members = ", n + "__Members = ");
  want = Replaced(want,
                  std::string("*S-1-5-32-555__Members = *") + kDomainAdmins + ",HARDEN\\helpdesk",
                  "*S-1-5-32-555__Members = GPOP\\Tier0 Admins,GPOP\\helpdesk");
  want = Replaced(want, "HARDEN\\Tier1 Admins__Members = HARDEN\\helpdesk",
                  "Tier1 Admins@gpop.test__Members = GPOP\\helpdesk");
  want = Replaced(want, "HARDEN\\Tier1 Admins__Memberof = " + p,
                  "Tier1 Admins@gpop.test__Memberof = " + n);
  EXPECT_EQ(Utf8Of(bytes), want);
  // The Groups.xml member of the same account, named by name there, takes the SID too.
  const std::string groups = ReadFileBytes(GroupsBelow(GptOf(out)));
  EXPECT_NE(groups.find(std::string("name=\"") + kNewLogon + "\" action=\"ADD\" sid=\"" +
                        kNewLogon + "\""),
            std::string::npos)
      << groups;
}

TEST_F(SysvolMigrationPrincipalsTest, NoneRemovesAPrivilegeRightsEntryAndAMember) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  const std::string p = std::string("*") + kPawLogon;
  const std::string source = AppendToPawInf("SeBatchLogonRight = " + p + "\r\n");
  RecordingSink sink;
  core::Outcome out =
      Import(kPaw, MappingXml("LocalGroup", "L-S-T0_PawAccess_Logon@harden.ad", ""), true, &sink);
  if (out.error) return;
  // The entry leaves SeInteractiveLogonRight; SeBatchLogonRight, which it alone held, is no
  // longer set (an empty list would grant the right to no one). Nothing else changed.
  std::string want = Replaced(source, p + ",*S-1-5-32-544", "*S-1-5-32-544");
  want = Replaced(want, "SeBatchLogonRight = " + p + "\r\n", "");
  EXPECT_EQ(Utf8Of(ReadFileBytes(InfBelow(GptOf(out)))), want);
  // The Groups.xml member of the same account is removed from its group, not left blank.
  const std::string groups = ReadFileBytes(GroupsBelow(GptOf(out)));
  EXPECT_EQ(groups.find("<Member "), std::string::npos) << groups;
  EXPECT_NE(groups.find("<Members"), std::string::npos) << groups;
  EXPECT_NE(groups.find("groupName=\"Administrators (built-in)\""), std::string::npos) << groups;
  // Each removal is a warning naming the file: two entries and a line from GptTmpl.inf, the
  // member from Groups.xml.
  const std::vector<std::string> notes = NoneNotes(sink);
  EXPECT_EQ(notes.size(), 4u) << ::testing::PrintToString(notes);
  int member = 0;
  for (const std::string& m : notes) {
    if (m.find("member \"HARDEN\\L-S-T0_PawAccess_Logon\"") != std::string::npos) ++member;
  }
  EXPECT_EQ(member, 1) << ::testing::PrintToString(notes);
}

TEST_F(SysvolMigrationPrincipalsTest, GroupsXmlMapsTheGroupsOwnNameAndSidAndItsMembers) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kLocalAdmins);
  const std::string d = "S-1-5-21-377384656-2034318749-3205619982-";
  // The real file with two more items: a domain group renamed on the clients (newName), with a
  // member named by SID only and one the table removes; and a group the table removes, whose
  // member the table does not map (never looked at: the item goes).
  const fs::path file = GroupsBelow(BackupGpt(kLocalAdmins));
  const std::string extra =
      "\t<Group clsid=\"{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}\" name=\"MITARD\\L-S-T1_Helpdesk\" "
      "image=\"2\" uid=\"{11111111-2222-3333-4444-555555555555}\"><Properties action=\"U\" "
      "newName=\"MITARD\\L-S-T1_Support\" description=\"\" groupSid=\"" +
      d +
      "3001\" groupName=\"MITARD\\L-S-T1_Helpdesk\"><Members><Member name=\"\" "
      "action=\"ADD\" sid=\"" +
      d +
      "2940\"/><Member name=\"MITARD\\L-S-T1_Retired\" "
      "action=\"ADD\" sid=\"" +
      d +
      "2950\"/></Members></Properties></Group>\r\n"
      "\t<Group clsid=\"{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}\" name=\"MITARD\\L-S-T1_Gone\" "
      "image=\"2\" uid=\"{66666666-7777-8888-9999-000000000000}\"><Properties action=\"U\" "
      "groupSid=\"" +
      d +
      "3002\" groupName=\"MITARD\\L-S-T1_Gone\"><Members><Member "
      "name=\"MITARD\\L-S-T1_Unmapped\" action=\"ADD\" sid=\"\"/></Members></Properties>"
      "</Group>\r\n";
  WriteBytes(file, Replaced(ReadFileBytes(file), "</Groups>", extra + "</Groups>"));
  const std::string source = ReadFileBytes(file);

  RecordingSink sink;
  core::Outcome out = Import(
      kLocalAdmins,
      MappingXml("GlobalGroup", "MITARD\\L-S-T1_LocalAdmins_Servers", "GPOP\\T1-Servers-Admins") +
          MappingXml("GlobalGroup", d + "2940", "S-1-5-21-1000000000-2000000000-3000000000-2940") +
          MappingXml("GlobalGroup", "MITARD\\L-S-T1_Retired", "") +
          MappingXml("GlobalGroup", "MITARD\\L-S-T1_Helpdesk", "GPOP\\T1-Helpdesk") +
          MappingXml("GlobalGroup", "MITARD\\L-S-T1_Support", "GPOP\\T1-Support") +
          MappingXml("GlobalGroup", "MITARD\\L-S-T1_Gone", ""),
      true, &sink);
  if (out.error) return;

  // The expected document: the source with exactly these edits, written as gpop writes XML.
  auto doc = LoadXml(source, "Groups.xml");
  ASSERT_TRUE(doc.ok());
  pugi::xml_node root = (*doc)->child("Groups");
  std::vector<pugi::xml_node> items;
  for (pugi::xml_node g : root.children("Group")) items.push_back(g);
  ASSERT_EQ(items.size(), 4u);
  // The real item's member, mapped by name: the new name, its old domain SID emptied.
  pugi::xml_node servers = items[0].child("Properties").child("Members").child("Member");
  servers.attribute("name").set_value("GPOP\\T1-Servers-Admins");
  servers.attribute("sid").set_value("");
  // The renamed group: item name, groupName, groupSid, newName; the member mapped by SID keeps
  // its empty name; the removed member is gone.
  items[2].attribute("name").set_value("GPOP\\T1-Helpdesk");
  pugi::xml_node props = items[2].child("Properties");
  props.attribute("groupName").set_value("GPOP\\T1-Helpdesk");
  props.attribute("groupSid").set_value("");
  props.attribute("newName").set_value("GPOP\\T1-Support");
  pugi::xml_node by_sid = props.child("Members").first_child();
  by_sid.attribute("sid").set_value("S-1-5-21-1000000000-2000000000-3000000000-2940");
  props.child("Members").remove_child(by_sid.next_sibling());
  root.remove_child(items[3]);
  EXPECT_EQ(ReadFileBytes(GroupsBelow(GptOf(out))),
            SaveXml(**doc, pugi::format_raw | pugi::format_write_bom));

  // Two removals, each a warning.
  const std::vector<std::string> notes = NoneNotes(sink);
  ASSERT_EQ(notes.size(), 2u) << ::testing::PrintToString(notes);
  EXPECT_NE(notes[0].find("MITARD\\L-S-T1_Retired"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("MITARD\\L-S-T1_Gone"), std::string::npos) << notes[1];

  // The backup's migration table template lists the group names, the SIDs and the members.
  RecordingSink report_sink;
  core::Outcome tmpl =
      Run(testing::ReportOfBackup(BackupIdOf(kLocalAdmins), core::ReportFormat::kMigrationTable),
          report_sink);
  ASSERT_FALSE(tmpl.error) << tmpl.error->message;
  const std::string& text = std::get<core::ReportInfo>(tmpl.result).content;
  for (const std::string& want :
       {std::string("MITARD\\L-S-T1_Helpdesk"), std::string("MITARD\\L-S-T1_Support"), d + "3001",
        d + "2940", std::string("MITARD\\L-S-T1_Retired"), std::string("MITARD\\L-S-T1_Gone"),
        std::string("MITARD\\L-S-T1_Unmapped")}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << "\n" << text;
  }
}

TEST_F(SysvolMigrationPrincipalsTest, RelativeNamesAreAppliedInAnImport) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Open(fixtures, kPaw);
  const std::string source = AppendToPawInf("SeBatchLogonRight = HARDEN\\batch\r\n");
  RecordingSink sink;
  core::Outcome out =
      Import(kPaw,
             testing::RelativeMappingXml("LocalGroup", "L-S-T0_PawAccess_Logon@harden.ad") +
                 testing::RelativeMappingXml("User", "HARDEN\\batch"),
             true, &sink);
  if (out.error) return;
  // The target domain is gpop.test (NetBIOS GPOP). The settings' SID takes the relative name of
  // the account the table names; a NETBIOS\name keeps its form.
  std::string want =
      Replaced(source, std::string("*") + kPawLogon + ",", "L-S-T0_PawAccess_Logon@gpop.test,");
  want = Replaced(want, "HARDEN\\batch", "GPOP\\batch");
  EXPECT_EQ(Utf8Of(ReadFileBytes(InfBelow(GptOf(out)))), want);
  const std::string groups = ReadFileBytes(GroupsBelow(GptOf(out)));
  EXPECT_NE(groups.find("name=\"GPOP\\L-S-T0_PawAccess_Logon\" action=\"ADD\" sid=\"\""),
            std::string::npos)
      << groups;

  // A SID Backup.xml knows no name for has no relative name offline: with "migration table
  // only" it is one unmapped entry and nothing is written.
  AppendToPawInf("SeServiceLogonRight = *S-1-5-21-3969813092-808328988-2608691388-4242\r\n");
  PutTable("sid",
           TableXml(testing::RelativeMappingXml("LocalGroup", "L-S-T0_PawAccess_Logon@harden.ad") +
                    testing::RelativeMappingXml("User", "HARDEN\\batch") +
                    testing::RelativeMappingXml("User",
                                                "S-1-5-21-3969813092-808328988-2608691388-4242")));
  const auto before = testing::Snapshot(store_.config.sysvol_dir);
  RecordingSink refused_sink;
  core::Outcome refused =
      Run(ImportIntoNewGpo(BackupIdOf(kPaw), "sid", true, "Refused"), refused_sink);
  ASSERT_TRUE(refused.error);
  EXPECT_EQ(refused.error->code, core::Code::kFailedPrecondition);
  EXPECT_EQ(refused.effects, core::Effects::kNone);
  EXPECT_EQ(testing::Snapshot(store_.config.sysvol_dir), before);
  const std::vector<std::string> unmapped = testing::UnmappedMessages(refused_sink);
  ASSERT_EQ(unmapped.size(), 1u) << ::testing::PrintToString(unmapped);
  EXPECT_NE(unmapped[0].find("-4242"), std::string::npos) << unmapped[0];
  EXPECT_NE(unmapped[0].find("relative name"), std::string::npos) << unmapped[0];
}

}  // namespace
}  // namespace gpop::sysvol
