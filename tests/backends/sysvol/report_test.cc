// Tests of the settings report: built from the fixtures' files, it lists every value of their
// registry.pol files and every RegistrySetting and security setting that Windows' own
// gpreport.xml lists; its XML reads back to the same data; ADMX templates turn values into
// named policies.

#include "service/backends/sysvol/format/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <string>

#include "service/backends/sysvol/format/admx.h"
#include "service/backends/sysvol/format/audit_csv.h"
#include "service/backends/sysvol/format/inf_file.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_applocker.h"
#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/security_template.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/format/utf16.h"
#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

// EqualsNoCase (every key of a report goes through it): ASCII letters fold, nothing else does,
// at every position of short and long strings (the eight-byte runs and the tail).
TEST(TextUtilTest, EqualsNoCaseAtEveryPosition) {
  EXPECT_TRUE(internal::EqualsNoCase("", ""));
  EXPECT_FALSE(internal::EqualsNoCase("a", ""));
  for (size_t n = 1; n <= 20; ++n) {
    const std::string base(n, 'k');
    for (size_t at = 0; at < n; ++at) {
      std::string upper = base;
      upper[at] = 'K';
      EXPECT_TRUE(internal::EqualsNoCase(base, upper)) << n << " " << at;
      std::string other = base;
      other[at] = 'j';
      EXPECT_FALSE(internal::EqualsNoCase(base, other)) << n << " " << at;
      // '[' and '{' differ by 0x20 as 'K' and 'k' do, but are not letters.
      std::string bracket(n, '[');
      std::string brace = bracket;
      brace[at] = '{';
      EXPECT_FALSE(internal::EqualsNoCase(bracket, brace)) << n << " " << at;
    }
  }
  EXPECT_TRUE(internal::EqualsNoCase("Software\\Policies\\Microsoft\\Windows\\SrpV2\\",
                                     "SOFTWARE\\policies\\microsoft\\WINDOWS\\srpv2\\"));
  EXPECT_FALSE(internal::EqualsNoCase("Software\\Policies\\Microsoft\\Windows\\SrpV2\\",
                                      "Software\\Policies\\Microsoft\\Windows\\Genera"));
}

using testing::BackupDirs;
using testing::FindFiles;
using testing::ReadFileBytes;

// The parsed files of one fixture backup and the report built from them.
struct Built {
  std::optional<RegistryPol> machine_pol, user_pol;
  std::optional<SecurityTemplate> security;
  std::optional<AuditCsv> audit;
  Report windows;
  Report ours;
};

Built Build(const std::filesystem::path& dir, const AdmxCatalog* admx = nullptr) {
  Built b;
  auto windows = ParseReportXml(ReadFileBytes(dir / "gpreport.xml"), "gpreport.xml");
  EXPECT_TRUE(windows.ok()) << (windows.ok() ? "" : windows.error().message);
  if (windows.ok()) b.windows = *windows;
  auto gpo = dir / "DomainSysvol" / "GPO";
  for (const auto& path : FindFiles(gpo, "registry.pol")) {
    auto pol = ParseRegistryPol(ReadFileBytes(path), path.string());
    EXPECT_TRUE(pol.ok());
    if (!pol.ok()) continue;
    bool machine = path.parent_path().filename() == "Machine";
    (machine ? b.machine_pol : b.user_pol) = *pol;
  }
  for (const auto& path : FindFiles(gpo, "GptTmpl.inf")) {
    auto inf = ParseGptTmplInf(ReadFileBytes(path), path.string());
    EXPECT_TRUE(inf.ok());
    if (!inf.ok()) continue;
    auto t = ReadSecurityTemplate(*inf, path.string());
    EXPECT_TRUE(t.ok());
    if (t.ok()) b.security = *t;
  }
  for (const auto& path : FindFiles(gpo, "audit.csv")) {
    auto csv = ParseAuditCsv(ReadFileBytes(path), path.string());
    EXPECT_TRUE(csv.ok());
    if (csv.ok()) b.audit = *csv;
  }
  ReportIdentity id;
  id.guid = b.windows.guid;
  id.domain = b.windows.domain;
  id.name = b.windows.name;
  ReportSideFiles computer, user;
  if (b.machine_pol) computer.registry_pol = &*b.machine_pol;
  if (b.security) computer.security = &*b.security;
  if (b.audit) computer.audit = &*b.audit;
  if (b.user_pol) user.registry_pol = &*b.user_pol;
  b.ours = BuildReport(id, computer, user, admx);
  return b;
}

