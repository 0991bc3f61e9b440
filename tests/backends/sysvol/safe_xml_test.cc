// Tests of the safe XML loader: limits, DOCTYPE refusal, encodings.

#include "service/backends/sysvol/format/safe_xml.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {
namespace {

using std::string_literals::operator""s;

void ExpectCorrupt(std::string_view bytes, const char* part, const XmlLimits& limits = {}) {
  auto doc = LoadXml(bytes, "backup/Backup.xml", limits);
  ASSERT_FALSE(doc.ok()) << part;
  EXPECT_EQ(doc.error().code, core::Code::kDataLoss);
  EXPECT_EQ(doc.error().reason, "CORRUPT_FILE");
  EXPECT_NE(doc.error().message.find("backup/Backup.xml"), std::string::npos);
  EXPECT_NE(doc.error().message.find(part), std::string::npos) << doc.error().message;
}

TEST(SafeXmlTest, LoadsUtf8AndNavigatesByLocalName) {
  auto doc =
      LoadXml("\xEF\xBB\xBF<a xmlns:q1=\"u\"><q1:b q1:x=\"1\">t<![CDATA[&c]]></q1:b></a>", "f.xml");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  pugi::xml_node a = (*doc)->document_element();
  EXPECT_EQ(ChildTextByLocalName(a, "b"), "t&c");
  EXPECT_STREQ(AttributeByLocalName(ChildByLocalName(a, "b"), "x").value(), "1");
  EXPECT_EQ(LocalName("q1:Account"), "Account");
  EXPECT_EQ(LocalName("Account"), "Account");
}

TEST(SafeXmlTest, LoadsUtf16WithBom) {
  auto bytes =
      EncodeUtf16LeWithBom("<?xml version=\"1.0\" encoding=\"utf-16\"?><GPO>\xC3\xA9</GPO>");
  ASSERT_TRUE(bytes.ok());
  auto doc = LoadXml(*bytes, "gpreport.xml");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(NodeText((*doc)->document_element()), "\xC3\xA9");
}

TEST(SafeXmlTest, ExpandsOnlyPredefinedEntities) {
  auto doc = LoadXml("<a>&lt;&amp;&#65;&foo;</a>", "f.xml");
  ASSERT_TRUE(doc.ok());
  // pugixml leaves an unknown entity reference as text; it never defines or fetches one.
  EXPECT_EQ(NodeText((*doc)->document_element()), "<&A&foo;");
}

TEST(SafeXmlTest, RefusesDoctypeAndEntities) {
  ExpectCorrupt(
      "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<a>&x;</a>",
      "DOCTYPE");
  ExpectCorrupt("<!DOCTYPE lol [<!ENTITY a \"aaaa\"><!ENTITY b \"&a;&a;&a;\">]><x>&b;</x>",
                "DOCTYPE");
  ExpectCorrupt("<!doctype a><a/>", "DOCTYPE");
  // Nested conditional sections would make pugixml's DOCTYPE skipper recurse.
  ExpectCorrupt("<!DOCTYPE a [" + std::string(100000, '<') + "]><a/>", "DOCTYPE");
}

TEST(SafeXmlTest, EnforcesLimits) {
  XmlLimits small;
  small.max_bytes = 10;
  ExpectCorrupt("<a>0123456789</a>", "larger than 10 bytes", small);
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "<d>";
  for (int i = 0; i < 200; ++i) deep += "</d>";
  ExpectCorrupt(deep, "deeper than 128");
  XmlLimits shallow;
  shallow.max_depth = 3;
  EXPECT_TRUE(LoadXml("<a><b><c/></b><b><c>t</c></b></a>", "f", shallow).ok());
  ExpectCorrupt("<a><b><c><d/></c></b></a>", "deeper than 3", shallow);
  XmlLimits few;
  few.max_nodes = 5;
  ExpectCorrupt("<a><b/><b/><b/><b/><b/></a>", "more than 5 XML nodes", few);
  // A very deep document is refused without exhausting the stack.
  std::string very_deep;
  for (int i = 0; i < 200000; ++i) very_deep += "<d>";
  ExpectCorrupt(very_deep, "malformed XML");
  for (int i = 0; i < 200000; ++i) very_deep += "</d>";
  ExpectCorrupt(very_deep, "deeper than 128");
}

TEST(SafeXmlTest, RefusesBadEncodingsAndSyntax) {
  ExpectCorrupt("<a><b></a>", "malformed XML");
  ExpectCorrupt("", "malformed XML");  // pugixml: no document element
  ExpectCorrupt("<\0a\0/\0>\0"s, "without a byte order mark");
  ExpectCorrupt("\xFE\xFF\0<"s, "UTF-16BE");
  ExpectCorrupt("<a>\xC0\xAF</a>", "not valid UTF-8");
  ExpectCorrupt("\xFF\xFE<\0a\0/\0>\0\x00\xDC"s, "surrogate");
}

// pugixml takes any run of name characters as a name; a namespace-aware reader does not, and a
// name that reached a report as it was read would make the report ill-formed.
TEST(SafeXmlTest, RefusesNamesXmlWithNamespacesForbids) {
  ExpectCorrupt("<a c:-sid=\"1\"/>", "attribute name \"c:-sid\"");
  ExpectCorrupt("<a x:=\"1\"/>", "attribute name \"x:\"");
  ExpectCorrupt("<a :x=\"1\"/>", "attribute name \":x\"");
  ExpectCorrupt("<r><a:b:c/></r>", "element name \"a:b:c\"");
  ExpectCorrupt("<r><a:-b/></r>", "element name \"a:-b\"");
  ExpectCorrupt("<a x=\"1\" x=\"2\"/>", "attribute \"x\" given twice on <a>");
  ExpectCorrupt("<a p:x=\"1\" q:x=\"2\"/>", "attribute \"x\" given twice");
  ExpectCorrupt("<a x=\"1\" p:x=\"2\"/>", "attribute \"x\" given twice");
  // Many attributes: the duplicate is found at the end, without a quadratic scan.
  std::string many = "<a";
  for (int i = 0; i < 20000; ++i) many += " a" + std::to_string(i) + "=\"\"";
  EXPECT_TRUE(LoadXml(many + "/>", "f").ok());
  ExpectCorrupt(many + " a7=\"\"/>", "attribute \"a7\" given twice");
}

TEST(SafeXmlTest, AcceptsQualifiedNamesAndDeclarations) {
  // A declaration's prefix may also be an attribute's local name; names may be non-ASCII.
  auto doc = LoadXml(
      "<q1:a xmlns:q1=\"urn:x\" xmlns=\"urn:y\" q1=\"v\" q1:b-c.d_1=\"w\">"
      "<\xC3\xA9l\xC3\xA9ment _x=\"1\"/></q1:a>",
      "f");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_STREQ(AttributeByLocalName((*doc)->document_element(), "b-c.d_1").value(), "w");
  EXPECT_TRUE(IsNamespaceDeclaration("xmlns"));
  EXPECT_TRUE(IsNamespaceDeclaration("xmlns:q1"));
  EXPECT_FALSE(IsNamespaceDeclaration("xmlnsx"));
  EXPECT_FALSE(IsNamespaceDeclaration("q1:xmlns"));
}

}  // namespace
}  // namespace gpop::sysvol
