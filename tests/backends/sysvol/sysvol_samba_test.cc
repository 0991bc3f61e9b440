// The sysvol backend on a tree written by `samba-tool domain provision` (run once per test
// binary): the two default GPOs open with their display names, and backup and report work.
// Without samba-tool the tests fail under CI=true and are skipped otherwise.

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "service/backends/sysvol/format/gpt_ini.h"
#include "service/backends/sysvol/format/inf_file.h"
#include "service/backends/sysvol/format/registry_pol.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/backends/sysvol/backend_test_util.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;
using testing::BackupOf;
using testing::RecordingSink;
using testing::RunOp;

bool HaveSambaTool() { return std::system("command -v samba-tool >/dev/null 2>&1") == 0; }

// The provisioned target folder, or empty when provisioning failed (the log says why).
const fs::path& Provisioned() {
  static const fs::path* dir = [] {
    fs::path target = gpop::testing::TempDir("gpop-samba");
    fs::path log = target.string() + ".log";
    std::string cmd =
        "samba-tool domain provision --realm=GPOP.TEST --domain=GPOP "
        "--adminpass='Passw0rd!x' --server-role=dc --use-rfc2307 --dns-backend=NONE "
        "--targetdir='" +
        target.string() + "' >'" + log.string() + "' 2>&1";
    int rc = std::system(cmd.c_str());
    if (rc != 0) {
      std::string tail = testing::ReadFileBytes(log);
      if (tail.size() > 2000) tail = tail.substr(tail.size() - 2000);
      ADD_FAILURE() << "samba-tool domain provision failed (" << rc << "):\n" << tail;
      return new fs::path();
    }
    return new fs::path(target);
  }();
  return *dir;
}

#define GPOP_REQUIRE_SAMBA(target)                                      \
  if (!HaveSambaTool()) {                                               \
    if (gpop::testing::InCi()) FAIL() << "samba-tool is not installed"; \
    GTEST_SKIP() << "samba-tool is not installed";                      \
  }                                                                     \
  const fs::path& target = Provisioned();                               \
  ASSERT_FALSE(target.empty())

SysvolConfig SambaConfig(const fs::path& target) {
  fs::path root = gpop::testing::TempDir("gpop-samba-store");
  SysvolConfig config = testing::MakeConfig(root);
  config.sysvol_dir = target / "state" / "sysvol" / "gpop.test";
  config.detect_running_dc = true;  // provisioned, not running: writable
  return config;
}

// The readers and writers on the bytes Samba writes: every GPT.INI, GptTmpl.inf and
// Registry.pol of the provisioned tree parses, and rewrites to the same bytes.
TEST(SysvolSambaTest, FormatsRoundTripSambaFiles) {
  GPOP_REQUIRE_SAMBA(target);
  fs::path policies = target / "state" / "sysvol" / "gpop.test" / "Policies";
  int gpt_ini = 0, inf = 0, pol = 0;
  for (const auto& entry : fs::recursive_directory_iterator(policies)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string bytes = testing::ReadFileBytes(entry.path());
    std::string shown = entry.path().string();
    if (name == "gpt.ini") {
      auto parsed = ParseGptIni(bytes, shown);
      ASSERT_TRUE(parsed.ok()) << parsed.error().message;
      EXPECT_EQ(WriteGptIni(*parsed), bytes) << shown;
      ++gpt_ini;
    } else if (name == "gpttmpl.inf") {
      auto parsed = ParseGptTmplInf(bytes, shown);
      ASSERT_TRUE(parsed.ok()) << parsed.error().message;
      auto written = WriteGptTmplInf(*parsed);
      ASSERT_TRUE(written.ok());
      EXPECT_EQ(*written, bytes) << shown;
      ++inf;
    } else if (name == "registry.pol") {
      auto parsed = ParseRegistryPol(bytes, shown);
      ASSERT_TRUE(parsed.ok()) << parsed.error().message;
      auto written = WriteRegistryPol(*parsed);
      ASSERT_TRUE(written.ok());
      EXPECT_EQ(*written, bytes) << shown;
      ++pol;
    }
  }
  EXPECT_EQ(gpt_ini, 2);  // the two default GPOs (Samba writes no template or policy file)
  RecordProperty("security_templates", inf);
  RecordProperty("registry_pol_files", pol);
}

