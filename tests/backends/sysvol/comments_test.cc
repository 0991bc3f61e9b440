// Tests of the comment readers (GPO.cmt, comment.cmtx) and of policy comments in the report:
// a comment.cmtx written here names policies of two ADMX namespaces that share a policy name.

#include "service/backends/sysvol/format/comments.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/admx.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_builder.h"
#include "service/backends/sysvol/format/report_html.h"
#include "service/backends/sysvol/format/report_xml.h"

namespace gpop::sysvol {
namespace {

constexpr char kCmtx[] = R"xml(<?xml version='1.0' encoding='utf-8'?>
<policyComments xmlns="http://www.microsoft.com/GroupPolicy/CommentDefinitions" revision="1.0" schemaVersion="1.0">
  <policyNamespaces>
    <using prefix="ns0" namespace="Gpop.Test.One"></using>
    <using prefix="ns1" namespace="Gpop.Test.Two"></using>
  </policyNamespaces>
  <comments>
    <admTemplate>
      <comment policyRef="ns0:Same" commentText="$(resource.ns0_Same)"></comment>
      <comment policyRef="ns1:Same" commentText="Literal &lt;two&gt;"></comment>
      <comment policyRef="nsX:Same" commentText="undeclared prefix"></comment>
      <comment policyRef="ns0:Missing" commentText="$(resource.none)"></comment>
    </admTemplate>
  </comments>
  <resources minRequiredRevision="1.0">
    <stringTable><string id="ns0_Same">Ticket 42: &lt;b&gt;why&lt;/b&gt;</string></stringTable>
  </resources>
</policyComments>)xml";

std::string Admx(const char* ns, const char* key) {
  return std::string(R"(<policyDefinitions><policyNamespaces><target prefix="t" namespace=")") +
         ns +
         R"("/></policyNamespaces><policies><policy name="Same" class="Machine" displayName=")" +
         ns + R"(" key=")" + key + R"(" valueName="V"/></policies></policyDefinitions>)";
}

TEST(CommentsTest, PolicyCommentsByNamespaceAndName) {
  auto comments = ParsePolicyComments(kCmtx, "Machine/comment.cmtx");
  ASSERT_TRUE(comments.ok()) << comments.error().message;
  EXPECT_EQ(comments->by_policy.size(), 2u);
  EXPECT_EQ(comments->Find("Gpop.Test.One", "Same"), "Ticket 42: <b>why</b>");
  EXPECT_EQ(comments->Find("Gpop.Test.Two", "Same"), "Literal <two>");
  EXPECT_EQ(comments->Find("Gpop.Test.One", "Missing"), "");

  AdmxCatalog catalog;
  ASSERT_TRUE(catalog.AddFile(Admx("Gpop.Test.One", "K1"), "", "one.admx").ok());
  ASSERT_TRUE(catalog.AddFile(Admx("Gpop.Test.Two", "K2"), "", "two.admx").ok());
  catalog.Finish();
  RegistryPol pol;
  pol.entries = {MakeDwordEntry("K1", "V", 1), MakeDwordEntry("K2", "V", 1)};
  ReportSideFiles machine;
  machine.registry_pol = &pol;
  machine.comments = &*comments;
  Report r = BuildReport({}, machine, {}, &catalog);
  ASSERT_EQ(r.computer.policies.size(), 2u);
  EXPECT_EQ(r.computer.policies[0].name, "Gpop.Test.One");
  EXPECT_EQ(r.computer.policies[0].comment, "Ticket 42: <b>why</b>");
  EXPECT_EQ(r.computer.policies[1].comment, "Literal <two>");

  std::string xml = WriteReportXml(r);
  EXPECT_NE(xml.find("<q1:Comment>Ticket 42: &lt;b&gt;why&lt;/b&gt;</q1:Comment>"),
            std::string::npos);
  auto back = ParseReportXml(xml, "r.xml");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->computer.policies[1].comment, "Literal <two>");
  std::string html = RenderReportHtml(r);
  EXPECT_NE(html.find("<th>Comment</th>"), std::string::npos);
  EXPECT_NE(html.find("Ticket 42: &lt;b&gt;why&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>why"), std::string::npos);
}

TEST(CommentsTest, GpoComment) {
  auto text = ParseGpoComment(std::string("A\0\r\0\n\0B\0\r\0\n\0", 12), "GPO.cmt");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "A\r\nB");
  ReportIdentity id;
  id.name = "G";
  id.comment = "<i>mine</i> & \"yours\"";
  Report r = BuildReport(id, {}, {});
  EXPECT_EQ(r.comment, id.comment);
  auto back = ParseReportXml(WriteReportXmlUtf16(r), "r.xml");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->comment, id.comment);
  std::string html = RenderReportHtml(r);
  EXPECT_NE(html.find("&lt;i&gt;mine&lt;/i&gt; &amp; &quot;yours&quot;"), std::string::npos);
  EXPECT_FALSE(ParseGpoComment(std::string(kMaxCommentBytes + 2, 'a'), "GPO.cmt").ok());
  EXPECT_FALSE(ParseGpoComment(std::string("\x00\xD8", 2), "GPO.cmt").ok());
}

TEST(CommentsTest, HostileCommentFiles) {
  for (const char* bad : {"", "<policyComments><comments>", "<!DOCTYPE x><policyComments/>",
                          "<otherRoot/>", "\xFF\xFE<"}) {
    auto r = ParsePolicyComments(bad, "User/comment.cmtx");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("User/comment.cmtx"), std::string::npos);
  }
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  EXPECT_FALSE(ParsePolicyComments("<policyComments>" + deep, "c").ok());
}

}  // namespace
}  // namespace gpop::sysvol
