// Sysvol backup and report benchmark: prints figures, asserts nothing about time.
//
// Generates a large store (gpop-demo-store's generator), then backs up GPOs through the sysvol
// backend and compares with a baseline measured in the same run on the same GPTs: a plain
// recursive copy without fsync (what `cp -r` does). The ratio shows what durability (fsync of
// every file and folder), the commit protocol, Backup.xml and the settings report cost on top
// of moving the bytes. Exits non-zero only if a backup fails.

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "service/backends/sysvol/demo_store.h"
#include "service/backends/sysvol/sysvol_backend.h"
#include "tests/testing/fixtures.h"

namespace gpop {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

class NullSink final : public core::ProgressSink {
 public:
  void Progress(int64_t, int64_t) override {}
  void Messages(std::vector<core::StatusMessage>, std::optional<uint32_t>) override {}
};

uint64_t TreeBytes(const fs::path& dir) {
  uint64_t total = 0;
  for (auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) total += e.file_size();
  }
  return total;
}

int Run() {
  constexpr int kGpos = 6;
  constexpr int kMegabytes = 16;
  fs::path root = testing::TempDir("gpop-bench");
  auto gpos = sysvol::WriteLargeStore(root / "sysvol", kGpos, kMegabytes);
  if (!gpos.ok()) {
    std::printf("generator failed: %s\n", gpos.error().message.c_str());
    return 1;
  }
  sysvol::SysvolConfig config;
  config.sysvol_dir = root / "sysvol";
  config.domain = "bench.test";
  config.domain_guid = "{0B0B0B0B-1111-2222-3333-444444444444}";
  config.backup_locations["default"] = root / "backups";
  config.default_backup_location = "default";
  config.metadata_db = root / "state" / "meta.db";
  config.detect_running_dc = false;
  fs::create_directories(root / "backups");
  auto backend = sysvol::SysvolBackend::Open(config);
  if (!backend.ok()) {
    std::printf("open failed: %s\n", backend.error().message.c_str());
    return 1;
  }
  (void)(*backend)->ResolveLeftovers();

  uint64_t bytes = 0;
  double baseline_secs = 0, backup_secs = 0, report_secs = 0;
  int n = 0;
  for (const sysvol::DemoGpo& gpo : *gpos) {
    fs::path gpt = root / "sysvol" / "Policies" / gpo.guid;
    bytes += TreeBytes(gpt);
    auto t0 = Clock::now();
    fs::copy(gpt, root / ("copy-" + std::to_string(n)), fs::copy_options::recursive);
    auto t1 = Clock::now();
    core::RunRequest backup;
    backup.operation_id = "op-bench-backup-" + std::to_string(n);
    backup.spec = core::BackupSpec{core::GpoRef{gpo.guid, ""}, "", "benchmark"};
    NullSink sink;
    core::CancelToken token;
    core::Outcome out = (*backend)->Run(backup, sink, token);
    auto t2 = Clock::now();
    if (out.error) {
      std::printf("backup failed: %s\n", out.error->message.c_str());
      return 1;
    }
    core::RunRequest report;
    report.operation_id = "op-bench-report-" + std::to_string(n);
    core::ReportSpec rs;
    rs.subject = core::GpoRef{gpo.guid, ""};
    rs.format = core::ReportFormat::kXml;
    report.spec = rs;
    core::CancelToken token2;
    core::Outcome rout = (*backend)->Run(report, sink, token2);
    auto t3 = Clock::now();
    if (rout.error) {
      std::printf("report failed: %s\n", rout.error->message.c_str());
      return 1;
    }
    baseline_secs += std::chrono::duration<double>(t1 - t0).count();
    backup_secs += std::chrono::duration<double>(t2 - t1).count();
    report_secs += std::chrono::duration<double>(t3 - t2).count();
    ++n;
  }
  double mb = bytes / 1048576.0;
  std::printf("backup_bench: %d GPOs, %.1f MB of GPT files\n", n, mb);
  std::printf("  baseline, recursive copy (no fsync) : %8.1f MB/s\n", mb / baseline_secs);
  std::printf("  gpop backup (fsync, commit, report) : %8.1f MB/s\n", mb / backup_secs);
  std::printf("  ratio backup/baseline time          : %8.2fx\n", backup_secs / baseline_secs);
  std::printf("  XML report of the same GPOs         : %8.1f MB/s of GPT input\n",
              mb / report_secs);
  fs::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace gpop

int main() { return gpop::Run(); }
