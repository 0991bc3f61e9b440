// Tests of the default paths.

#include "service/platform/paths.h"

#include <gtest/gtest.h>

namespace gpop::platform {
namespace {

TEST(PathsTest, DefaultStateDir) {
#ifdef _WIN32
  const std::string dir = DefaultStateDir();
  EXPECT_GE(dir.size(), 5u);
  EXPECT_EQ(dir.substr(dir.size() - 5), "\\gpop");
  EXPECT_EQ(dir.find('/'), std::string::npos);
#else
  EXPECT_EQ(DefaultStateDir(), "/var/lib/gpop");
#endif
}

}  // namespace
}  // namespace gpop::platform