bool SameValue(const ReportRegistrySetting& windows, const ReportRegistrySetting& ours) {
  if (windows.key_path != ours.key_path) return false;
  if (!windows.value) return !ours.value;
  if (!ours.value || windows.value->name != ours.value->name) return false;
  if (windows.value->number) return ours.value->number == windows.value->number;
  return ours.value->text == windows.value->text;
}

// Compares two lists of registry settings and names the first difference.
void ExpectSameSettings(const std::vector<ReportRegistrySetting>& got,
                        const std::vector<ReportRegistrySetting>& want, const std::string& where) {
  ASSERT_EQ(got.size(), want.size()) << where;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == want[i]) continue;
    const auto text = [](const ReportRegistrySetting& r) {
      if (!r.value) return r.key_path + " (key only)";
      std::string t = r.key_path + " | " + r.value->name + " | " + std::to_string(r.value->type);
      if (r.value->number) t += " | number " + std::to_string(*r.value->number);
      if (r.value->text) t += " | text [" + *r.value->text + "]";
      for (const auto& s : r.value->strings) t += " | string [" + s + "]";
      return t;
    };
    ADD_FAILURE() << where << " #" << i << "\n got:  " << text(got[i])
                  << "\n want: " << text(want[i]);
    return;
  }
}

TEST(ReportTest, EveryWindowsRegistrySettingAppearsInOurs) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  size_t checked = 0;
  for (const auto& dir : BackupDirs(fixtures)) {
    Built b = Build(dir);
    for (const auto& [windows_side, our_side] : {std::pair{&b.windows.computer, &b.ours.computer},
                                                 std::pair{&b.windows.user, &b.ours.user}}) {
      for (const ReportRegistrySetting& w : windows_side->registry_settings) {
        bool found =
            std::any_of(our_side->registry_settings.begin(), our_side->registry_settings.end(),
                        [&](const auto& o) { return SameValue(w, o); });
        EXPECT_TRUE(found) << dir << ": " << w.key_path;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 9u);  // the certificate GPO's key-only settings
}

TEST(ReportTest, EveryRegistryPolValueIsReportedWithTypeAndData) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  for (const auto& dir : BackupDirs(fixtures)) {
    Built b = Build(dir);
    for (const auto& [pol, side] :
         {std::pair{&b.machine_pol, &b.ours.computer}, std::pair{&b.user_pol, &b.ours.user}}) {
      if (!*pol) continue;
      // AppLocker's values are reported as its rule collections instead (see the test below).
      size_t app_locker = 0;
      for (const auto& c : side->app_locker) {
        app_locker += c.rules.size() + (c.enforcement_mode.empty() ? 0 : 1);
      }
      ASSERT_EQ(side->registry_settings.size() + app_locker, (*pol)->entries.size()) << dir;
      for (const PolEntry& e : (*pol)->entries) {
        std::vector<ReportAppLockerCollection> scratch;
        if (AddAppLockerEntry(e, &scratch)) continue;
        ReportRegistrySetting expected = RegistrySettingFromEntry(e);
        EXPECT_NE(
            std::find(side->registry_settings.begin(), side->registry_settings.end(), expected),
            side->registry_settings.end())
            << dir << ": " << e.key << " " << e.value_name;
      }
    }
  }
}

