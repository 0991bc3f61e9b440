// Tests of the typed security template views, on the fixtures' GptTmpl.inf and hand-made lines.

#include "service/backends/sysvol/format/security_template.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

using testing::FindFiles;
using testing::ReadFileBytes;

SecurityTemplate ReadFixture(const std::filesystem::path& fixtures, const char* backup) {
  auto files = FindFiles(fixtures / "gpmc-backups" / backup, "GptTmpl.inf");
  EXPECT_EQ(files.size(), 1u);
  if (files.empty()) return {};
  auto inf = ParseGptTmplInf(ReadFileBytes(files[0]), "GptTmpl.inf");
  EXPECT_TRUE(inf.ok());
  if (!inf.ok()) return {};
  auto t = ReadSecurityTemplate(*inf, "GptTmpl.inf");
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : SecurityTemplate{};
}

TEST(SecurityTemplateTest, ReadsStigFixture) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  SecurityTemplate t = ReadFixture(fixtures, "{A2A38432-E322-437F-9975-B7CC7F16F4AA}");
  ASSERT_EQ(t.system_access.size(), 13u);
  EXPECT_EQ(t.system_access[0].name, "MinimumPasswordAge");
  EXPECT_EQ(t.system_access[0].Number(), 1);
  EXPECT_EQ(t.system_access[7].name, "LockoutDuration");
  EXPECT_EQ(t.system_access[7].Number(), -1);
  EXPECT_EQ(t.system_access[9].name, "NewGuestName");
  EXPECT_EQ(t.system_access[9].Unquoted(), "Visitor");
  ASSERT_EQ(t.registry_values.size(), 41u);
  EXPECT_EQ(t.registry_values[0].key, "MACHINE\\System\\CurrentControlSet\\Control\\Lsa");
  EXPECT_EQ(t.registry_values[0].value_name, "RestrictRemoteSAM");
  EXPECT_EQ(t.registry_values[0].type, 1u);
  EXPECT_EQ(t.registry_values[0].data, "\"O:BAG:BAD:(A;;RC;;;BA)\"");
  ASSERT_EQ(t.privilege_rights.size(), 27u);
  EXPECT_EQ(t.privilege_rights[0].name, "SeTrustedCredManAccessPrivilege");
  EXPECT_TRUE(t.privilege_rights[0].members.empty());
  EXPECT_EQ(t.privilege_rights[3].name, "SeInteractiveLogonRight");
  EXPECT_EQ(t.privilege_rights[3].members,
            (std::vector<std::string>{"*S-1-5-32-544", "*S-1-5-32-545"}));
  EXPECT_TRUE(t.services.empty());
}

TEST(SecurityTemplateTest, ReadsServiceFixture) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  SecurityTemplate t = ReadFixture(fixtures, "{16D29EA5-BD80-4487-A7C7-20AF2D68F202}");
  ASSERT_EQ(t.services.size(), 1u);
  EXPECT_EQ(t.services[0], (ServiceSetting{"AppIDSvc", 2, ""}));
}

