// The demo store and the large-store generator: what gpop writes, gpop reads back as
// realistic settings.

#include "service/backends/sysvol/demo_store.h"

#include <gtest/gtest.h>

#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::RecordingSink;
using testing::RunOp;

TEST(DemoStoreTest, FourGposWithRealisticSettings) {
  testing::TestStore store = testing::MakeEmptyStore();
  auto written = WriteDemoStore(store.config.sysvol_dir);
  ASSERT_TRUE(written.ok()) << written.error().message;
  ASSERT_EQ(written->size(), 4u);
  auto backend = testing::OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  auto gpos = backend->ListGpos();
  ASSERT_TRUE(gpos.ok());
  std::set<std::string> names;
  for (const auto& g : *gpos) names.insert(g.display_name);
  EXPECT_EQ(names, (std::set<std::string>{"Audit Policy", "Default Domain Policy",
                                          "Server Hardening", "Workstation Baseline"}));

  std::map<std::string, Report> reports;
  for (const DemoGpo& g : *written) {
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, testing::ReportOfGpo(g.guid), sink);
    ASSERT_FALSE(out.error) << out.error->message;
    auto parsed = ParseReportXml(std::get<core::ReportInfo>(out.result).content, "report");
    ASSERT_TRUE(parsed.ok());
    reports[g.display_name] = *parsed;
  }
  const Report& ws = reports["Workstation Baseline"];
  auto has_value = [](const ReportSide& side, const std::string& name) {
    for (const auto& r : side.registry_settings) {
      if (r.value && r.value->name == name) return true;
    }
    return false;
  };
  EXPECT_TRUE(has_value(ws.computer, "AUOptions"));
  EXPECT_TRUE(has_value(ws.computer, "EnableFirewall"));
  EXPECT_TRUE(has_value(ws.user, "ScreenSaveTimeOut"));
  EXPECT_FALSE(ws.computer.security.security_options.empty());  // SMB signing
  const Report& ddp = reports["Default Domain Policy"];
  EXPECT_GE(ddp.computer.security.accounts.size(), 8u);  // password and lockout policy
  const Report& server = reports["Server Hardening"];
  EXPECT_FALSE(server.computer.security.user_rights.empty());
  const Report& audit = reports["Audit Policy"];
  EXPECT_EQ(audit.computer.advanced_audit.size(), 10u);

  // Every demo GPO backs up.
  for (const DemoGpo& g : *written) {
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, testing::BackupOf(g.guid), sink);
    ASSERT_FALSE(out.error) << out.error->message;
  }
  auto listed = backend->ListBackups({});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 4u);
}

TEST(DemoStoreTest, LargeStoreHasTheRequestedSize) {
  testing::TestStore store = testing::MakeEmptyStore();
  auto written = WriteLargeStore(store.config.sysvol_dir, 12, 3);
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(written->size(), 12u);
  uint64_t bytes = 0;
  for (auto& e : fs::recursive_directory_iterator(store.policies())) {
    if (e.is_regular_file()) bytes += e.file_size();
  }
  EXPECT_GE(bytes, 3u << 20);
  EXPECT_LE(bytes, 4u << 20);
  auto backend = testing::OpenBackend(store.config);
  ASSERT_NE(backend, nullptr);
  core::GpoRef ref;
  ref.display_name = "Generated GPO 0007";
  core::BackupSpec spec;
  spec.gpo = ref;
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, spec, sink);
  ASSERT_FALSE(out.error) << out.error->message;
  // Progress counts bytes: the denominator covers the GPO's ~256 KB.
  ASSERT_FALSE(sink.progress.empty());
  EXPECT_GT(sink.progress.back().second, 200000);
  EXPECT_FALSE(WriteLargeStore(store.config.sysvol_dir, 0, 1).ok());
}

}  // namespace
}  // namespace gpop::sysvol
