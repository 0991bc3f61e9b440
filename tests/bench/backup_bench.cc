// Sysvol backup and report benchmark: prints figures, asserts nothing about time.
//
// Generates a store (gpop-demo-store's generator: registry-heavy GPOs, optionally with an
// opaque payload file each, as run_bench.py's payload-heavy store), then measures in one run:
//   - the baseline, `cp -a` of the Policies tree followed by `sync` (what issue 13 compares
//     with), and a plain recursive copy without fsync;
//   - gpop's backup of every GPO through the sysvol backend in process, `--threads` at a time
//     (gpopd runs operations on its executor threads the same way), durable when each returns;
//   - the XML report of each GPO.
// The ratios are what to read (the machine may be shared). Exits non-zero only if an operation
// fails.
//
//   backup_bench [--gpos N] [--registry-mb M] [--payload-mb P] [--threads T] [--no-report]
//
// Defaults are small (the ctest smoke run): 6 GPOs, 16 MB of registry.pol, no payload, 2 threads.

#include <pthread.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

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

double Seconds(Clock::time_point from) {
  return std::chrono::duration<double>(Clock::now() - from).count();
}

// CPU seconds (user + system) of this process so far: on a shared machine the CPU a phase
// takes is steadier than its wall time.
double CpuSeconds() {
  struct rusage u;
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

struct Args {
  int gpos = 6;
  int registry_mb = 16;
  int payload_mb = 0;
  int threads = 2;
  bool report = true;
};

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--no-report") {
      a->report = false;
      continue;
    }
    if (i + 1 >= argc) return false;
    const int v = std::atoi(argv[++i]);
    if (arg == "--gpos" && v > 0) {
      a->gpos = v;
    } else if (arg == "--registry-mb" && v >= 0) {
      a->registry_mb = v;
    } else if (arg == "--payload-mb" && v >= 0) {
      a->payload_mb = v;
    } else if (arg == "--threads" && v > 0) {
      a->threads = v;
    } else {
      return false;
    }
  }
  return true;
}

// A startup-script folder with one opaque file per GPO (run_bench.py's payload).
bool WritePayload(const fs::path& gpt, uint64_t bytes, unsigned seed) {
  const fs::path folder = gpt / "Machine" / "Scripts" / "Startup";
  fs::create_directories(folder);
  std::ofstream out(folder / "payload.bin", std::ios::binary);
  std::string block(1 << 20, '\0');
  uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (char& c : block) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  for (uint64_t left = bytes; left > 0;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(left, block.size()));
    out.write(block.data(), static_cast<std::streamsize>(n));
    left -= n;
  }
  return static_cast<bool>(out);
}