TEST(ReportTest, AppLockerRulesAreWindowsApplicationControlPolicies) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  size_t rules = 0;
  for (const auto& dir : BackupDirs(fixtures)) {
    Built b = Build(dir);
    // Rule for rule, attribute for attribute, as Windows' own report holds them.
    EXPECT_EQ(b.ours.computer.app_locker, b.windows.computer.app_locker) << dir;
    EXPECT_EQ(b.ours.user.app_locker, b.windows.user.app_locker) << dir;
    for (const auto& c : b.ours.computer.app_locker) rules += c.rules.size();
    auto back = ParseReportXml(WriteReportXml(b.ours), "ours.xml");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(back->computer.app_locker, b.ours.computer.app_locker);
    if (!b.ours.computer.app_locker.empty()) {
      std::string html = RenderReportHtml(b.ours);
      EXPECT_NE(html.find("<summary>Application Control Policies (AppLocker)</summary>"),
                std::string::npos);
    }
  }
  EXPECT_EQ(rules, 19u);  // the AppLocker GPO's five collections

  // A rule whose XML does not parse stays a RegistrySetting; other SrpV2 values too.
  std::vector<ReportAppLockerCollection> c;
  const std::string key = "Software\\Policies\\Microsoft\\Windows\\SrpV2\\Exe";
  EXPECT_FALSE(AddAppLockerEntry(MakeStringEntry(key + "\\id", "Value", "<FilePathRule"), &c));
  EXPECT_FALSE(AddAppLockerEntry(MakeStringEntry(key + "\\id", "Value", "<!DOCTYPE a><a/>"), &c));
  EXPECT_FALSE(AddAppLockerEntry(MakeDwordEntry(key, "AllowWindows", 1), &c));
  EXPECT_FALSE(AddAppLockerEntry(MakeStringEntry(key, "EnforcementMode", "1"), &c));
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(AddAppLockerEntry(MakeDwordEntry(key, "EnforcementMode", 1), &c));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].enforcement_mode, "Enabled");
}

TEST(ReportTest, RegistryValueForms) {
  auto dword = RegistrySettingFromEntry(MakeDwordEntry("K", "D", 7));
  ASSERT_TRUE(dword.value.has_value());
  EXPECT_EQ(dword.value->number, 7u);
  EXPECT_EQ(dword.value->type, reg_type::kDword);
  auto sz = RegistrySettingFromEntry(MakeStringEntry("K", "S", "x"));
  EXPECT_EQ(sz.value->text, "x");
  auto multi = RegistrySettingFromEntry(MakeMultiStringEntry("K", "M", {"a", "b"}));
  EXPECT_EQ(multi.value->strings, (std::vector<std::string>{"a", "b"}));
  auto bin = RegistrySettingFromEntry(MakeBinaryEntry("K", "B", std::string("\x01\xff", 2)));
  EXPECT_EQ(bin.value->text, "01 ff");
  auto del = RegistrySettingFromEntry(MakeDeleteValueEntry("K", "X"));
  EXPECT_EQ(del.value->name, "**del.X");
  auto key_only = RegistrySettingFromEntry(PolEntry{"K", "", reg_type::kNone, ""});
  EXPECT_FALSE(key_only.value.has_value());
}

// The three XML forms of a report: UTF-16 in one string, UTF-16 streamed (a backup's
// gpreport.xml), UTF-8.
std::vector<std::string> XmlForms(const Report& r) {
  std::string streamed;
  const bool valid = WriteReportXmlUtf16To(r, [&](std::string_view piece) {
    streamed.append(piece);
    return true;
  });
  if (!valid) streamed = "(not valid)";
  return {WriteReportXmlUtf16(r), streamed, WriteReportXml(r)};
}

