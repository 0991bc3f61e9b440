// Tests of the Registry.pol reader and writer: every fixture file round-trips byte for byte,
// known values read as Windows' report says, hostile bytes fail with the file and offset.

#include "service/backends/sysvol/format/registry_pol.h"

#include <gtest/gtest.h>

#include <string>

#include "service/backends/sysvol/format/utf16.h"
#include "tests/backends/sysvol/test_files.h"
#include "tests/testing/fixtures.h"

namespace gpop::sysvol {
namespace {

using std::string_literals::operator""s;
using testing::BackupDirs;
using testing::FindFiles;
using testing::ReadFileBytes;

std::string U16(std::string_view ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

std::string U32(uint32_t v) {
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

// The worked example of gpo-formats.md: [Software\P;V;REG_DWORD;4;1][Software\P;**del.X;REG_SZ;4;"
// "].
std::string WorkedExample() {
  return "PReg"s + U32(1) + U16("[Software\\P") + U16("\0"s) + U16(";V") + U16("\0"s) + U16(";") +
         U32(4) + U16(";") + U32(4) + U16(";") + U32(1) + U16("]") + U16("[Software\\P") +
         U16("\0"s) + U16(";**del.X") + U16("\0"s) + U16(";") + U32(1) + U16(";") + U32(4) +
         U16(";") + U16(" \0"s) + U16("]");
}

const PolEntry* FindEntry(const RegistryPol& pol, std::string_view key, std::string_view name) {
  for (const PolEntry& e : pol.entries) {
    if (e.key == key && e.value_name == name) return &e;
  }
  return nullptr;
}

TEST(RegistryPolTest, ParsesWorkedExample) {
  std::string bytes = WorkedExample();
  // The first bytes are exactly those printed in gpo-formats.md.
  EXPECT_EQ(bytes.substr(0, 12), "PReg\x01\x00\x00\x00[\0S\0"s);
  auto pol = ParseRegistryPol(bytes, "Machine/Registry.pol");
  ASSERT_TRUE(pol.ok()) << pol.error().message;
  ASSERT_EQ(pol->entries.size(), 2u);
  EXPECT_EQ(pol->entries[0].key, "Software\\P");
  EXPECT_EQ(pol->entries[0].value_name, "V");
  EXPECT_EQ(*pol->entries[0].AsDword(), 1u);
  EXPECT_EQ(pol->entries[1].Special(), SpecialName::kDeleteValue);
  EXPECT_EQ(pol->entries[1].SpecialTarget(), "X");
  EXPECT_EQ(*pol->entries[1].AsString(), " ");
  auto written = WriteRegistryPol(*pol);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, bytes);
}

TEST(RegistryPolTest, HeaderOnlyIsEmpty) {
  auto pol = ParseRegistryPol("PReg\x01\x00\x00\x00"s, "x");
  ASSERT_TRUE(pol.ok());
  EXPECT_TRUE(pol->entries.empty());
  EXPECT_EQ(*WriteRegistryPol(*pol), "PReg\x01\x00\x00\x00"s);
}

TEST(RegistryPolTest, EveryFixtureRoundTripsByteForByte) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  size_t files = 0, entries = 0;
  for (const auto& backup : BackupDirs(fixtures)) {
    for (const auto& path : FindFiles(backup, "registry.pol")) {
      std::string bytes = ReadFileBytes(path);
      ASSERT_GE(bytes.size(), 8u) << path;
      auto pol = ParseRegistryPol(bytes, path.string());
      ASSERT_TRUE(pol.ok()) << pol.error().message;
      auto written = WriteRegistryPol(*pol);
      ASSERT_TRUE(written.ok()) << path;
      EXPECT_EQ(*written, bytes) << path;
      ++files;
      entries += pol->entries.size();
    }
  }
  EXPECT_EQ(files, 9u);
  EXPECT_EQ(entries, 543u);  // counted independently with a throwaway script
}

TEST(RegistryPolTest, FixtureValuesMatchWindowsReport) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  auto backup = fixtures / "gpmc-backups" / "{A2A38432-E322-437F-9975-B7CC7F16F4AA}";
  auto pol = ParseRegistryPol(ReadFileBytes(backup / "DomainSysvol/GPO/Machine/registry.pol"),
                              "registry.pol");
  ASSERT_TRUE(pol.ok()) << pol.error().message;
  auto report = DecodeUtf16LeWithBom(ReadFileBytes(backup / "gpreport.xml"), "gpreport.xml");
  ASSERT_TRUE(report.ok());
  // Windows reports "Prevent enabling lock screen camera" Enabled: NoLockScreenCamera = 1.
  ASSERT_NE(report->find("<q3:Name>Prevent enabling lock screen camera</q3:Name>\r\n"
                         "          <q3:State>Enabled</q3:State>"),
            std::string::npos);
  const PolEntry* camera = FindEntry(
      *pol, "Software\\Policies\\Microsoft\\Windows\\Personalization", "NoLockScreenCamera");
  ASSERT_NE(camera, nullptr);
  EXPECT_EQ(camera->type, reg_type::kDword);
  EXPECT_EQ(*camera->AsDword(), 1u);
  // "MSS: (DisableIPSourceRouting IPv6)": "Highest protection, source routing is completely
  // disabled", which the MSS template writes as 2.
  ASSERT_NE(report->find("Highest protection, source routing is completely disabled"),
            std::string::npos);
  const PolEntry* routing = FindEntry(
      *pol, "System\\CurrentControlSet\\Services\\Tcpip6\\Parameters", "DisableIPSourceRouting");
  ASSERT_NE(routing, nullptr);
  EXPECT_EQ(*routing->AsDword(), 2u);
}

TEST(RegistryPolTest, FixtureSpecialNamesAndKeyOnlyEntries) {
  GPOP_REQUIRE_FIXTURES(fixtures);
  auto chrome = fixtures / "gpmc-backups" / "{403B3DA7-7021-439A-8CA4-B2B0C1138937}";
  auto pol = ParseRegistryPol(ReadFileBytes(chrome / "DomainSysvol/GPO/Machine/registry.pol"),
                              "registry.pol");
  ASSERT_TRUE(pol.ok());
  const PolEntry* del =
      FindEntry(*pol, "Software\\Policies\\Google\\Chrome", "**del.NetworkPredictionOptions");
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(del->Special(), SpecialName::kDeleteValue);
  EXPECT_EQ(del->SpecialTarget(), "NetworkPredictionOptions");
  EXPECT_EQ(del->data, " \0\0\0"s);  // REG_SZ of size 4 holding a space, as Windows writes it
  EXPECT_EQ(*MakeDeleteValueEntry(del->key, "NetworkPredictionOptions").AsString(), " ");
  EXPECT_EQ(MakeDeleteValueEntry(del->key, "NetworkPredictionOptions"), *del);
  const PolEntry* delvals =
      FindEntry(*pol, "Software\\Policies\\Google\\Chrome\\EnabledPlugins", "**delvals.");
  ASSERT_NE(delvals, nullptr);
  EXPECT_EQ(delvals->Special(), SpecialName::kDeleteAllValues);
  EXPECT_EQ(MakeDeleteAllValuesEntry(delvals->key), *delvals);
  const PolEntry* plugin =
      FindEntry(*pol, "Software\\Policies\\Google\\Chrome\\EnabledPlugins", "2");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(*plugin->AsString(), "Chrome PDFViewer");

  // Certificates GPO: type 0, empty name, size 0 "create key" entries.
  auto certs = fixtures / "gpmc-backups" / "{D1DE50B0-DF95-405B-B2DA-6C16CBB6BF54}";
  auto cpol = ParseRegistryPol(ReadFileBytes(certs / "DomainSysvol/GPO/Machine/registry.pol"),
                               "registry.pol");
  ASSERT_TRUE(cpol.ok());
  const PolEntry* key_only =
      FindEntry(*cpol, "Software\\Policies\\Microsoft\\SystemCertificates\\FVE\\CRLs", "");
  ASSERT_NE(key_only, nullptr);
  EXPECT_EQ(key_only->type, reg_type::kNone);
  EXPECT_TRUE(key_only->data.empty());
}

TEST(RegistryPolTest, ClassifiesSpecialNamesCaseInsensitively) {
  EXPECT_EQ(ClassifyValueName("Value"), SpecialName::kNone);
  EXPECT_EQ(ClassifyValueName(""), SpecialName::kNone);
  EXPECT_EQ(ClassifyValueName("*del.X"), SpecialName::kNone);
  EXPECT_EQ(ClassifyValueName("**DEL.X"), SpecialName::kDeleteValue);
  EXPECT_EQ(ClassifyValueName("**del."), SpecialName::kDeleteValue);
  EXPECT_EQ(ClassifyValueName("**DelVals."), SpecialName::kDeleteAllValues);
  EXPECT_EQ(ClassifyValueName("**deletevalues"), SpecialName::kDeleteValues);
  EXPECT_EQ(ClassifyValueName("**DeleteKeys"), SpecialName::kDeleteKeys);
  EXPECT_EQ(ClassifyValueName("**SecureKey"), SpecialName::kSecureKey);
  EXPECT_EQ(ClassifyValueName("**Soft.Name"), SpecialName::kSoftValue);
  EXPECT_EQ(ClassifyValueName("**frobnicate"), SpecialName::kUnknown);
  EXPECT_EQ(ClassifyValueName("**delete"), SpecialName::kUnknown);  // no dot: not "**del."
  PolEntry soft{"K", "**soft.Wallpaper", reg_type::kSz, ""};
  EXPECT_EQ(soft.SpecialTarget(), "Wallpaper");
}

TEST(RegistryPolTest, TypedAccessors) {
  auto multi = MakeMultiStringEntry("K", "M", {"a", "bc"});
  EXPECT_EQ(multi.data, "a\0\0\0b\0c\0\0\0\0\0"s);
  EXPECT_EQ(*multi.AsMultiString(), (std::vector<std::string>{"a", "bc"}));
  EXPECT_FALSE(multi.AsDword().ok());
  auto qword = MakeQwordEntry("K", "Q", 0x0102030405060708ull);
  EXPECT_EQ(*qword.AsQword(), 0x0102030405060708ull);
  PolEntry be{"K", "B", reg_type::kDwordBigEndian, "\x00\x00\x01\x02"s};
  EXPECT_EQ(*be.AsDword(), 0x102u);
  PolEntry short_dword{"K", "D", reg_type::kDword, "\x01\x00"s};
  auto bad = short_dword.AsDword();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().reason, "CORRUPT_FILE");
  // A string without terminator is read to the end; the raw data stays as read.
  PolEntry unterminated{"K", "S", reg_type::kSz, "h\0i\0"s};
  EXPECT_EQ(*unterminated.AsString(), "hi");
  PolEntry odd{"K", "S", reg_type::kSz, "h\0i"s};
  EXPECT_FALSE(odd.AsString().ok());
  EXPECT_EQ(MakeBinaryEntry("K", "B", "\x01\x02"s).AsBinary(), "\x01\x02"s);
  EXPECT_EQ(RegTypeName(reg_type::kMultiSz), "REG_MULTI_SZ");
  EXPECT_EQ(RegTypeName(99), "REG_99");
}