int Run(const Args& args) {
  fs::path root = testing::TempDir("gpop-bench");
  auto gpos = sysvol::WriteLargeStore(root / "sysvol", args.gpos, args.registry_mb);
  if (!gpos.ok()) {
    std::printf("generator failed: %s\n", gpos.error().message.c_str());
    return 1;
  }
  const fs::path policies = root / "sysvol" / "Policies";
  if (args.payload_mb > 0) {
    const uint64_t per_gpo = (static_cast<uint64_t>(args.payload_mb) << 20) / args.gpos;
    unsigned n = 0;
    for (const sysvol::DemoGpo& gpo : *gpos) {
      if (!WritePayload(policies / gpo.guid, per_gpo, n++)) {
        std::printf("payload failed\n");
        return 1;
      }
    }
  }
  const uint64_t bytes = TreeBytes(policies);
  const double mb = bytes / 1048576.0;
  if (std::system("sync") != 0) return 1;

  // Baselines: cp -a + sync of the Policies tree, and a recursive copy without fsync.
  auto t0 = Clock::now();
  const std::string cp =
      "cp -a '" + policies.string() + "' '" + (root / "cp-copy").string() + "' && sync";
  if (std::system(cp.c_str()) != 0) {
    std::printf("cp -a failed\n");
    return 1;
  }
  const double cp_secs = Seconds(t0);
  t0 = Clock::now();
  fs::copy(policies, root / "plain-copy", fs::copy_options::recursive);
  const double plain_secs = Seconds(t0);
  fs::remove_all(root / "cp-copy");
  fs::remove_all(root / "plain-copy");
  if (std::system("sync") != 0) return 1;

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

  // Every GPO backed up, `threads` at a time (each thread takes the next GPO).
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  auto backup_all = [&] {
    // Named, so that a profile can keep the backups apart (perf report --comms gpop-backup).
    ::pthread_setname_np(::pthread_self(), "gpop-backup");
    for (size_t i = next++; i < gpos->size(); i = next++) {
      core::RunRequest backup;
      backup.operation_id = "op-bench-backup-" + std::to_string(i);
      backup.spec = core::BackupSpec{core::GpoRef{(*gpos)[i].guid, ""}, "", "benchmark"};
      NullSink sink;
      core::CancelToken token;
      core::Outcome out = (*backend)->Run(backup, sink, token);
      if (out.error) {
        std::printf("backup failed: %s\n", out.error->message.c_str());
        ++failures;
      }
    }
  };
  t0 = Clock::now();
  const double cpu0 = CpuSeconds();
  std::vector<std::thread> workers;
  for (int t = 0; t < args.threads; ++t) workers.emplace_back(backup_all);
  for (std::thread& w : workers) w.join();
  const double backup_secs = Seconds(t0);
  const double backup_cpu = CpuSeconds() - cpu0;
  if (failures > 0) return 1;

  double report_secs = 0, report_cpu = 0;
  if (args.report) {
    t0 = Clock::now();
    const double cpu1 = CpuSeconds();
    for (size_t i = 0; i < gpos->size(); ++i) {
      core::RunRequest report;
      report.operation_id = "op-bench-report-" + std::to_string(i);
      core::ReportSpec rs;
      rs.subject = core::GpoRef{(*gpos)[i].guid, ""};
      rs.format = core::ReportFormat::kXml;
      report.spec = rs;
      NullSink sink;
      core::CancelToken token;
      core::Outcome out = (*backend)->Run(report, sink, token);
      if (out.error) {
        std::printf("report failed: %s\n", out.error->message.c_str());
        return 1;
      }
    }
    report_secs = Seconds(t0);
    report_cpu = CpuSeconds() - cpu1;
  }
  const uint64_t backup_bytes = TreeBytes(root / "backups");

  std::printf(
      "backup_bench: %d GPOs, %.1f MB of GPT files (%d MB registry.pol, %d MB payload), "
      "%d threads; backups hold %.1f MB\n",
      args.gpos, mb, args.registry_mb, args.payload_mb, args.threads, backup_bytes / 1048576.0);
  std::printf("  cp -a + sync                        : %8.2f s\n", cp_secs);
  std::printf("  recursive copy (no fsync)           : %8.2f s\n", plain_secs);
  std::printf("  gpop backup of every GPO            : %8.2f s  %8.1f MB/s  (CPU %.2f s)\n",
              backup_secs, mb / backup_secs, backup_cpu);
  std::printf("  ratio backup / (cp -a + sync)       : %8.2fx\n", backup_secs / cp_secs);
  if (args.report) {
    std::printf(
        "  XML report of every GPO (1 thread)  : %8.2f s  %8.1f MB/s of GPT input  (CPU %.2f s)\n",
        report_secs, mb / report_secs, report_cpu);
  }
  fs::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace gpop

int main(int argc, char** argv) {
  gpop::Args args;
  if (!gpop::ParseArgs(argc, argv, &args)) {
    std::fprintf(stderr,
                 "usage: backup_bench [--gpos N] [--registry-mb M] [--payload-mb P] "
                 "[--threads T] [--no-report]\n");
    return 2;
  }
  return gpop::Run(args);
}
