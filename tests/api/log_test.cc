// Tests of gpopd's logger: both formats, one line per record, and credentials never written.

#include "service/api/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace gpop::api {
namespace {

class LogTest : public ::testing::Test {
 protected:
  ~LogTest() override { SetLogFormat(LogFormat::kText); }
  std::vector<std::string> lines_;
  LogCapture capture_{[this](std::string_view line) { lines_.emplace_back(line); }};
};

TEST_F(LogTest, TextLineCarriesTheTags) {
  Log(LogLevel::kWarning, {"op-1", "req 7", "alice"}, "cancel refused\nsecond line");
  ASSERT_EQ(lines_.size(), 1u);
  const std::string& line = lines_[0];
  EXPECT_NE(line.find(" W op=op-1 req=req_7 principal=alice cancel refused second line"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line[4], '-');  // starts with the RFC 3339 time
  EXPECT_EQ(line.find("Z "), 23u);
}

TEST_F(LogTest, JsonLineIsOneObjectWithTheTags) {
  SetLogFormat(LogFormat::kJson);
  Log(LogLevel::kError, {"op-2", "", "bob"}, "failed: \"quoted\"\nand more");
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find('\n'), std::string::npos);
  google::protobuf::Struct record;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(lines_[0], &record).ok()) << lines_[0];
  const auto& f = record.fields();
  EXPECT_EQ(f.at("level").string_value(), "ERROR");
  EXPECT_EQ(f.at("operation_id").string_value(), "op-2");
  EXPECT_EQ(f.at("principal").string_value(), "bob");
  EXPECT_EQ(f.count("request_id"), 0u);  // empty tags are left out
  EXPECT_EQ(f.at("message").string_value(), "failed: \"quoted\"\nand more");
  EXPECT_EQ(f.at("time").string_value().size(), 24u);
}

TEST_F(LogTest, BearerTokensAreNeverWritten) {
  const std::string token = "s3cr3t-T0KEN.value";
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    SetLogFormat(format);
    Log(LogLevel::kInfo, {"op", "Bearer " + token, "p"}, "header authorization: Bearer " + token);
    Log(LogLevel::kInfo, {}, "authorization=" + token + ", then more");
    Log(LogLevel::kInfo, {}, "BEARER " + token);
  }
  ASSERT_EQ(lines_.size(), 6u);
  for (const std::string& line : lines_) {
    EXPECT_EQ(line.find(token), std::string::npos) << line;
    EXPECT_NE(line.find("[REDACTED]"), std::string::npos) << line;
  }
  EXPECT_NE(lines_[1].find(", then more"), std::string::npos);  // only the secret goes
}

// Lines from threads that log at once reach stderr whole, each thread's in its order, none lost
// (one thread writes what the others queued meanwhile).
TEST(LogStderrTest, ConcurrentLinesArriveWholeAndInOrder) {
  char path[] = "/tmp/gpop-log-test.XXXXXX";
  const int file = mkstemp(path);
  ASSERT_GE(file, 0);
  std::fflush(stderr);
  const int saved = dup(STDERR_FILENO);
  ASSERT_EQ(dup2(file, STDERR_FILENO), STDERR_FILENO);
  constexpr int kThreads = 8, kLines = 500;
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < kLines; ++i) {
          Log(LogLevel::kInfo, {"op-" + std::to_string(t), "", ""},
              "line " + std::to_string(i) + " " + std::string(100, 'x') + " end");
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  std::fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(file);
  std::ifstream in(path);
  std::map<std::string, int> next;  // per thread's tag: the line number expected next
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    ++count;
    const size_t op = line.find(" op=op-");
    ASSERT_NE(op, std::string::npos) << line;
    std::istringstream fields(line.substr(op + 4));
    std::string tag, word, padding, end;
    int number = -1;
    fields >> tag >> word >> number >> padding >> end;
    EXPECT_EQ(word, "line") << line;
    EXPECT_EQ(number, next[tag]++) << line;
    EXPECT_EQ(padding, std::string(100, 'x')) << line;
    EXPECT_EQ(end, "end") << line;
  }
  std::remove(path);
  EXPECT_EQ(count, kThreads * kLines);
}

TEST(RedactSecretsTest, OrdinaryTextIsUnchanged) {
  EXPECT_EQ(RedactSecrets("authorization failed for alice"), "authorization failed for alice");
  EXPECT_EQ(RedactSecrets("backup of {31B2F340-016D-11D2-945F-00C04FB984F9}"),
            "backup of {31B2F340-016D-11D2-945F-00C04FB984F9}");
  EXPECT_EQ(RedactSecrets("Bearer abc def"), "Bearer [REDACTED] def");
  EXPECT_EQ(RedactSecrets("authorization: Bearer abc"), "authorization: Bearer [REDACTED]");
}

TEST(RedactSecretsTest, OnlyTextWithoutSeparatorsSkipsTheScan) {
  // Without ' ', ':' or '=' neither form can be complete: returned as is.
  EXPECT_EQ(RedactSecrets("op-bearerauthorization7q"), "op-bearerauthorization7q");
  EXPECT_EQ(RedactSecrets("Bearer"), "Bearer");
  // One separator is enough for either form to be found.
  EXPECT_EQ(RedactSecrets("authorization=abc"), "authorization=[REDACTED]");
  EXPECT_EQ(RedactSecrets("x-authorization:abc"), "x-authorization:[REDACTED]");
  EXPECT_EQ(RedactSecrets("bearer abc"), "bearer [REDACTED]");
}

TEST(LogFormatTest, Parse) {
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_FALSE(ParseLogFormat("JSON").has_value());
  EXPECT_FALSE(ParseLogFormat("").has_value());
}

}  // namespace
}  // namespace gpop::api
