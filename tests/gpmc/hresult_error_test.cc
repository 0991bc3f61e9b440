// Tests of the GPMC adapter's HRESULT -> core::Error mapping, under Wine.

#include "service/backends/gpmc/hresult_error.h"

#include <gtest/gtest.h>

namespace gpop::gpmc {
namespace {

TEST(HresultErrorTest, ClassNotRegisteredSaysGpmcIsNotInstalled) {
  core::Error error = ErrorFromHresult(REGDB_E_CLASSNOTREG, "creating GPM");
  EXPECT_EQ(error.code, core::Code::kFailedPrecondition);
  EXPECT_EQ(error.reason, core::reason::kGpmcNotInstalled);
  EXPECT_NE(error.message.find("GPMC is not installed"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("0x80040154"), std::string::npos) << error.message;
  ASSERT_TRUE(error.hresult.has_value());
  EXPECT_EQ(*error.hresult, 0x80040154u);
  EXPECT_EQ(error.metadata.at("hresult"), "0x80040154");
}

TEST(HresultErrorTest, CanonicalCodes) {
  struct Case {
    HRESULT hr;
    core::Code code;
    const char* reason;
  };
  const Case cases[] = {
      {E_ACCESSDENIED, core::Code::kPermissionDenied, core::reason::kAccessDenied},
      {HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND), core::Code::kNotFound,
       core::reason::kBackupNotFound},
      {HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS), core::Code::kAlreadyExists,
       core::reason::kGpoExists},
      {E_INVALIDARG, core::Code::kInvalidArgument, core::reason::kBackendFailure},
      {E_OUTOFMEMORY, core::Code::kResourceExhausted, core::reason::kBackendFailure},
      {HRESULT_FROM_WIN32(RPC_S_SERVER_UNAVAILABLE), core::Code::kUnavailable,
       core::reason::kBackendFailure},
      {HRESULT_FROM_WIN32(ERROR_TIMEOUT), core::Code::kDeadlineExceeded,
       core::reason::kBackendFailure},
      // Not requested by gpop: an abort is not a cancel (the runner decides that).
      {E_ABORT, core::Code::kAborted, core::reason::kBackendFailure},
      {HRESULT_FROM_WIN32(ERROR_CANCELLED), core::Code::kAborted, core::reason::kBackendFailure},
      {E_NOTIMPL, core::Code::kUnimplemented, core::reason::kUnsupported},
      {static_cast<HRESULT>(0x80041234), core::Code::kUnknown, core::reason::kBackendFailure},
  };
  for (const Case& c : cases) {
    core::Error error = ErrorFromHresult(c.hr, "doing it", core::reason::kBackupNotFound);
    EXPECT_EQ(error.code, c.code) << std::hex << c.hr;
    EXPECT_EQ(error.reason, c.reason) << std::hex << c.hr;
    EXPECT_EQ(error.hresult.value_or(0), static_cast<uint32_t>(c.hr));
  }
}

TEST(HresultErrorTest, MessageCarriesSystemTextAndRawCode) {
  core::Error error = ErrorFromHresult(E_ACCESSDENIED, "backing up GPO {X}");
  EXPECT_EQ(error.message.rfind("backing up GPO {X}: ", 0), 0u) << error.message;
  EXPECT_NE(error.message.find("(HRESULT 0x80070005)"), std::string::npos) << error.message;
  // System text (FormatMessage) or ours: never empty, one line, no trailing period.
  const std::string text = HresultText(E_ACCESSDENIED);
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_NE(text.back(), '.');
}

TEST(HresultErrorTest, FallbackTextWhenTheSystemHasNone) {
  // A code no message table describes gets the adapter's own wording.
  EXPECT_EQ(HresultText(static_cast<HRESULT>(0xA0047777)), "no description available");
  // Codes the adapter knows never come back empty, whatever the system says.
  EXPECT_FALSE(HresultText(REGDB_E_CLASSNOTREG).empty());
  EXPECT_FALSE(HresultText(HRESULT_FROM_WIN32(ERROR_CANCELLED)).empty());
}

TEST(HresultErrorTest, CancelCodes) {
  EXPECT_TRUE(IsCancelHresult(E_ABORT));
  EXPECT_TRUE(IsCancelHresult(static_cast<HRESULT>(0x800704C7)));
  EXPECT_FALSE(IsCancelHresult(E_FAIL));
  EXPECT_FALSE(IsCancelHresult(S_OK));
}

}  // namespace
}  // namespace gpop::gpmc