TEST(ReportTest, RegistrySettingsByReferenceWriteTheDecodedReportsBytes) {
  // Every value form, the escapes, text the fast path must leave to RegistrySettingFromEntry
  // (odd sizes, unpaired surrogates), keys out of order: a backup writes its RegistrySettings
  // straight from the entries, and must write what the decoded report writes.
  const std::string k = "Software\\Policies\\Test";
  const auto utf16 = [](std::string_view utf8) { return *Utf8ToUtf16Le(utf8); };
  RegistryPol pol;
  pol.entries = {
      MakeDwordEntry(k + "\\B", "Dword", 4294967295u),
      PolEntry{k + "\\B", "BigEndian", reg_type::kDwordBigEndian,
               std::string("\x00\x00\x01\x02", 4)},
      PolEntry{k + "\\B", "ShortDword", reg_type::kDword, std::string("\x01\x02", 2)},
      MakeQwordEntry(k + "\\a", "Qword", 1ull << 40),
      MakeStringEntry(k + "\\a", "Specials", "a&b<c>d\"e'f\tg\rh\ni\x01j\x1f"),
      MakeStringEntry(k + "\\a", "Plain", "a long plain ASCII value, more than eight bytes"),
      MakeStringEntry(k + "\\a", "Unicode",
                      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 & more text"),
      MakeStringEntry(k + "\\a", "Empty", ""),
      MakeStringEntry(k + "\\a", "Expand", "%SystemRoot%\\system32", reg_type::kExpandSz),
      PolEntry{k + "\\a", "NoTerminator", reg_type::kSz, utf16("abcdefghij<&>")},
      PolEntry{k + "\\a", "AfterNul", reg_type::kSz,
               utf16("ab") + std::string("\0\0", 2) + utf16("cd")},
      PolEntry{k + "\\a", "Odd", reg_type::kSz, std::string("a\0b", 3)},
      PolEntry{k + "\\a", "LoneHigh", reg_type::kSz, std::string("a\0\x3D\xD8z\0\0\0", 8)},
      PolEntry{k + "\\a", "LoneLow", reg_type::kSz, std::string("\x00\xDC\0\0", 4)},
      PolEntry{k + "\\a", "HighAtEnd", reg_type::kSz, std::string("abcdefgh\x3D\xD8", 10)},
      PolEntry{k + "\\a", "ControlUnits", reg_type::kSz,
               utf16("\x02x\x7fy") + std::string("\0\0", 2)},
      PolEntry{k + "\\a", "WideSpecial", reg_type::kSz, std::string("\x26\x01<\x00", 4)},
      MakeMultiStringEntry(k + "\\a", "Multi", {"one", "t&wo"}),
      MakeBinaryEntry(k + "\\a", "Binary", std::string("\x01\xff", 2)),
      PolEntry{k + "\\a", "Link", reg_type::kLink, utf16("x") + std::string("\0\0", 2)},
      PolEntry{k + "\\a", "Other", 99, "xyz"},
      PolEntry{k + "\\C", "", reg_type::kNone, ""},
      MakeDeleteValueEntry(k + "\\a", "Gone"),
      MakeDeleteAllValuesEntry(k + "\\a"),
      MakeStringEntry(k + "\\A", "plain", "same key, other case: kept in file order"),
  };
  // Enough entries for the streamed report to be handed over in several pieces.
  for (int i = 0; i < 6000; ++i) {
    pol.entries.push_back(MakeStringEntry(k + "\\Many" + std::to_string(i % 7),
                                          "V" + std::to_string(i), "value <" + std::to_string(i)));
  }
  ReportIdentity id;
  id.guid = "{00000000-0000-0000-0000-000000000001}";
  id.domain = "test.local";
  id.name = "by reference";
  ReportSideFiles computer, user;
  computer.registry_pol = &pol;
  user.registry_pol = &pol;
  const Report decoded = BuildReport(id, computer, user);
  const Report by_reference =
      BuildReport(id, computer, user, nullptr, /*registry_by_reference=*/true);
  EXPECT_TRUE(by_reference.computer.registry_settings.empty());
  EXPECT_EQ(by_reference.computer.registry_entries.size(), pol.entries.size());
  EXPECT_EQ(decoded.computer.registry_settings.size(), pol.entries.size());
  const std::vector<std::string> want = XmlForms(decoded);
  const std::vector<std::string> got = XmlForms(by_reference);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_GT(want[i].size(), 100000u) << i;
    EXPECT_TRUE(got[i] == want[i])
        << "form " << i << " differs (sizes " << got[i].size() << ", " << want[i].size() << ")";
  }
  // The forms the fast path leaves out are there, as the decoded report has them.
  EXPECT_NE(want[2].find("<q1:String>61 00 3d d8 7a 00 00 00</q1:String>"), std::string::npos);
  EXPECT_NE(want[2].find("a&amp;b&lt;c&gt;d\"e'f\tg&#13;h\ni\xEF\xBF\xBDj\xEF\xBF\xBD"),
            std::string::npos);
}

