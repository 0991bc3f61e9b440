// Tests of the streaming XML writer: the same bytes as pugixml's format_indent for the same tree
// (the layout gpreport.xml had when it was built as a pugixml document), XML special characters,
// control characters and non-BMP characters escaped or encoded correctly, well-formed output
// that the hardened loader parses back to the same text, UTF-16LE output, pieces to a sink.

#include "service/backends/sysvol/format/xml_writer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/backends/sysvol/format/safe_xml.h"
#include "service/backends/sysvol/format/utf16.h"

namespace gpop::sysvol {
namespace {

using std::string_literals::operator""s;

// Text with every character class the writer treats specially: markup, quotes, CR, LF, TAB,
// other control characters, a BMP character and a non-BMP one (U+1F600, a surrogate pair in
// UTF-16).
const std::string kTricky =
    "a<b>&c\"d'e\r\nf\tg\x01h\x1Fi \xC3\xA9\xE2\x82\xAC \xF0\x9F\x98\x80 ]]>";

// U+FFFD in UTF-8: what the writer puts in place of a C0 control character XML 1.0 forbids.
const std::string kFffd = "\xEF\xBF\xBD";

// What the report writer did before the streaming writer: pugixml's bytes, with every CR
// written as &#13; (pugixml leaves CRs in text and comments literal), and with U+FFFD for the
// `&#NN;` pugixml writes for a control character XML 1.0 forbids (kTricky's \x01 and \x1F).
std::string PugixmlBytes(const pugi::xml_document& doc) {
  std::string xml = SaveXml(doc, pugi::format_indent | pugi::format_no_declaration, "  ");
  std::string out;
  for (char c : xml) {
    if (c == '\r') {
      out += "&#13;";
    } else {
      out += c;
    }
  }
  for (const char* ref : {"&#01;", "&#31;"}) {
    for (size_t pos; (pos = out.find(ref)) != std::string::npos;) out.replace(pos, 5, kFffd);
  }
  return out;
}

// kTricky as it reads back from the writer's output.
std::string TrickyReadBack() {
  std::string s = kTricky;
  for (const char c : {'\x01', '\x1F'}) s.replace(s.find(c), 1, kFffd);
  return s;
}

TEST(XmlWriterTest, WritesWhatPugixmlWritesForTheSameTree) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("q1:Root");
  root.append_attribute("xmlns:q1").set_value("urn:x");
  root.append_attribute("tricky").set_value(kTricky.c_str());
  root.append_child("Empty");
  root.append_child("EmptyText").append_child(pugi::node_pcdata).set_value("");
  root.append_child("Text").append_child(pugi::node_pcdata).set_value(kTricky.c_str());
  root.append_child(pugi::node_comment).set_value(" a comment\r\nover lines ");
  pugi::xml_node mixed = root.append_child("Mixed");
  mixed.append_attribute("a").set_value("1");
  mixed.append_child(pugi::node_pcdata).set_value("lead");
  mixed.append_child("Inner").append_child("Deeper");
  pugi::xml_node nested = root.append_child("Nested");
  nested.append_child("Leaf").append_child(pugi::node_pcdata).set_value("x");
  nested.append_child("Leaf").append_attribute("b").set_value("<>");

