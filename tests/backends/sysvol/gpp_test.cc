// Tests of the Group Policy Preferences reader and of how preferences are written into and read
// back from the report's XML: GPMC's additions (GPOSettingOrder, Filters, the renamed root),
// nested Collections, hostile files.

#include "service/backends/sysvol/format/gpp.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/report_xml.h"

namespace gpop::sysvol {
namespace {

constexpr char kGroups[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<Groups clsid="{3125E937-EB16-4b4c-9934-544FC6D24D26}">
	<Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Administrators (built-in)" uid="{1}">
		<Properties action="U" groupSid="S-1-5-32-544" groupName="Administrators (built-in)">
			<Members><Member name="DOM\Admins &amp; co" action="ADD" sid=""/></Members>
		</Properties>
		<Filters><FilterComputer bool="AND" not="0" type="NETBIOS" name="PC1"/></Filters>
	</Group>
	<Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Remote Desktop Users" uid="{2}">
		<Properties action="D" groupName="Remote Desktop Users"/>
	</Group>
</Groups>)xml";

constexpr char kRegistry[] =
    R"xml(<RegistrySettings clsid="{A}"><Collection clsid="{C}" name="HKLM"><Collection clsid="{C}" name="Sub"><Registry clsid="{R}" name="V1"><Properties action="U" key="Sub" name="V1" type="REG_SZ" value="x"/></Registry><Registry clsid="{R}" name="V2"><Properties action="C" key="Sub" name="V2" type="REG_DWORD" value="00000001"/></Registry></Collection></Collection></RegistrySettings>)xml";

TEST(GppTest, ParsesTheTreeAndNamesTheExtension) {
  auto root = ParsePreferenceXml(kGroups, "Machine/Preferences/Groups/Groups.xml");
  ASSERT_TRUE(root.ok()) << root.error().message;
  EXPECT_EQ(root->name, "Groups");
  ASSERT_EQ(root->children.size(), 2u);
  EXPECT_EQ(root->children[0].Attribute("name"), "Administrators (built-in)");
  EXPECT_EQ(root->children[0].text, "");  // indentation is not data
  const ReportXmlElement& member = root->children[0].children[0].children[0].children[0];
  EXPECT_EQ(member.name, "Member");
  EXPECT_EQ(member.Attribute("name"), "DOM\\Admins & co");

  ReportPreference p = PreferenceFromFile("GROUPS", *root);
  EXPECT_EQ(p.folder, "Groups");
  EXPECT_EQ(p.extension_name, "Local Users and Groups");
  EXPECT_EQ(p.xml_namespace, "http://www.microsoft.com/GroupPolicy/Settings/Lugs");
  EXPECT_EQ(p.xsi_type, "LugsSettings");
  ReportPreference unknown = PreferenceFromFile("Gadgets", *root);
  EXPECT_EQ(unknown.extension_name, "Gadgets");
  EXPECT_EQ(unknown.xml_namespace, "http://www.microsoft.com/GroupPolicy/Settings/Gadgets");
  EXPECT_EQ(FindGppExtensionByNamespace("http://www.microsoft.com/GroupPolicy/Settings/Lugs"),
            FindGppExtensionByFolder("groups"));
  EXPECT_EQ(FindGppExtensionByFolder("Nothing"), nullptr);
}

TEST(GppTest, WrittenAsGpmcEmbedsItAndReadBack) {
  auto groups = ParsePreferenceXml(kGroups, "Groups.xml");
  auto registry = ParsePreferenceXml(kRegistry, "Registry.xml");
  ASSERT_TRUE(groups.ok());
  ASSERT_TRUE(registry.ok());
  std::vector<ReportPreference> prefs = {PreferenceFromFile("Registry", *registry),
                                         PreferenceFromFile("Groups", *groups)};
  ReportSideFiles machine;
  machine.preferences = &prefs;
  Report r = BuildReport({}, machine, {});
  ASSERT_EQ(r.computer.preferences.size(), 2u);
  EXPECT_EQ(r.computer.preferences[0].folder, "Groups");  // sorted by folder

  std::string xml = WriteReportXml(r);
  for (const char* want : {
           "<Extension xmlns:q1=\"http://www.microsoft.com/GroupPolicy/Settings/Lugs\" "
           "xsi:type=\"q1:LugsSettings\">",
           "<q1:LocalUsersAndGroups clsid=\"{3125E937-EB16-4b4c-9934-544FC6D24D26}\">",
           "<q1:GPOSettingOrder>2</q1:GPOSettingOrder>",
           "<q1:Member name=\"DOM\\Admins &amp; co\" action=\"ADD\" sid=\"\" />",
           "<q1:FilterComputer bool=\"AND\"",
           "<Name>Local Users and Groups</Name>",
           "<Extension xmlns:q2=\"http://www.microsoft.com/GroupPolicy/Settings/Windows/Registry\" "
           "xsi:type=\"q2:RegistrySettings\">",
           "<Name>Windows Registry</Name>",
       }) {
    EXPECT_NE(xml.find(want), std::string::npos) << want << "\n" << xml;
  }
  // An item without filters gets GPMC's empty one, after its Properties; a Collection's comes
  // first (compared without the indentation).
  std::string compact;
  for (size_t k = 0; k < xml.size(); ++k) {
    if (xml[k] == '\n') {
      while (k + 1 < xml.size() && xml[k + 1] == ' ') ++k;
      continue;
    }
    compact += xml[k];
  }
  EXPECT_NE(compact.find("<q1:Properties action=\"D\" groupName=\"Remote Desktop Users\" />"
                         "<q1:Filters /></q1:Group>"),
            std::string::npos)
      << compact;
  EXPECT_NE(compact.find("<q2:Collection clsid=\"{C}\" name=\"Sub\"><q2:GPOSettingOrder>1"
                         "</q2:GPOSettingOrder><q2:Filters /><q2:Registry"),
            std::string::npos)
      << compact;

  auto back = ParseReportXml(xml, "r.xml");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->computer.preferences, r.computer.preferences);
}

TEST(GppTest, ItemsWalkCollections) {
  auto registry = ParsePreferenceXml(kRegistry, "Registry.xml");
  ASSERT_TRUE(registry.ok());
  std::vector<PreferenceItem> items = PreferenceItems(*registry);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].path, "HKLM\\Sub");
  EXPECT_EQ(items[0].element->Attribute("name"), "V1");
  EXPECT_EQ(items[1].element->Attribute("name"), "V2");
  auto groups = ParsePreferenceXml(kGroups, "Groups.xml");
  ASSERT_TRUE(groups.ok());
  items = PreferenceItems(*groups);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[1].path, "");
  EXPECT_EQ(items[1].element->name, "Group");
}

