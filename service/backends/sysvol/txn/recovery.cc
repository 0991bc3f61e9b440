// Recovery dispatch on the intent's kind (see recovery.h).

#include "service/backends/sysvol/txn/recovery.h"

#include <cstdio>
#include <set>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/txn/backup_publish.h"
#include "service/backends/sysvol/txn/gpo_publish.h"
#include "service/backends/sysvol/txn/intent_kinds.h"
#include "service/backends/sysvol/txn/staging.h"

namespace gpop::sysvol {
namespace {

namespace fs = std::filesystem;

core::Outcome Unresolved(core::Error error) {
  core::Outcome out;
  out.error = std::move(error);
  out.effects = core::Effects::kUnknown;
  return out;
}

core::Outcome Applied(core::OperationResult result) {
  core::Outcome out;
  out.effects = core::Effects::kApplied;
  out.result = std::move(result);
  return out;
}

// The publish code of one intent kind.
struct KindHandler {
  core::Status (*roll_forward)(const BackendContext&, const Intent&, bool* crashed);
  core::Status (*roll_back)(const BackendContext&, const Intent&);
  core::OperationResult (*result)(const Intent&);
};

const KindHandler* HandlerFor(const std::string& kind) {
  static const KindHandler kBackup = {
      [](const BackendContext& ctx, const Intent& i, bool* crashed) {
        return RollForwardBackup(ctx, i, /*staged_manifest=*/false, crashed);
      },
      RollBackBackup,
      [](const Intent& i) { return core::OperationResult(BackupInfoFromIntent(i)); }};
  static const KindHandler kGpoWrite = {RollForwardGpoWrite, RollBackGpoWrite, [](const Intent& i) {
                                          core::GpoInfo info = GpoInfoFromIntent(i);
                                          auto it = i.fields.find("safety_backup_id");
                                          if (it != i.fields.end())
                                            info.safety_backup_id = it->second;
                                          return core::OperationResult(info);
                                        }};
  if (kind == kIntentBackup) return &kBackup;
  if (kind == kIntentGpoWrite) return &kGpoWrite;
  return nullptr;
}

}  // namespace

std::optional<core::Outcome> RecoverIntent(const BackendContext& ctx,
                                           const std::string& operation_id) {
  core::Result<std::optional<Intent>> intent = ctx.metadata.GetIntent(operation_id);
  if (!intent.ok()) return Unresolved(intent.error());
  if (!*intent) return std::nullopt;
  const Intent& i = **intent;
  if (i.state == IntentState::kRolledBack) return std::nullopt;
  const KindHandler* handler = HandlerFor(i.kind);
  if (handler == nullptr) {
    return Unresolved(
        core::MakeError(core::Code::kInternal, core::reason::kInternal,
                        "operation " + operation_id + " left an intent of unknown kind \"" +
                            i.kind + "\"; it is left as it is (a newer gpop may have written it)"));
  }
  switch (i.state) {
    case IntentState::kDone:
      return Applied(handler->result(i));
    case IntentState::kRolledBack:
      return std::nullopt;
    case IntentState::kStaging:
      // Nothing was published; a staging folder that cannot be removed now is removed at the
      // next start.
      (void)handler->roll_back(ctx, i);
      return std::nullopt;
    case IntentState::kCommitting: {
      bool crashed = false;
      if (core::Status s = handler->roll_forward(ctx, i, &crashed); !s.ok()) {
        return Unresolved(s.error());
      }
      return Applied(handler->result(i));
    }
  }
  return std::nullopt;
}

core::Result<std::vector<std::string>> ResolveAllLeftovers(const BackendContext& ctx) {
  core::Result<std::vector<Intent>> open = ctx.metadata.OpenIntents();
  if (!open.ok()) return open.error();
  std::vector<std::string> resolved;
  std::set<std::string> unresolved_roots;
  for (const Intent& intent : *open) {
    std::optional<core::Outcome> out = RecoverIntent(ctx, intent.operation_id);
    if (out && out->error) {
      // One intent that cannot be resolved now (its location was removed from the
      // configuration, an operator deleted its staging folder, an I/O error) must not keep the
      // server from starting: it stays open, is reported, and is tried again at the next start.
      std::fprintf(stderr, "gpop sysvol: cannot resolve the interrupted operation %s: %s\n",
                   intent.operation_id.c_str(), out->error->message.c_str());
      unresolved_roots.insert(intent.root);
      continue;
    }
    resolved.push_back(intent.operation_id);
  }
  // Every staging folder and temporary manifest that no open intent owns is garbage.
  if (unresolved_roots.count("policies") == 0) {
    core::Result<Dir> policies = ctx.store.OpenPolicies();
    if (!policies.ok()) return policies.error();
    if (core::Status s = RemoveAllStaging(*policies); !s.ok()) return s.error();
  }
  for (const auto& [name, path] : ctx.locations.all()) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    if (unresolved_roots.count(name) > 0) continue;  // intent.root is the location name
    core::Result<Dir> loc = BackupLocations::Open(BackupLocation{name, path});
    if (!loc.ok()) return loc.error();
    // An upload's staging folder may hold backups its open publish journal still moves in:
    // the upload store resolves and removes those (kUploadStagingPrefix).
    if (core::Status s = RemoveAllStaging(*loc, kUploadStagingPrefix); !s.ok()) return s.error();
    core::Result<std::vector<DirEntry>> entries = loc->List();
    if (!entries.ok()) return entries.error();
    for (const DirEntry& e : *entries) {
      if (e.type == EntryType::kFile && e.name.rfind(".manifest.xml.tmp-", 0) == 0) {
        (void)loc->RemoveTree(e.name);
      }
    }
    // A manifest that a stopped writer left behind its folders (an upload killed between its
    // renames and its manifest write, which the upload store then finishes; a manifest removed
    // or edited by hand) is brought in step with the folder now, under the location's lock, as
    // a backup publishes it. A failure to write it does not keep the server from starting: the
    // next backup, listing or upload repairs it again.
    core::MutexLock lock(ctx.locations.Mutex(name));
    if (core::Status s = RepairManifestLocked(*loc, *ctx.locations.Index(name)); !s.ok()) {
      std::fprintf(stderr, "gpop sysvol: cannot repair manifest.xml of backup location %s: %s\n",
                   name.c_str(), s.error().message.c_str());
    }
  }
  return resolved;
}

}  // namespace gpop::sysvol
