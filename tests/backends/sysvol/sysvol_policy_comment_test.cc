// A policy comment (the side's comment.cmtx) in the backend's reports: a GPO of the demo store
// with one ADMX policy set, a comment on it, and the template in the central store; its XML and
// HTML reports, and the report of its backup, show the comment beside that policy (and only
// there), escaped.

#include <gtest/gtest.h>

#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "tests/backends/sysvol/sysvol_test_fixture.h"

namespace gpop::sysvol::testing {
namespace {

constexpr char kAdmx[] = R"xml(<?xml version="1.0" encoding="utf-8"?>
<policyDefinitions revision="1.0" schemaVersion="1.0">
  <policyNamespaces><target prefix="gpop" namespace="Gpop.Test.Comments"/></policyNamespaces>
  <categories><category name="Cat" displayName="Gpop comments"/></categories>
  <policies>
    <policy name="Commented" class="Machine" displayName="Commented policy" key="Software\Policies\Gpop\Comments" valueName="A">
      <parentCategory ref="Cat"/>
      <enabledValue><decimal value="1"/></enabledValue><disabledValue><decimal value="0"/></disabledValue>
    </policy>
    <policy name="Plain" class="Machine" displayName="Plain policy" key="Software\Policies\Gpop\Comments" valueName="B">
      <parentCategory ref="Cat"/>
      <enabledValue><decimal value="1"/></enabledValue><disabledValue><decimal value="0"/></disabledValue>
    </policy>
  </policies>
</policyDefinitions>)xml";

constexpr char kCmtx[] = R"xml(<?xml version='1.0' encoding='utf-8'?>
<policyComments xmlns="http://www.microsoft.com/GroupPolicy/CommentDefinitions" revision="1.0" schemaVersion="1.0">
  <policyNamespaces><using prefix="ns0" namespace="Gpop.Test.Comments"></using></policyNamespaces>
  <comments><admTemplate>
    <comment policyRef="ns0:Commented" commentText="$(resource.ns0_Commented)"></comment>
  </admTemplate></comments>
  <resources minRequiredRevision="1.0">
    <stringTable><string id="ns0_Commented">Change 4711: &lt;b&gt;audit&lt;/b&gt; asked for it</string></stringTable>
  </resources>
</policyComments>)xml";

constexpr char kComment[] = "Change 4711: <b>audit</b> asked for it";
constexpr char kCommentXml[] = "Change 4711: &lt;b&gt;audit&lt;/b&gt; asked for it";

class SysvolPolicyCommentTest : public BackendTest<> {
 protected:
  void SetUp() override {
    BackendTest<>::SetUp();
    WriteBytes(store_.policies() / "PolicyDefinitions" / "gpop-comments.admx", kAdmx);
    RegistryPol pol;
    pol.entries = {MakeDwordEntry("Software\\Policies\\Gpop\\Comments", "A", 1),
                   MakeDwordEntry("Software\\Policies\\Gpop\\Comments", "B", 1)};
    auto bytes = WriteRegistryPol(pol);
    ASSERT_TRUE(bytes.ok());
    const fs::path machine = store_.policies() / kWorkstation / "Machine";
    WriteBytes(machine / "Registry.pol", *bytes);
    WriteBytes(machine / "comment.cmtx", kCmtx);
  }

  std::string Report(const core::ReportSpec& spec) {
    RecordingSink sink;
    core::Outcome out = Run(spec, sink);
    EXPECT_FALSE(out.error) << out.error->message;
    return out.error ? "" : std::get<core::ReportInfo>(out.result).content;
  }
};

// The text of the report from the policy named `name` to the next policy (or the end).
std::string PolicyPart(const std::string& report, const std::string& name,
                       const std::string& next) {
  const size_t at = report.find(name);
  EXPECT_NE(at, std::string::npos) << name;
  if (at == std::string::npos) return "";
  const size_t end = report.find(next, at + name.size());
  return report.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

// The comment of each policy of the computer side of an XML report, by policy name.
std::map<std::string, std::string> CommentsOf(const std::string& xml) {
  std::map<std::string, std::string> out;
  auto report = ParseReportXml(xml, "report.xml");
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
  if (!report.ok()) return out;
  for (const ReportPolicy& p : report->computer.policies) out[p.name] = p.comment;
  return out;
}

TEST_F(SysvolPolicyCommentTest, APolicyInTheReportCarriesItsComment) {
  // The XML report: the commented policy holds the comment (Policy/Comment, escaped in the
  // text), the other none.
  const std::string xml = Report(ReportOfGpo(kWorkstation, core::ReportFormat::kXml));
  const std::map<std::string, std::string> want = {{"Commented policy", kComment},
                                                   {"Plain policy", ""}};
  EXPECT_EQ(CommentsOf(xml), want);
  EXPECT_NE(xml.find(std::string("Comment>") + kCommentXml + "</"), std::string::npos) << xml;

  // The HTML report: a Comment column, the comment in the commented policy's row, escaped.
  const std::string html = Report(ReportOfGpo(kWorkstation, core::ReportFormat::kHtml));
  EXPECT_NE(html.find("<th>Comment</th>"), std::string::npos) << html;
  const std::string row = PolicyPart(html, "Commented policy", "Plain policy");
  EXPECT_NE(row.find(kCommentXml), std::string::npos) << html;
  EXPECT_EQ(PolicyPart(html, "Plain policy", "</table>").find(kCommentXml), std::string::npos);
  EXPECT_EQ(html.find("<b>audit"), std::string::npos);  // escaped, never markup

  // A backup keeps comment.cmtx, and its report shows the same comment.
  const core::Outcome backup = BackupGpo(*backend_, kWorkstation);
  ASSERT_FALSE(backup.error) << backup.error->message;
  EXPECT_EQ(CommentsOf(Report(ReportOfBackup(BackupIdOf(backup), core::ReportFormat::kXml))), want);
}

}  // namespace
}  // namespace gpop::sysvol::testing