TEST(RegistryPolTest, RewriteKeepsOddTerminatorsAndUnknownTypes) {
  RegistryPol pol;
  pol.entries.push_back({"Software\\A", "NoNul", reg_type::kSz, "x\0"s});            // no NUL
  pol.entries.push_back({"Software\\A", "TwoNuls", reg_type::kSz, "x\0\0\0\0\0"s});  // extra
  pol.entries.push_back({"Software\\A", "Weird", 0x12345678, "\x01\x02\x03"s});
  pol.entries.push_back({"Software\\\xC3\xA9", "\xF0\x9F\x98\x80", reg_type::kNone, ""});
  auto bytes = WriteRegistryPol(pol);
  ASSERT_TRUE(bytes.ok());
  auto back = ParseRegistryPol(*bytes, "x");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, pol);
}

struct Hostile {
  const char* name;
  std::string bytes;
  const char* message_part;
  size_t offset;
};

TEST(RegistryPolTest, HostileInputFailsWithFileAndOffset) {
  std::string good = WorkedExample();
  std::string first_entry_end = "PReg"s + U32(1) + U16("[K") + U16("\0"s) + U16(";V") + U16("\0"s);
  std::vector<Hostile> cases = {
      {"empty", "", "shorter than", 0},
      {"signature", "PRef\x01\x00\x00\x00"s, "bad signature", 0},
      {"version", "PReg\x02\x00\x00\x00"s, "version 2", 4},
      {"odd", "PReg\x01\x00\x00\x00["s, "truncated entry: expected '['", 8},
      {"odd after entry", good + "]"s, "truncated entry: expected '['", good.size()},
      {"no open bracket", "PReg"s + U32(1) + U16("K"), "'['", 8},
      {"truncated key", "PReg"s + U32(1) + U16("[Software"), "unterminated key", 10},
      {"missing semicolon", "PReg"s + U32(1) + U16("[K") + U16("\0"s) + U16("]"),
       "';' after the key", 14},
      {"truncated type", first_entry_end + U16(";") + "\x04\x00"s, "missing type", 22},
      {"huge size",
       first_entry_end + U16(";") + U32(4) + U16(";") + U32(0xFFFFFFF0u) + U16(";") + U32(1) +
           U16("]"),
       "declared data size 4294967280", 34},
      {"missing close bracket", good.substr(0, good.size() - 2) + U16(")"), "']'", good.size() - 2},
      {"truncated close", good.substr(0, good.size() - 2), "']'", good.size() - 2},
      {"unpaired surrogate in key", "PReg"s + U32(1) + U16("[") + "\x00\xD8"s + U16("\0"s),
       "surrogate", 10},
  };
  for (const auto& c : cases) {
    auto r = ParseRegistryPol(c.bytes, "Machine/Registry.pol");
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.error().code, core::Code::kDataLoss) << c.name;
    EXPECT_EQ(r.error().reason, "CORRUPT_FILE") << c.name;
    EXPECT_EQ(r.error().metadata.at("file"), "Machine/Registry.pol") << c.name;
    EXPECT_NE(r.error().message.find("Machine/Registry.pol"), std::string::npos) << c.name;
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos)
        << c.name << ": " << r.error().message;
    EXPECT_EQ(r.error().metadata.at("offset"), std::to_string(c.offset))
        << c.name << ": " << r.error().message;
  }
}

TEST(RegistryPolTest, WriterRejectsInvalidUtf8Names) {
  RegistryPol pol;
  pol.entries.push_back({"Software\\\xFF", "V", reg_type::kNone, ""});
  EXPECT_FALSE(WriteRegistryPol(pol).ok());
}

}  // namespace
}  // namespace gpop::sysvol