TEST(ReportTest, SecuritySettingsMatchWindowsReport) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Built b = Build(fixtures / "gpmc-backups" / "{A2A38432-E322-437F-9975-B7CC7F16F4AA}");
  const ReportSecurity& w = b.windows.computer.security;
  const ReportSecurity& o = b.ours.computer.security;
  ASSERT_EQ(w.accounts.size(), 9u);
  EXPECT_EQ(o.accounts, w.accounts);  // names, typed values (LockoutDuration 4294967295), types
  ASSERT_EQ(o.user_rights.size(), w.user_rights.size());
  for (size_t i = 0; i < w.user_rights.size(); ++i) {
    EXPECT_EQ(o.user_rights[i].name, w.user_rights[i].name);
    ASSERT_EQ(o.user_rights[i].members.size(), w.user_rights[i].members.size());
    for (size_t m = 0; m < w.user_rights[i].members.size(); ++m) {
      EXPECT_EQ(o.user_rights[i].members[m].sid, w.user_rights[i].members[m].sid);
    }
  }
  // Windows lists every security option of the template (registry values and System Access
  // options) with the same value; it also resolves display names, which gpop does not.
  ASSERT_EQ(w.security_options.size(), 45u);
  for (const ReportSecurityOption& wo : w.security_options) {
    auto it = std::find_if(o.security_options.begin(), o.security_options.end(), [&](auto& x) {
      return x.key_name == wo.key_name &&
             x.system_access_policy_name == wo.system_access_policy_name;
    });
    ASSERT_NE(it, o.security_options.end()) << wo.key_name << wo.system_access_policy_name;
    EXPECT_EQ(it->value, wo.value) << wo.key_name << wo.system_access_policy_name;
  }
  EXPECT_EQ(b.ours.computer.advanced_audit, b.windows.computer.advanced_audit);
  EXPECT_EQ(b.ours.computer.advanced_audit.size(), 21u);
}

TEST(ReportTest, XmlRoundTripsAndHasWindowsShape) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  for (const auto& dir : BackupDirs(fixtures)) {
    Built b = Build(dir);
    std::string xml = WriteReportXml(b.ours);
    EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<GPO ", 0), 0u);
    auto back = ParseReportXml(xml, "ours.xml");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_EQ(back->guid, b.windows.guid);
    ExpectSameSettings(back->computer.registry_settings, b.ours.computer.registry_settings,
                       dir.string());
    ExpectSameSettings(back->user.registry_settings, b.ours.user.registry_settings, dir.string());
    EXPECT_EQ(back->computer.security.accounts, b.ours.computer.security.accounts);
    EXPECT_EQ(back->computer.security.user_rights, b.ours.computer.security.user_rights);
    EXPECT_EQ(back->computer.security.security_options, b.ours.computer.security.security_options);
    EXPECT_EQ(back->computer.advanced_audit, b.ours.computer.advanced_audit);

    std::string utf16 = WriteReportXmlUtf16(b.ours);
    ASSERT_GT(utf16.size(), 2u);
    EXPECT_EQ(utf16.substr(0, 2), "\xFF\xFE");
    auto back16 = ParseReportXml(utf16, "gpreport.xml");
    ASSERT_TRUE(back16.ok());
    ExpectSameSettings(back16->computer.registry_settings, b.ours.computer.registry_settings,
                       dir.string() + " (UTF-16)");

    // Same namespaces on the root and on Identifier's children as Windows' report.
    auto ours_doc = LoadXml(xml, "ours");
    auto win_doc = LoadXml(ReadFileBytes(dir / "gpreport.xml"), "gpreport.xml");
    ASSERT_TRUE(ours_doc.ok() && win_doc.ok());
    pugi::xml_node ours_root = (*ours_doc)->document_element();
    pugi::xml_node win_root = (*win_doc)->document_element();
    EXPECT_STREQ(ours_root.attribute("xmlns").value(), win_root.attribute("xmlns").value());
    EXPECT_STREQ(ours_root.attribute("xmlns:xsi").value(), win_root.attribute("xmlns:xsi").value());
    EXPECT_STREQ(ours_root.child("Identifier").child("Domain").attribute("xmlns").value(),
                 win_root.child("Identifier").child("Domain").attribute("xmlns").value());
  }
}

