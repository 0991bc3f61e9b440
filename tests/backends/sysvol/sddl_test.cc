// SDDL strings: every SID (owner, group, each ACE's trustee, in DACL and SACL) is passed to the
// map once; replacing and removing change only that SID or that ACE; text that is not a
// well-formed component is kept as written.

#include "service/backends/sysvol/format/sddl.h"

#include <gtest/gtest.h>

#include <map>
#include <vector>

namespace gpop::sysvol {
namespace {

constexpr char kA[] = "S-1-5-21-1-2-3-1104";
constexpr char kB[] = "S-1-5-21-1-2-3-1105";

TEST(SddlTest, EverySidIsSeenWithItsPlace) {
  std::vector<std::string> seen;
  const std::string sddl = std::string("O:") + kA + "G:SYD:PAI(A;OICI;FA;;;BA)(A;;0x1200a9;;;" +
                           kB + ")S:AI(AU;SAFA;FA;;;WD)";
  const std::string out = MapSddlSids(sddl, [&](const std::string& sid, std::string_view where) {
    seen.push_back(std::string(where) + " " + sid);
    return std::optional<std::string>(sid);
  });
  EXPECT_EQ(out, sddl);
  EXPECT_EQ(seen, (std::vector<std::string>{std::string("owner ") + kA, "group SY", "ACE BA",
                                            std::string("ACE ") + kB, "ACE WD"}));
}

TEST(SddlTest, SidsAreReplacedAndAcesRemoved) {
  const std::map<std::string, std::optional<std::string>> table = {{kA, "S-1-5-21-9-9-9-2104"},
                                                                   {kB, std::nullopt}};
  auto map = [&](const std::string& sid, std::string_view) {
    auto it = table.find(sid);
    return it == table.end() ? std::optional<std::string>(sid) : it->second;
  };
  EXPECT_EQ(MapSddlSids(std::string("O:") + kA + "G:" + kB + "D:AR(A;CI;KA;;;" + kA +
                            ")(A;CI;KR;;;" + kB + ")(A;;KA;;;SY)",
                        map),
            "O:S-1-5-21-9-9-9-2104D:AR(A;CI;KA;;;S-1-5-21-9-9-9-2104)(A;;KA;;;SY)");
  // A conditional ACE keeps its expression; its trustee is still mapped.
  EXPECT_EQ(MapSddlSids(std::string("D:(XA;;FX;;;") + kA + ";(@User.Title==\"PM\"))", map),
            "D:(XA;;FX;;;S-1-5-21-9-9-9-2104;(@User.Title==\"PM\"))");
}

TEST(SddlTest, MalformedTextIsKeptAsWritten) {
  int calls = 0;
  auto map = [&](const std::string& sid, std::string_view) {
    ++calls;
    return std::optional<std::string>("S-1-5-21-9-9-9-1");
  };
  EXPECT_EQ(MapSddlSids("D:(A;;FA;;;S-1-5-21-1-2-3-4", map), "D:(A;;FA;;;S-1-5-21-1-2-3-4");
  EXPECT_EQ(MapSddlSids("D:(A;;FA)", map), "D:(A;;FA)");
  EXPECT_EQ(MapSddlSids("", map), "");
  EXPECT_EQ(MapSddlSids("not sddl", map), "not sddl");
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace gpop::sysvol
