// Tests of the GPO version layout and bump rules.

#include "service/backends/sysvol/format/gpo_version.h"

#include <gtest/gtest.h>

namespace gpop::sysvol {
namespace {

TEST(GpoVersionTest, Halves) {
  // The fixture {A2A38432...}: MachineVersionNumber 458759 = 0x00070007.
  EXPECT_EQ(UserVersion(0x00070007u), 7);
  EXPECT_EQ(ComputerVersion(0x00030007u), 7);
  EXPECT_EQ(UserVersion(0x00030007u), 3);
  EXPECT_EQ(MakeGpoVersion(3, 7), 0x00030007u);
}

TEST(GpoVersionTest, BumpsOneHalf) {
  EXPECT_EQ(BumpUserVersion(0x00030007u), 0x00040007u);
  EXPECT_EQ(BumpComputerVersion(0x00030007u), 0x00030008u);
  EXPECT_EQ(BumpComputerVersion(0), 1u);
  EXPECT_EQ(BumpUserVersion(0), 0x00010000u);
}

TEST(GpoVersionTest, WrapToZeroBecomesOne) {
  EXPECT_EQ(BumpComputerVersion(0x0005FFFFu), 0x00050001u);
  EXPECT_EQ(BumpUserVersion(0xFFFF0009u), 0x00010009u);
}

}  // namespace
}  // namespace gpop::sysvol