TEST(SecurityTemplateTest, ReadsEverySection) {
  auto inf = ParseInfText(
      "[Unicode]\r\nUnicode=yes\r\n"
      "[Kerberos Policy]\r\nMaxTicketAge = 10\r\nTicketValidateClient = 1\r\n"
      "[Event Audit]\r\nAuditLogonEvents = 3\r\n"
      "[Group Membership]\r\n*S-1-5-32-544__Memberof =\r\n"
      "*S-1-5-32-544__Members = *S-1-5-21-1-2-3-512,LocalAdmin\r\n"
      "[Registry Keys]\r\n\"MACHINE\\SOFTWARE\\Foo, Inc\",2,\"D:PAR(A;CI;KA;;;BA)\"\r\n"
      "[File Security]\r\n; comment\r\n\"%SystemRoot%\\system32\",0,\"D:AR(A;OICI;FA;;;SY)\"\r\n",
      "t.inf");
  ASSERT_TRUE(inf.ok());
  auto t = ReadSecurityTemplate(*inf, "t.inf");
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t->kerberos_policy.size(), 2u);
  EXPECT_EQ(t->event_audit[0].Number(), 3);
  ASSERT_EQ(t->group_membership.size(), 2u);
  EXPECT_EQ(t->group_membership[0].group, "*S-1-5-32-544");
  EXPECT_EQ(t->group_membership[0].relation, GroupMembership::Relation::kMemberOf);
  EXPECT_TRUE(t->group_membership[0].members.empty());
  EXPECT_EQ(t->group_membership[1].members,
            (std::vector<std::string>{"*S-1-5-21-1-2-3-512", "LocalAdmin"}));
  ASSERT_EQ(t->registry_keys.size(), 1u);
  EXPECT_EQ(t->registry_keys[0].path, "MACHINE\\SOFTWARE\\Foo, Inc");  // comma inside quotes
  EXPECT_EQ(t->registry_keys[0].mode, 2);
  ASSERT_EQ(t->file_security.size(), 1u);
  EXPECT_EQ(t->file_security[0].sddl, "D:AR(A;OICI;FA;;;SY)");
  EXPECT_TRUE(IsSidMember("*S-1-5-32-544"));
  EXPECT_FALSE(IsSidMember("LocalAdmin"));
  EXPECT_EQ(MemberSid("*S-1-5-32-544"), "S-1-5-32-544");
}

TEST(SecurityTemplateTest, MakeThenReadGivesTheSameTemplate) {
  SecurityTemplate t;
  t.system_access = {{"MinimumPasswordLength", "14"}, {"NewGuestName", "\"Visitor\""}};
  t.kerberos_policy = {{"MaxTicketAge", "10"}};
  t.event_audit = {{"AuditLogonEvents", "3"}};
  t.registry_values = {{"MACHINE\\System\\CurrentControlSet\\Control\\Lsa", "NoLMHash", 4, "1"}};
  t.privilege_rights = {{"SeTcbPrivilege", {}}, {"SeBackupPrivilege", {"*S-1-5-32-544"}}};
  t.group_membership = {{"*S-1-5-32-544", GroupMembership::Relation::kMembers, {"*S-1-5-32-545"}}};
  t.services = {{"AppIDSvc", 2, ""}};
  t.registry_keys = {{"MACHINE\\SOFTWARE\\X", 0, "D:PAR(A;CI;KA;;;BA)"}};
  t.file_security = {{"%SystemRoot%\\x", 2, "D:PAR(A;OICI;FA;;;BA)"}};
  InfFile inf = MakeSecurityTemplateInf(t);
  auto bytes = WriteGptTmplInf(inf);
  ASSERT_TRUE(bytes.ok());
  auto parsed = ParseGptTmplInf(*bytes, "GptTmpl.inf");
  ASSERT_TRUE(parsed.ok());
  auto back = ReadSecurityTemplate(*parsed, "GptTmpl.inf");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, t);
  std::string text = FormatInfText(inf);
  EXPECT_EQ(text.substr(0, 26), "[Unicode]\r\nUnicode=yes\r\n[S");
  EXPECT_NE(text.find("SeTcbPrivilege =\r\n"), std::string::npos);
  EXPECT_NE(text.find("[Version]\r\nsignature=\"$CHICAGO$\"\r\nRevision=1\r\n"), std::string::npos);
}

TEST(SecurityTemplateTest, MalformedLinesNameSectionAndLine) {
  for (const char* text : {
           "[System Access]\r\njust text\r\n",
           "[Registry Values]\r\nNoBackslash=4,1\r\n",
           "[Registry Values]\r\nMACHINE\\X\\Y=notype\r\n",
           "[Group Membership]\r\n*S-1-5-32-544 = x\r\n",
           "[Service General Setting]\r\n\"AppIDSvc\",automatic,\"\"\r\n",
           "[File Security]\r\n\"unterminated,0,\"\"\r\n",
       }) {
    auto inf = ParseInfText(text, "t.inf");
    ASSERT_TRUE(inf.ok());
    auto t = ReadSecurityTemplate(*inf, "Machine/x/GptTmpl.inf");
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.error().reason, "CORRUPT_FILE");
    EXPECT_NE(t.error().message.find("Machine/x/GptTmpl.inf: ["), std::string::npos)
        << t.error().message;
  }
}

}  // namespace
}  // namespace gpop::sysvol
