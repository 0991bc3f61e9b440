// Tests of the strict UTF-16LE <-> UTF-8 conversion.

#include "service/backends/sysvol/format/utf16.h"

#include <gtest/gtest.h>

#include <string>

namespace gpop::sysvol {
namespace {

using std::string_literals::operator""s;

TEST(Utf16Test, RoundTripsAsciiBmpAndAstral) {
  std::string utf8 = "Policies \xC3\xA9\xE2\x82\xAC \xF0\x9F\x98\x80";  // é € 😀
  auto utf16 = Utf8ToUtf16Le(utf8);
  ASSERT_TRUE(utf16.ok());
  EXPECT_EQ(utf16->substr(0, 4), "P\0o\0"s);
  // é = E9 00, € = AC 20, 😀 = 3D D8 00 DE.
  EXPECT_NE(utf16->find("\xE9\x00"s), std::string::npos);
  EXPECT_NE(utf16->find("\xAC\x20"s), std::string::npos);
  EXPECT_NE(utf16->find("\x3D\xD8\x00\xDE"s), std::string::npos);
  auto back = Utf16LeToUtf8(*utf16, "x");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, utf8);
}

TEST(Utf16Test, RejectsOddLength) {
  auto r = Utf16LeToUtf8("a\0b"s, "Machine/x.inf");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Code::kDataLoss);
  EXPECT_EQ(r.error().reason, "CORRUPT_FILE");
  EXPECT_NE(r.error().message.find("Machine/x.inf"), std::string::npos);
  EXPECT_NE(r.error().message.find("odd"), std::string::npos);
}

TEST(Utf16Test, RejectsUnpairedSurrogates) {
  EXPECT_FALSE(Utf16LeToUtf8("\x3D\xD8"s, "f").ok());          // lone high at end
  EXPECT_FALSE(Utf16LeToUtf8("\x3D\xD8\x41\x00"s, "f").ok());  // high + 'A'
  auto low = Utf16LeToUtf8("\x41\x00\x00\xDE"s, "f", 10);      // lone low
  ASSERT_FALSE(low.ok());
  EXPECT_EQ(low.error().metadata.at("offset"), "12");
}

TEST(Utf16Test, RejectsInvalidUtf8) {
  EXPECT_FALSE(Utf8ToUtf16Le("\xC0\xAF").ok());          // overlong '/'
  EXPECT_FALSE(Utf8ToUtf16Le("\xED\xA0\x80").ok());      // surrogate in UTF-8
  EXPECT_FALSE(Utf8ToUtf16Le("\xF4\x90\x80\x80").ok());  // above U+10FFFF
  EXPECT_FALSE(Utf8ToUtf16Le("\xE2\x82").ok());          // truncated
  EXPECT_FALSE(IsValidUtf8("\xFF"));
  EXPECT_TRUE(IsValidUtf8("ok \xC3\xA9"));
}

TEST(Utf16Test, BomIsRequiredAndNamed) {
  auto ok = DecodeUtf16LeWithBom("\xFF\xFEh\0i\0"s, "f");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "hi");
  auto utf8 = DecodeUtf16LeWithBom("\xEF\xBB\xBFhi", "GptTmpl.inf");
  ASSERT_FALSE(utf8.ok());
  EXPECT_NE(utf8.error().message.find("UTF-8 byte order mark"), std::string::npos);
  auto none = DecodeUtf16LeWithBom("h\0i\0"s, "GptTmpl.inf");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no byte order mark"), std::string::npos);
  auto enc = EncodeUtf16LeWithBom("hi");
  ASSERT_TRUE(enc.ok());
  EXPECT_EQ(*enc, "\xFF\xFEh\0i\0"s);
}

TEST(Utf16Test, LongAsciiRunsAndMixedTextEncodeAsCodePoints) {
  // The 8-byte ASCII path, the byte-at-a-time tail and multi-byte sequences at every alignment.
  for (size_t prefix = 0; prefix < 20; ++prefix) {
    std::string utf8 =
        std::string(prefix, 'a') + "\xC3\xA9" + std::string(17, 'b') + "\xF0\x9F\x98\x80" + "xyz";
    auto utf16 = Utf8ToUtf16Le(utf8);
    ASSERT_TRUE(utf16.ok());
    EXPECT_EQ(utf16->size(), 2 * (prefix + 1 + 17 + 2 + 3));
    EXPECT_EQ(utf16->substr(2 * prefix, 2), "\xE9\x00"s);
    auto back = Utf16LeToUtf8(*utf16, "x");
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, utf8);
  }
  auto bad = Utf8ToUtf16Le(std::string(13, 'a') + "\xC0\xAF", "gpreport.xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().metadata.at("offset"), "13");
}

TEST(Utf16Test, EncoderGivesTheSameBytesHoweverTheTextIsSplit) {
  const std::string utf8 = "Policies \xC3\xA9\xE2\x82\xAC \xF0\x9F\x98\x80 and some ASCII.";
  const std::string whole = *Utf8ToUtf16Le(utf8);
  for (size_t a = 0; a <= utf8.size(); ++a) {
    for (size_t b = a; b <= utf8.size(); ++b) {
      std::string out;
      Utf16LeEncoder encoder(&out);
      encoder.Append(utf8.substr(0, a));
      encoder.Append(utf8.substr(a, b - a));
      encoder.Append(utf8.substr(b));
      ASSERT_TRUE(encoder.Finish()) << a << " " << b;
      ASSERT_EQ(out, whole) << a << " " << b;
    }
  }
  // Invalid text and a sequence cut at the very end are errors, whatever the split.
  for (std::string bad : {"ab\xC0\xAF"
                          "cd"s,
                          "ab\xE2\x82"s,
                          "\xFF"
                          "ab"s}) {
    for (size_t a = 0; a <= bad.size(); ++a) {
      std::string out;
      Utf16LeEncoder encoder(&out);
      encoder.Append(bad.substr(0, a));
      encoder.Append(bad.substr(a));
      EXPECT_FALSE(encoder.Finish()) << a;
    }
  }
}

}  // namespace
}  // namespace gpop::sysvol