  std::string out;
  XmlWriter w({"  ", "\n", false}, &out);
  w.Start("q1", "Root");
  w.Attribute("xmlns:q1", "urn:x");
  w.Attribute("tricky", kTricky);
  w.Start("Empty");
  w.End();
  w.Element("EmptyText", "");
  w.Element("Text", kTricky);
  w.Comment(" a comment\r\nover lines ");
  w.Start("Mixed");
  w.Attribute("a", "1");
  w.Text("lead");
  w.Start("Inner");
  w.Start("Deeper");
  w.End();
  w.End();
  w.End();
  w.Start("Nested");
  w.Element("Leaf", "x");
  w.Start("Leaf");
  w.Attribute("b", "<>");
  w.End();
  w.End();
  w.End();
  ASSERT_TRUE(w.Finish());
  EXPECT_EQ(out, PugixmlBytes(doc));
}

// A nameless attribute or element is written as pugixml writes it (":anonymous"). The gpp_xml
// fuzzer once made one from `name:="V"`; since then the loader refuses such names, and
// ":anonymous" itself, so nothing read can reach the writer without a well-formed name.
TEST(XmlWriterTest, NamelessAttributesAndElementsAreWrittenAsPugixmlWritesThem) {
  pugi::xml_document doc;
  pugi::xml_node root = doc.append_child("Root");
  root.append_attribute("").set_value("v");
  root.append_child("");

  std::string out;
  XmlWriter w({"  ", "\n", false}, &out);
  w.Start("Root");
  w.Attribute("", "v");
  w.Start("");
  w.End();
  w.End();
  ASSERT_TRUE(w.Finish());
  EXPECT_EQ(out, PugixmlBytes(doc));
  EXPECT_FALSE(LoadXml(out, "nameless.xml").ok());
  pugi::xml_document parsed;
  ASSERT_TRUE(parsed.load_string(out.c_str()));  // pugixml itself takes it
}

TEST(XmlWriterTest, EscapesSpecialCharactersAndParsesBackThroughTheHardenedLoader) {
  std::string out;
  XmlWriter w({"  ", "\n", false}, &out);
  w.Raw("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
  w.Start("Root");
  w.Attribute("v", kTricky);
  w.Element("T", kTricky);
  w.End();
  ASSERT_TRUE(w.Finish());

  // Markup characters never appear raw inside values.
  EXPECT_NE(out.find("a&lt;b&gt;&amp;c\"d'e&#13;\nf\tg" + kFffd + "h" + kFffd + "i"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("v=\"a&lt;b>&amp;c&quot;d'e&#13;&#10;f&#09;g" + kFffd + "h" + kFffd + "i"),
            std::string::npos)
      << out;
  // Non-ASCII (BMP and non-BMP) is written as UTF-8, not as references.
  EXPECT_NE(out.find("\xC3\xA9\xE2\x82\xAC \xF0\x9F\x98\x80"), std::string::npos);

  auto doc = LoadXml(out, "written.xml");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  pugi::xml_node root = (*doc)->document_element();
  EXPECT_STREQ(root.name(), "Root");
  // Attribute values keep CR, LF and TAB as characters; text keeps CR (&#13;) and LF.
  EXPECT_EQ(std::string(root.attribute("v").value()), TrickyReadBack());
  EXPECT_EQ(NodeText(root.child("T")), TrickyReadBack());
}

// XML 1.0 (2.2, Char) allows TAB, LF and CR of the C0 controls and no other, not even as a
// character reference (4.1, "Well-formedness constraint: Legal Character"). Every other one,
// NUL included, becomes U+FFFD in text, attributes and comments, in both encodings.
TEST(XmlWriterTest, ControlCharactersXmlForbidsBecomeTheReplacementCharacter) {
  std::string controls;
  for (int c = 0; c < 0x20; ++c) controls.push_back(static_cast<char>(c));
  controls += "end";
  for (const bool utf16 : {false, true}) {
    SCOPED_TRACE(utf16 ? "UTF-16" : "UTF-8");
    std::string bytes;
    XmlWriter w({"  ", "\n", utf16}, &bytes);
    w.Start("Root");
    w.Attribute("v", controls);
    w.Element("T", controls);
    w.Comment(controls);
    w.End();
    ASSERT_TRUE(w.Finish());
    std::string out = bytes;
    if (utf16) {
      auto decoded = DecodeUtf16LeWithBom(bytes, "written.xml");
      ASSERT_TRUE(decoded.ok());
      out = *decoded;
    }
    for (const char c : out) {
      const auto u = static_cast<unsigned char>(c);
      EXPECT_TRUE(u >= 0x20 || c == '\t' || c == '\n' || c == '\r') << "byte " << int{u};
    }
    // References only for the allowed three: TAB and LF in the attribute, CR in all.
    for (size_t pos = 0; (pos = out.find("&#", pos)) != std::string::npos; ++pos) {
      const std::string ref = out.substr(pos, 5);
      EXPECT_TRUE(ref == "&#09;" || ref == "&#10;" || ref == "&#13;") << ref;
    }
    // 29 forbidden characters, in each of the three places.
    size_t replaced = 0;
    for (size_t pos = 0; (pos = out.find(kFffd, pos)) != std::string::npos; pos += 3) ++replaced;
    EXPECT_EQ(replaced, 3u * 29u) << out;

    auto doc = LoadXml(bytes, "written.xml");
    ASSERT_TRUE(doc.ok()) << doc.error().message;
    std::string expected;
    for (int c = 0; c < 0x20; ++c) {
      if (c == '\t' || c == '\n' || c == '\r') {
        expected.push_back(static_cast<char>(c));
      } else {
        expected += kFffd;
      }
    }
    expected += "end";
    pugi::xml_node root = (*doc)->document_element();
    EXPECT_EQ(std::string(root.attribute("v").value()), expected);
    EXPECT_EQ(NodeText(root.child("T")), expected);
  }
}

// Leaf is the report's shortcut for an element with text or none: the same bytes as Start,
// Text (when not empty) and End, after a start tag still open for attributes, after text, after
// an end tag, at several depths, with or without a prefix.
TEST(XmlWriterTest, LeafWritesWhatStartTextEndWrite) {
  const auto write = [](bool leaf) {
    std::string out;
    XmlWriter w({"  ", "\r\n", false}, &out);
    const auto element = [&](std::string_view prefix, std::string_view name,
                             std::string_view value) {
      if (leaf) {
        w.Leaf(prefix, name, value);
        return;
      }
      w.Start(prefix, name);
      if (!value.empty()) w.Text(value);
      w.End();
    };
    w.Start("q1", "Root");
    w.Attribute("xmlns:q1", "urn:x");
    element("q1", "First", kTricky);
    element("q1", "Empty", "");
    w.Start("q1", "Inner");
    element("", "Plain", "a&b");
    w.Start("Deeper");
    w.Text("lead");
    element("q1", "AfterText", "x");
    w.End();
    element("q1", "AfterEnd", "");
    w.End();
    w.End();
    EXPECT_TRUE(w.Finish());
    return out;
  };
  const std::string expected = write(false);
  EXPECT_NE(expected.find("<q1:Empty />"), std::string::npos) << expected;
  EXPECT_EQ(write(true), expected);
}

TEST(XmlWriterTest, LeafUtf16WritesWhatLeafWritesForTheDecodedText) {
  // Every text escape, code units that look like specials in one byte only (U+0126, U+3C00),
  // a surrogate pair, runs longer than the four units the writer copies at a time.
  const std::vector<std::string> texts = {
      "",
      "plain ASCII, longer than four units",
      "a&b<c>d\"e'f\tg\rh\ni\x01j\x1f k",
      "\xC4\xA6\xE3\xB0\x80 caf\xC3\xA9 \xF0\x9F\x98\x80 &amp; <more> text",
      "&&&&<<<<>>>>\r\r\n\n",
  };
  for (const bool utf16 : {true, false}) {
    for (const std::string& text : texts) {
      const auto write = [&](bool from_units) {
        std::string out;
        XmlWriter w({"  ", "\r\n", utf16}, &out);
        w.Start("Root");
        if (from_units) {
          w.LeafUtf16("q1", "Value", *Utf8ToUtf16Le(text));
        } else {
          w.Leaf("q1", "Value", text);
        }
        w.End();
        EXPECT_TRUE(w.Finish());
        return out;
      };
      EXPECT_EQ(write(true), write(false)) << "utf16 " << utf16 << ": " << text;
    }
  }
}

TEST(XmlWriterTest, RepeatedAndReusedNamesKeepTheirTags) {
  // Tags are kept by name; names at the same address with other text (a reused buffer) and
  // names read from input must still come out as they are.
  std::string out;
  XmlWriter w({"  ", "\n", false}, &out);
  w.Start("Root");
  std::string name = "First";
  w.Leaf("p", name, "1");
  name = "Other";
  w.Leaf("p", name, "2");
  w.Leaf("", name, "3");
  w.Start("p", name);
  w.End();
  w.End();
  ASSERT_TRUE(w.Finish());
  EXPECT_EQ(out,
            "<Root>\n  <p:First>1</p:First>\n  <p:Other>2</p:Other>\n  <Other>3</Other>\n"
            "  <p:Other />\n</Root>\n");
}

TEST(XmlWriterTest, Utf16OutputHasBomCrlfAndSurrogatePairs) {
  std::string out;
  XmlWriter w({"  ", "\r\n", true}, &out);
  w.Raw("<?xml version=\"1.0\" encoding=\"utf-16\"?>\n");
  w.Start("Root");
  w.Element("T", "x\n\xF0\x9F\x98\x80");
  w.End();
  ASSERT_TRUE(w.Finish());
  ASSERT_TRUE(HasUtf16LeBom(out));
  EXPECT_NE(out.find("\x3D\xD8\x00\xDE"s), std::string::npos);  // U+1F600 as D83D DE00
  auto text = DecodeUtf16LeWithBom(out, "written.xml");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<Root>\r\n  "
            "<T>x\r\n\xF0\x9F\x98\x80</T>\r\n</Root>\r\n");
  auto doc = LoadXml(out, "written.xml");
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(NodeText((*doc)->document_element().child("T")), "x\n\xF0\x9F\x98\x80");
}

TEST(XmlWriterTest, InvalidUtf8FailsInUtf16Mode) {
  std::string out;
  XmlWriter w({"  ", "\r\n", true}, &out);
  w.Element("T", "bad \xC3(");
  EXPECT_FALSE(w.Finish());

  // With a sink (encoded piece by piece): the same answer, and the bad piece is not handed on.
  std::string joined;
  XmlWriter::Sink sink = [&](std::string_view piece) {
    joined.append(piece);
    return true;
  };
  std::string buffer;
  XmlWriter pieces({"  ", "\r\n", true}, &buffer, &sink);
  pieces.Element("T", "bad \xC3(");
  EXPECT_FALSE(pieces.Finish());
  EXPECT_EQ(joined, "");
}

TEST(XmlWriterTest, LargeDocumentsGoToTheSinkInPiecesAndJoinToTheWholeDocument) {
  const auto write = [](XmlWriter& w) {
    w.Start("Root");
    for (int i = 0; i < 20000; ++i) w.Element("Value", "item \xE2\x82\xAC " + std::to_string(i));
    w.End();
    return w.Finish();
  };
  std::string whole;
  XmlWriter one({"  ", "\r\n", true}, &whole);
  ASSERT_TRUE(write(one));

  std::vector<size_t> sizes;
  std::string joined;
  XmlWriter::Sink sink = [&](std::string_view piece) {
    sizes.push_back(piece.size());
    joined.append(piece);
    return true;
  };
  std::string buffer;
  XmlWriter pieces({"  ", "\r\n", true}, &buffer, &sink);
  ASSERT_TRUE(write(pieces));
  EXPECT_GT(sizes.size(), 1u);
  for (size_t s : sizes) EXPECT_LE(s, 2 * (XmlWriter::kPiece + 4096));
  EXPECT_EQ(joined, whole);

  // A sink that refuses stops the writer.
  XmlWriter::Sink refuse = [](std::string_view) { return false; };
  std::string buffer2;
  XmlWriter refused({"  ", "\r\n", true}, &buffer2, &refuse);
  EXPECT_FALSE(write(refused));
}

}  // namespace
}  // namespace gpop::sysvol
