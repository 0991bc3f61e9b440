// Fake GPMC COM objects for the adapter's tests: an in-process stand-in for Gpmgmt.dll whose
// asynchronous methods follow a script, so that each documented and undocumented behaviour of
// IGPMAsyncProgress / IGPMAsyncCancel (shared/reference/gpmc-async.md) can be reproduced on
// demand under Wine.
//
// A `FakeWorld` holds the directory (GPOs, backups), the script of the next asynchronous call,
// the record of every call the adapter made, and the count of live fake objects.

#ifndef GPOP_TESTS_GPMC_FAKE_GPMC_H_
#define GPOP_TESTS_GPMC_FAKE_GPMC_H_

// <windows.h> must come before the COM headers.
// clang-format off
#include <windows.h>
#include <gpmgmt.h>
// clang-format on

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "service/backends/gpmc/gpmc_backend.h"
#include "service/core/mutex.h"

namespace gpop::gpmc::testing {

// The files a fake backup writes into an existing directory (see FakeGpo::Backup) and their size.
inline constexpr char kFakeBackupXml[] = "<GroupPolicyBackupScheme/>\r\n";
inline constexpr char kFakeGptIni[] = "[General]\r\nVersion=65537\r\n";
inline constexpr size_t kFakeBackupBytes = sizeof(kFakeBackupXml) - 1 + sizeof(kFakeGptIni) - 1;

// FakeMessage
//
// One IGPMStatusMessage the fake reports.
struct FakeMessage {
  std::string object_path;
  HRESULT error_code = S_OK;
  std::string extension_name;
  std::string settings_name;
  long operation_code = 0;
  std::string message;
};

// AsyncScript
//
// What the next asynchronous GPMC method does.
struct AsyncScript {
  // Where Status calls come from: a thread of the fake's own (as GPMC's worker threads), or
  // inline, on the caller's thread, before the starting method returns.
  enum class Delivery { kOtherThread, kBeforeReturn };
  Delivery delivery = Delivery::kOtherThread;
  // The starting method's own return; a failure means no asynchronous work at all.
  HRESULT start_hr = S_OK;
  // Progress calls before the final one: i / (progress_steps + 1), hrStatus S_OK.
  int progress_steps = 1;
  // Messages attached to the first progress call (warnings: the operation goes on).
  std::vector<FakeMessage> progress_messages;
  // After the progress calls, wait until IGPMAsyncCancel::Cancel is called.
  bool wait_for_cancel = false;
  // Cancel() itself delivers the final Status, on the caller's thread, before it returns
  // (completion racing the cancel; requires wait_for_cancel).
  bool final_inside_cancel = false;
  // Whether a final Status comes at all (false: the watchdog case).
  bool send_final = true;
  HRESULT final_hr = S_OK;
  std::vector<FakeMessage> final_messages;
  // IGPMResult::OverallStatus's return.
  HRESULT overall_hr = S_OK;
  // Messages in IGPMResult::get_Status.
  std::vector<FakeMessage> result_messages;
  // IGPMAsyncCancel::Cancel's return.
  HRESULT cancel_hr = S_OK;
  // Instead of the final Status: keep the progress object, say nothing until
  // FakeWorld::LetGo(), then (if `late_final`) send a final Status with `late_final_hr`, and
  // let go of the progress object (GPMC still working after the adapter gave up).
  bool hold_until_let_go = false;
  bool late_final = false;
  HRESULT late_final_hr = E_ABORT;
};

// FakeWorld
//
// One test's fake GPMC. Thread-safe. Destroy it only after every fake object is released (the
// test fixture checks `live() == 0` after `JoinThreads()`).
class FakeWorld {
 public:
  FakeWorld();
  ~FakeWorld();
  FakeWorld(const FakeWorld&) = delete;
  FakeWorld& operator=(const FakeWorld&) = delete;

  // The factory to hand to GpmcBackend; `hr` fails it (e.g. REGDB_E_CLASSNOTREG).
  GpmFactory Factory(HRESULT hr = S_OK);

  // Directory contents.
  void AddGpo(const std::string& id, const std::string& name);
  void AddBackupDir(const std::string& dir);
  void AddBackup(const std::string& dir, const std::string& backup_id, const std::string& gpo_id,
                 const std::string& gpo_name);
  bool HasGpo(const std::string& id) const;
  std::string GpoName(const std::string& id) const;
  std::vector<std::string> GposNamed(const std::string& name) const;
  size_t gpo_count() const;

  // The script of every asynchronous call from now on.
  void SetScript(AsyncScript script);
  AsyncScript script() const;

  // Every call the adapter made, in order ("GetGPO({..})", "Cancel", ...).
  std::vector<std::string> calls() const;
  int CountCalls(const std::string& prefix) const;
  void Record(std::string call);

  // Live fake COM objects (every fake class counts itself).
  long live() const { return live_->load(); }
  const std::shared_ptr<std::atomic<long>>& live_counter() const { return live_; }

  // Waits for the fake's delivery threads; unblocks any still waiting for a cancel.
  void JoinThreads();

  // Ends every hold_until_let_go (the delivery threads then finish as scripted).
  void LetGo();

  // Starts an asynchronous call as the script says (used by the fake objects). `result` is the
  // value of the final successful Status (a GPMGPO, GPMBackup or report string).
  HRESULT StartAsync(VARIANT* progress, VARIANT* cancel, IGPMResult** result,
                     const VARIANT* final_result);

  // Directory mutation by the fake objects.
  std::string CreateGpo();
  void RenameGpo(const std::string& id, const std::string& name);
  HRESULT DeleteGpo(const std::string& id);
  bool HasBackupDir(const std::string& dir) const;
  struct BackupData {
    std::string id, dir, gpo_id, gpo_name, comment;
  };
  bool FindBackup(const std::string& dir, const std::string& id, BackupData* out) const;
  std::vector<BackupData> BackupsIn(const std::string& dir) const;
  std::string AddBackupOf(const std::string& dir, const std::string& gpo_id,
                          const std::string& comment);

  // Shared with delivery jobs: set when the world shuts down.
  struct Shutdown;
  const std::shared_ptr<Shutdown>& shutdown() const { return shutdown_; }

 private:
  const std::shared_ptr<std::atomic<long>> live_;
  const std::shared_ptr<Shutdown> shutdown_;
  mutable core::Mutex mu_;
  std::map<std::string, std::string> gpos_ GPOP_GUARDED_BY(mu_);  // id -> display name
  std::vector<std::string> dirs_ GPOP_GUARDED_BY(mu_);
  std::vector<BackupData> backups_ GPOP_GUARDED_BY(mu_);
  AsyncScript script_ GPOP_GUARDED_BY(mu_);
  std::vector<std::string> calls_ GPOP_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ GPOP_GUARDED_BY(mu_);
  int next_id_ GPOP_GUARDED_BY(mu_) = 1;
};

// NewStatusMessages
//
// A fake IGPMStatusMsgCollection holding `messages` (one reference, owned by the caller).
IGPMStatusMsgCollection* NewStatusMessages(FakeWorld* world,
                                           const std::vector<FakeMessage>& messages);

}  // namespace gpop::gpmc::testing

#endif  // GPOP_TESTS_GPMC_FAKE_GPMC_H_