TEST(ReportTest, Utf16ReportIsTheUtf8ReportWithCrlfLineEnds) {
  // gpreport.xml is written in one pass (line ends, CR references and UTF-16 together): it must
  // decode to exactly the UTF-8 report with CRLF line ends and the utf-16 declaration.
  GPOP_REQUIRE_FIXTURES(fixtures);
  for (const auto& dir : BackupDirs(fixtures)) {
    Built b = Build(dir);
    b.ours.name += " \xC3\xA9\xF0\x9F\x98\x80 line\r\nend";
    std::string expected;
    for (char c : WriteReportXml(b.ours)) {
      if (c == '\n') {
        expected += "\r\n";
      } else {
        expected.push_back(c);
      }
    }
    const std::string decl = "encoding=\"utf-8\"";
    expected.replace(expected.find(decl), decl.size(), "encoding=\"utf-16\"");
    auto decoded = DecodeUtf16LeWithBom(WriteReportXmlUtf16(b.ours), "gpreport.xml");
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, expected) << dir;
    EXPECT_NE(decoded->find("line&#13;\r\nend"), std::string::npos);
  }
}

TEST(ReportTest, ExtensionsInWindowsOrderWithNumberedPrefixes) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Built b = Build(fixtures / "gpmc-backups" / "{A2A38432-E322-437F-9975-B7CC7F16F4AA}");
  auto doc = LoadXml(WriteReportXml(b.ours), "ours");
  ASSERT_TRUE(doc.ok());
  std::vector<std::string> names, types;
  for (pugi::xml_node d : (*doc)->document_element().child("Computer").children("ExtensionData")) {
    names.push_back(d.child_value("Name"));
    types.push_back(d.child("Extension").attribute("xsi:type").value());
  }
  // As Windows' own report of this GPO lists them.
  EXPECT_EQ(names,
            (std::vector<std::string>{"Security", "Advanced Audit Configuration", "Registry"}));
  EXPECT_EQ(types, (std::vector<std::string>{"q1:SecuritySettings", "q2:AuditSettings",
                                             "q3:RegistrySettings"}));
}

TEST(ReportTest, OrderingIsStable) {
  RegistryPol a;
  a.entries = {MakeDwordEntry("Software\\B", "x", 1), MakeDwordEntry("software\\a", "Y", 2),
               MakeDwordEntry("Software\\A", "x", 3)};
  RegistryPol b = a;
  std::reverse(b.entries.begin(), b.entries.end());
  ReportSideFiles fa, fb;
  fa.registry_pol = &a;
  fb.registry_pol = &b;
  Report ra = BuildReport({}, fa, {});
  Report rb = BuildReport({}, fb, {});
  EXPECT_EQ(WriteReportXml(ra), WriteReportXml(rb));
  ASSERT_EQ(ra.computer.registry_settings.size(), 3u);
  EXPECT_EQ(ra.computer.registry_settings[0].value->name, "x");
  EXPECT_EQ(ra.computer.registry_settings[1].value->name, "Y");
  EXPECT_EQ(ra.computer.registry_settings[2].key_path, "Software\\B");
}

TEST(ReportTest, VersionsAndEnabledFromIdentity) {
  ReportIdentity id;
  id.directory_version = 0x00020007;
  id.sysvol_version = 0x00030007;
  id.flags = 1;  // user part disabled
  Report r = BuildReport(id, {}, {});
  EXPECT_EQ(r.computer.version_directory, 7u);
  EXPECT_EQ(r.user.version_directory, 2u);
  EXPECT_EQ(r.user.version_sysvol, 3u);
  EXPECT_TRUE(r.computer.enabled);
  EXPECT_FALSE(r.user.enabled);
}