// A preference file's elements reach gpreport.xml under the report's prefixes: a name that is
// not well-formed once its prefix is gone must be refused on reading (a fuzzer found "c:-sid"),
// and namespace declarations are not copied as attributes named after their prefix.
TEST(GppTest, NamesReachTheReportWellFormed) {
  auto bad = ParsePreferenceXml(
      "<RegistrySettings clsid=\"{A}\"><Registry c:-sid=\"{V}\" clsid=\"{R}\"/></RegistrySettings>",
      "Registry.xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, core::reason::kCorruptFile);
  EXPECT_NE(bad.error().message.find("c:-sid"), std::string::npos) << bad.error().message;

  auto declared = ParsePreferenceXml(
      "<RegistrySettings xmlns:p=\"urn:p\" clsid=\"{A}\"><Registry p:name=\"V\" clsid=\"{R}\">"
      "<Properties xmlns=\"urn:d\" action=\"U\"/></Registry></RegistrySettings>",
      "Registry.xml");
  ASSERT_TRUE(declared.ok()) << declared.error().message;
  const std::vector<std::pair<std::string, std::string>> root_attributes = {{"clsid", "{A}"}};
  EXPECT_EQ(declared->attributes, root_attributes);
  ASSERT_EQ(declared->children.size(), 1u);
  EXPECT_EQ(declared->children[0].Attribute("name"), "V");
  ASSERT_EQ(declared->children[0].children.size(), 1u);
  const std::vector<std::pair<std::string, std::string>> properties = {{"action", "U"}};
  EXPECT_EQ(declared->children[0].children[0].attributes, properties);

  // What was read is written and read back.
  std::vector<ReportPreference> prefs = {PreferenceFromFile("Registry", *declared)};
  ReportSideFiles machine;
  machine.preferences = &prefs;
  const std::string xml = WriteReportXml(BuildReport({}, machine, {}));
  auto back = ParseReportXml(xml, "r.xml");
  ASSERT_TRUE(back.ok()) << back.error().message;
}

TEST(GppTest, HostileFiles) {
  std::string deep = "<Files clsid=\"{x}\">";
  for (int i = 0; i < 70; ++i) deep += "<a>";
  for (const std::string& bad :
       {std::string(""), std::string("<Groups>"), std::string("<!DOCTYPE a [<!ENTITY x 'y'>]><a/>"),
        deep, std::string("\xFF\xFE<\x00", 4), std::string(kMaxPreferenceXmlBytes + 1, ' ')}) {
    auto r = ParsePreferenceXml(bad, "Machine/Preferences/Files/Files.xml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().reason, core::reason::kCorruptFile);
    EXPECT_NE(r.error().message.find("Files.xml"), std::string::npos);
  }
}

}  // namespace
}  // namespace gpop::sysvol