TEST(SysvolSambaTest, DefaultGposOpenWithTheirNames) {
  GPOP_REQUIRE_SAMBA(target);
  auto backend = testing::OpenBackend(SambaConfig(target));
  ASSERT_NE(backend, nullptr);
  EXPECT_FALSE(backend->read_only()) << backend->read_only_reason();
  auto gpos = backend->ListGpos();
  ASSERT_TRUE(gpos.ok()) << gpos.error().message;
  ASSERT_EQ(gpos->size(), 2u);
  std::map<std::string, std::string> names;
  for (const auto& g : *gpos) names[g.guid] = g.display_name;
  EXPECT_EQ(names[kDefaultDomainPolicyGuid], "Default Domain Policy");
  EXPECT_EQ(names[kDefaultDomainControllersPolicyGuid], "Default Domain Controllers Policy");
  core::GpoRef by_name;
  by_name.display_name = "default domain controllers policy";
  auto found = backend->store().Resolve(by_name);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->info.guid, kDefaultDomainControllersPolicyGuid);
  EXPECT_EQ(found->folder, kDefaultDomainControllersPolicyGuid);
}

TEST(SysvolSambaTest, BackupAndReportOfTheDefaultPolicies) {
  GPOP_REQUIRE_SAMBA(target);
  SysvolConfig config = SambaConfig(target);
  auto backend = testing::OpenBackend(config);
  ASSERT_NE(backend, nullptr);
  for (const char* guid : {kDefaultDomainPolicyGuid, kDefaultDomainControllersPolicyGuid}) {
    SCOPED_TRACE(guid);
    core::BackupSpec spec;
    spec.gpo.display_name = guid == std::string(kDefaultDomainPolicyGuid)
                                ? "Default Domain Policy"
                                : "Default Domain Controllers Policy";
    RecordingSink sink;
    core::Outcome out = RunOp(*backend, spec, sink);
    ASSERT_FALSE(out.error) << out.error->message;
    const auto& info = std::get<core::BackupInfo>(out.result);
    EXPECT_EQ(info.gpo_guid, guid);
    fs::path backup = config.backup_locations["default"] / info.backup_id;
    // Samba's upper-case MACHINE/USER are stored as GPMC's Machine/User.
    EXPECT_TRUE(fs::is_directory(backup / "DomainSysvol" / "GPO" / "Machine"));
    EXPECT_TRUE(fs::is_directory(backup / "DomainSysvol" / "GPO" / "User"));
    EXPECT_TRUE(fs::exists(backup / "Backup.xml"));

    RecordingSink report_sink;
    core::Outcome report = RunOp(*backend, testing::ReportOfGpo(guid), report_sink);
    ASSERT_FALSE(report.error) << report.error->message;
    auto parsed = ParseReportXml(std::get<core::ReportInfo>(report.result).content, "report");
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->name, spec.gpo.display_name);
    EXPECT_EQ(parsed->domain, "gpop.test");
    core::Outcome html =
        RunOp(*backend, testing::ReportOfGpo(guid, core::ReportFormat::kHtml), report_sink);
    ASSERT_FALSE(html.error);
    EXPECT_NE(std::get<core::ReportInfo>(html.result).content.find(spec.gpo.display_name),
              std::string::npos);
  }
  // The provisioned tree itself is unchanged by backups and reports.
  EXPECT_FALSE(fs::exists(config.sysvol_dir / "Policies" / ".gpop-staging"));
}

TEST(SysvolSambaTest, ARunningDcMakesTheStoreReadOnly) {
  GPOP_REQUIRE_SAMBA(target);
  EXPECT_FALSE(DetectRunningDc(target / "state" / "sysvol" / "gpop.test").has_value());
  // A pid file naming a live process (this test) marks the tree as served.
  fs::create_directories(target / "run");
  testing::WriteBytes(target / "run" / "samba.pid", std::to_string(::getpid()) + "\n");
  auto reason = DetectRunningDc(target / "state" / "sysvol" / "gpop.test");
  fs::remove(target / "run" / "samba.pid");
  ASSERT_TRUE(reason.has_value());
  EXPECT_NE(reason->find("samba"), std::string::npos);

  SysvolConfig config = SambaConfig(target);
  config.read_only = true;
  auto backend = testing::OpenBackend(config);
  ASSERT_NE(backend, nullptr);
  EXPECT_TRUE(backend->read_only());
  // Read-only still serves backup and report.
  RecordingSink sink;
  core::Outcome out = RunOp(*backend, BackupOf(kDefaultDomainPolicyGuid), sink);
  EXPECT_FALSE(out.error) << out.error->message;
}

}  // namespace
}  // namespace gpop::sysvol