constexpr char kAdmx[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitions xmlns="http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions" revision="1.0" schemaVersion="1.0">
  <policyNamespaces><target prefix="demo" namespace="Gpop.Demo"/></policyNamespaces>
  <supportedOn><definitions><definition name="SUPPORTED_ANY" displayName="$(string.SUPPORTED_ANY)"/></definitions></supportedOn>
  <categories>
    <category name="Root" displayName="$(string.Root)"/>
    <category name="Sub" displayName="$(string.Sub)"><parentCategory ref="Root"/></category>
  </categories>
  <policies>
    <policy name="NoCamera" class="Machine" displayName="$(string.NoCamera)" explainText="$(string.NoCamera_Help)" key="Software\Policies\Demo" valueName="NoCamera">
      <parentCategory ref="Sub"/><supportedOn ref="SUPPORTED_ANY"/>
      <enabledValue><decimal value="1"/></enabledValue><disabledValue><decimal value="0"/></disabledValue>
    </policy>
    <policy name="Mode" class="Both" displayName="$(string.Mode)" explainText="$(string.Mode)" presentation="$(presentation.Mode)" key="Software\Policies\Demo\Mode">
      <parentCategory ref="Root"/>
      <elements>
        <enum id="ModeEnum" valueName="Mode"><item displayName="$(string.Fast)"><value><decimal value="2"/></value></item></enum>
        <decimal id="Limit" valueName="Limit"/>
      </elements>
    </policy>
  </policies>
</policyDefinitions>)xml";

constexpr char kAdml[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitionResources revision="1.0" schemaVersion="1.0">
  <resources>
    <stringTable>
      <string id="SUPPORTED_ANY">Any &lt;version&gt;</string>
      <string id="Root">Demo</string><string id="Sub">Devices</string>
      <string id="NoCamera">Prevent the camera</string><string id="NoCamera_Help">Explains.</string>
      <string id="Mode">Choose a mode</string><string id="Fast">Fast</string>
    </stringTable>
    <presentationTable>
      <presentation id="Mode"><dropdownList refId="ModeEnum">Mode:</dropdownList><decimalTextBox refId="Limit">Limit</decimalTextBox></presentation>
    </presentationTable>
  </resources>
</policyDefinitionResources>)xml";

TEST(ReportTest, AdmxDefinedValuesBecomeNamedPolicies) {
  auto dir = gpop::testing::TempDir("gpop-admx");
  std::filesystem::create_directories(dir / "EN-us");
  std::ofstream(dir / "Demo.ADMX") << kAdmx;
  std::ofstream(dir / "EN-us" / "demo.adml") << kAdml;
  auto catalog = LoadAdmxCatalog(dir, "en-US");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  ASSERT_EQ(catalog->policies().size(), 2u);

  RegistryPol machine;
  machine.entries = {MakeDwordEntry("Software\\Policies\\Demo", "NoCamera", 1),
                     MakeDwordEntry("Software\\Policies\\Demo\\Mode", "Mode", 2),
                     MakeDwordEntry("Software\\Policies\\Demo\\Mode", "Limit", 40),
                     MakeDwordEntry("Software\\Policies\\Other", "Free", 5)};
  RegistryPol user;
  user.entries = {MakeDwordEntry("Software\\Policies\\Demo", "NoCamera", 0),  // Machine-only
                  MakeDwordEntry("Software\\Policies\\Demo\\Mode", "Mode", 2)};
  ReportSideFiles c, u;
  c.registry_pol = &machine;
  u.registry_pol = &user;
  Report r = BuildReport({}, c, u, &*catalog);
  ASSERT_EQ(r.computer.policies.size(), 2u);
  // Sorted by category: "Demo" before "Demo/Devices".
  const ReportPolicy& mode = r.computer.policies[0];
  EXPECT_EQ(mode.name, "Choose a mode");
  EXPECT_EQ(mode.category, "Demo");
  EXPECT_EQ(mode.state, "Enabled");
  ASSERT_EQ(mode.elements.size(), 2u);
  EXPECT_EQ(mode.elements[0], (ReportPolicyElement{"DropDownList", "Mode:", "Enabled", "Fast"}));
  EXPECT_EQ(mode.elements[1], (ReportPolicyElement{"Numeric", "Limit", "Enabled", "40"}));
  const ReportPolicy& camera = r.computer.policies[1];
  EXPECT_EQ(camera.name, "Prevent the camera");
  EXPECT_EQ(camera.category, "Demo/Devices");
  EXPECT_EQ(camera.supported, "Any <version>");
  EXPECT_EQ(camera.explain, "Explains.");
  EXPECT_EQ(camera.state, "Enabled");
  ASSERT_EQ(r.computer.registry_settings.size(), 1u);
  EXPECT_EQ(r.computer.registry_settings[0].key_path, "Software\\Policies\\Other");
  // The user side: the Machine-class policy does not apply, so its value stays raw.
  ASSERT_EQ(r.user.policies.size(), 1u);
  ASSERT_EQ(r.user.registry_settings.size(), 1u);

  RegistryPol disabled;
  disabled.entries = {MakeDwordEntry("Software\\Policies\\Demo", "NoCamera", 0)};
  ReportSideFiles d;
  d.registry_pol = &disabled;
  Report rd = BuildReport({}, d, {}, &*catalog);
  ASSERT_EQ(rd.computer.policies.size(), 1u);
  EXPECT_EQ(rd.computer.policies[0].state, "Disabled");

  // Named policies are written as GPMC's Policy elements and read back.
  auto back = ParseReportXml(WriteReportXml(r), "r.xml");
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->computer.policies.size(), 2u);
  EXPECT_EQ(back->computer.policies[1].name, "Prevent the camera");
  EXPECT_EQ(back->computer.policies[1].state, "Enabled");
}

