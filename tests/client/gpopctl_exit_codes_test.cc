// Tests of gpopctl's exit-code mapping: the numbers are a contract with scripts.

#include "client/ctl/exit_codes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gpop::ctl {
namespace {

TEST(GpopctlExitCodesTest, NumbersAreStable) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitUsage, 1);
  EXPECT_EQ(kExitFailed, 2);
  EXPECT_EQ(kExitCancelled, 3);
  EXPECT_EQ(kExitDetached, 4);
  EXPECT_EQ(kExitNotFound, 5);
  EXPECT_EQ(kExitInvalid, 6);
  EXPECT_EQ(kExitPermission, 7);
  EXPECT_EQ(kExitExhausted, 8);
  EXPECT_EQ(kExitUnavailable, 9);
  EXPECT_EQ(kExitOther, 10);
}

TEST(GpopctlExitCodesTest, StatusMapping) {
  EXPECT_EQ(ExitCodeForStatus(absl::OkStatus()), 0);
  EXPECT_EQ(ExitCodeForStatus(absl::NotFoundError("")), 5);
  EXPECT_EQ(ExitCodeForStatus(absl::InvalidArgumentError("")), 6);
  EXPECT_EQ(ExitCodeForStatus(absl::FailedPreconditionError("")), 6);
  EXPECT_EQ(ExitCodeForStatus(absl::OutOfRangeError("")), 6);
  EXPECT_EQ(ExitCodeForStatus(absl::AlreadyExistsError("")), 6);
  EXPECT_EQ(ExitCodeForStatus(absl::PermissionDeniedError("")), 7);
  EXPECT_EQ(ExitCodeForStatus(absl::UnauthenticatedError("")), 7);
  EXPECT_EQ(ExitCodeForStatus(absl::ResourceExhaustedError("")), 8);
  EXPECT_EQ(ExitCodeForStatus(absl::UnavailableError("")), 9);
  EXPECT_EQ(ExitCodeForStatus(absl::DeadlineExceededError("")), 9);
  EXPECT_EQ(ExitCodeForStatus(absl::InternalError("")), 10);
  EXPECT_EQ(ExitCodeForStatus(absl::UnknownError("")), 10);
  EXPECT_EQ(ExitCodeForStatus(absl::CancelledError("")), 10);
}

TEST(GpopctlExitCodesTest, StateMapping) {
  EXPECT_EQ(ExitCodeForState(v1::SUCCEEDED), 0);
  EXPECT_EQ(ExitCodeForState(v1::FAILED), 2);
  EXPECT_EQ(ExitCodeForState(v1::CANCELLED), 3);
  EXPECT_EQ(ExitCodeForState(v1::RUNNING), 4);
  EXPECT_EQ(ExitCodeForState(v1::CANCELLING), 4);
  EXPECT_EQ(ExitCodeForState(v1::QUEUED), 4);
}

TEST(GpopctlExitCodesTest, TableDocumentsEveryCode) {
  std::string table = kExitCodeTable;
  for (const char* row : {"   0  success", "   1  usage", "   2  the operation ended FAILED",
                          "   3  the operation ended CANCELLED", "   4  detached",
                          "   5  NOT_FOUND", "   6  INVALID_ARGUMENT", "   7  PERMISSION_DENIED",
                          "   8  RESOURCE_EXHAUSTED", "   9  UNAVAILABLE", "  10  any other"}) {
    EXPECT_THAT(table, ::testing::HasSubstr(row));
  }
}

}  // namespace
}  // namespace gpop::ctl