TEST(ReportTest, CorruptAdmxAndMissingStore) {
  auto missing = LoadAdmxCatalog("/nonexistent/PolicyDefinitions");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::Code::kNotFound);
  auto dir = gpop::testing::TempDir("gpop-admx");
  std::ofstream(dir / "bad.admx") << "<policyDefinitions><policies>";
  auto bad = LoadAdmxCatalog(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("PolicyDefinitions/bad.admx"), std::string::npos);
}

TEST(ReportTest, ReaderRejectsOtherDocuments) {
  EXPECT_FALSE(ParseReportXml("<Backups/>", "r").ok());
  EXPECT_FALSE(ParseReportXml("<!DOCTYPE GPO><GPO/>", "r").ok());
}

TEST(ReportHtmlTest, RendersSectionsEscapedAndSelfContained) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  Built b = Build(fixtures / "gpmc-backups" / "{A2A38432-E322-437F-9975-B7CC7F16F4AA}");
  b.ours.name = "<script>alert('x')</script> & co";
  b.ours.computer.problems.push_back("Machine/registry.pol: bad signature");
  std::string html = RenderReportHtml(b.ours);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* section :
       {"<summary>General</summary>", "<summary>Details</summary>",
        "<summary>Computer Configuration</summary>", "<summary>User Configuration</summary>",
        "<summary>Account Policies</summary>", "<summary>Advanced Audit Configuration</summary>"}) {
    EXPECT_NE(html.find(section), std::string::npos) << section;
  }
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"),
            std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("href="), std::string::npos);
  EXPECT_EQ(html.find("url("), std::string::npos);
  EXPECT_NE(html.find("Machine/registry.pol: bad signature"), std::string::npos);
  EXPECT_NE(html.find("LockoutBadCount"), std::string::npos);
  EXPECT_NE(html.find("Software\\Policies\\Microsoft\\Windows\\Personalization"),
            std::string::npos);
  EXPECT_EQ(HtmlEscape("a<b>\"c\"&'"), "a&lt;b&gt;&quot;c&quot;&amp;&#39;");
}

TEST(ReportHtmlTest, SpecialValueNamesReadAsWhatTheyDo) {
  Report report;
  report.name = "Specials";
  for (const char* name : {"**del.EnableSmartScreen", "**DelVals.", "Ordinary"}) {
    ReportRegistrySetting setting;
    setting.key_path = "Software\\Policies\\Test";
    ReportRegistryValue value;
    value.name = name;
    value.type = 1;
    value.text = " ";
    setting.value = value;
    report.computer.registry_settings.push_back(setting);
  }
  std::string html = RenderReportHtml(report);
  EXPECT_NE(html.find("(delete value EnableSmartScreen)"), std::string::npos);
  EXPECT_NE(html.find("(delete all values of the key)"), std::string::npos);
  EXPECT_EQ(html.find("**del."), std::string::npos);
  EXPECT_NE(html.find("Ordinary"), std::string::npos);
}

}  // namespace
}  // namespace gpop::sysvol
