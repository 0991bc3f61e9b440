// Publishing a staged GPT (see gpo_publish.h).

#include "service/backends/sysvol/txn/gpo_publish.h"

#include <chrono>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/backup_xml.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/txn/staging.h"
#include "service/core/guid.h"

namespace gpop::sysvol {
namespace {

std::string Field(const Intent& intent, const char* key) {
  auto it = intent.fields.find(key);
  return it == intent.fields.end() ? std::string() : it->second;
}

int64_t Number(const Intent& intent, const char* key) {
  return internal::ParseInt64(Field(intent, key)).value_or(0);
}

core::Error InjectedFault() {
  return core::MakeError(core::Code::kInternal, core::reason::kInternal, "injected fault");
}

core::Error InjectedIoError() {
  return core::MakeError(core::Code::kInternal, core::reason::kIoError, "injected I/O error");
}

}  // namespace

std::map<std::string, std::string> GpoIntentFields(const GpoMetadata& gpo) {
  return {{"gpo_guid", gpo.guid},
          {"display_name", gpo.display_name},
          {"flags", std::to_string(gpo.flags)},
          {"version", std::to_string(gpo.version)},
          {"machine_extension_guids", gpo.machine_extension_guids},
          {"user_extension_guids", gpo.user_extension_guids},
          {"created_ms", std::to_string(gpo.created_ms)},
          {"modified_ms", std::to_string(gpo.modified_ms)},
          {"security_descriptor", FormatHexBytes(gpo.security_descriptor)}};
}

namespace {

// Every field but the security descriptor.
GpoMetadata ContainerFields(const Intent& intent) {
  GpoMetadata g;
  g.guid = Field(intent, "gpo_guid");
  g.display_name = Field(intent, "display_name");
  g.flags = static_cast<uint32_t>(Number(intent, "flags"));
  g.version = static_cast<uint32_t>(Number(intent, "version"));
  g.machine_extension_guids = Field(intent, "machine_extension_guids");
  g.user_extension_guids = Field(intent, "user_extension_guids");
  g.created_ms = Number(intent, "created_ms");
  g.modified_ms = Number(intent, "modified_ms");
  return g;
}

}  // namespace

core::Result<GpoMetadata> GpoMetadataFromIntent(const Intent& intent) {
  GpoMetadata g = ContainerFields(intent);
  // Hex bytes; an intent recorded before the field existed has none (an empty descriptor). One
  // that is there but unreadable must not publish the GPO without its permissions.
  core::Result<std::string> sd = ParseHexBytes(Field(intent, "security_descriptor"), "intent");
  if (!sd.ok()) {
    return core::MakeError(core::Code::kDataLoss, core::reason::kCorruptFile,
                           "the intent of operation " + intent.operation_id +
                               " holds an unreadable security descriptor (" + sd.error().message +
                               "); it is left for an operator");
  }
  g.security_descriptor = std::move(*sd);
  return g;
}

core::GpoInfo GpoInfoFromIntent(const Intent& intent) {
  GpoMetadata g = ContainerFields(intent);
  core::GpoInfo info;
  info.guid = g.guid;
  info.display_name = g.display_name;
  info.domain = Field(intent, "domain");
  info.version = g.version;
  info.flags = g.flags;
  info.created = std::chrono::system_clock::time_point(std::chrono::milliseconds(g.created_ms));
  info.modified = std::chrono::system_clock::time_point(std::chrono::milliseconds(g.modified_ms));
  return info;
}

core::Status RollForwardGpoWrite(const BackendContext& ctx, const Intent& intent, bool* crashed) {
  *crashed = false;
  std::optional<std::string> guid = core::NormalizeGuid(Field(intent, "gpo_guid"));
  if (!guid) {
    return core::MakeError(core::Code::kInternal, core::reason::kInternal,
                           "intent " + intent.operation_id + " names no GPO");
  }
  // Checked before anything moves, so that an unreadable intent stays as it is.
  core::Result<GpoMetadata> meta = GpoMetadataFromIntent(intent);
  if (!meta.ok()) return meta.error();
  meta->guid = *guid;
  core::Result<Dir> policies = ctx.store.OpenPolicies();
  if (!policies.ok()) return policies.error();
  core::Result<Dir> staging_root = policies->MakeSubdir(kStagingFolder);
  if (!staging_root.ok()) return staging_root.error();
  std::optional<Dir> staging;
  if (staging_root->Exists(intent.staging)) {
    core::Result<Dir> s = staging_root->OpenSubdir(intent.staging);
    if (!s.ok()) return s.error();
    staging = std::move(*s);
  }
  // The live folder may be in another case than the GUID's canonical one.
  core::Result<std::optional<DirEntry>> live = policies->FindNoCase(*guid);
  if (!live.ok()) return live.error();

  if (staging && staging->Exists(kStagedNewGpt)) {
    if (*live) {
      if (staging->Exists(kStagedOldGpt)) {
        return core::MakeError(core::Code::kDataLoss, core::reason::kIoError,
                               "GPO " + *guid + " of operation " + intent.operation_id +
                                   " has a live, an old and a new GPT; left for an operator");
      }
      if (core::Status s = policies->RenameTo((*live)->name, *staging, kStagedOldGpt, true);
          !s.ok()) {
        return s;
      }
    }
    if (core::Status s = staging->RenameTo(kStagedNewGpt, *policies, *guid, true); !s.ok()) {
      return s;
    }
    if (core::Status s = staging->Sync(); !s.ok()) return s;
  } else if (!*live) {
    return core::MakeError(core::Code::kDataLoss, core::reason::kIoError,
                           "the new GPT of " + *guid + " (operation " + intent.operation_id +
                               ") is neither staged nor published");
  }
  if (core::Status s = policies->Sync(); !s.ok()) return s;
  if (ctx.faults.Fault(FaultPoint::kAfterBackupRename)) {
    *crashed = true;
    return InjectedFault();
  }
  if (ctx.faults.IoError(FaultPoint::kAfterBackupRename)) return InjectedIoError();
  if (core::Status s = ctx.metadata.PutGpo(*meta); !s.ok()) return s;
  if (ctx.faults.Fault(FaultPoint::kAfterManifestRename)) {
    *crashed = true;
    return InjectedFault();
  }
  if (ctx.faults.IoError(FaultPoint::kAfterManifestRename)) return InjectedIoError();
  if (core::Status s = ctx.metadata.SetIntentState(intent.operation_id, IntentState::kDone);
      !s.ok()) {
    return s;
  }
  // The old GPT and the staging folder are garbage now; removed at the next start otherwise.
  (void)RemoveStaging(*policies, intent.staging);
  return core::Status();
}

bool GpoWritePublished(const BackendContext& ctx, const Intent& intent) {
  std::optional<std::string> guid = core::NormalizeGuid(Field(intent, "gpo_guid"));
  if (!guid) return false;
  core::Result<Dir> policies = ctx.store.OpenPolicies();
  if (!policies.ok()) return false;
  core::Result<std::optional<DirEntry>> live = policies->FindNoCase(*guid);
  if (!live.ok() || !*live) return false;
  // The new GPT is no longer staged: it is the live one.
  core::Result<std::optional<DirEntry>> staging_root = policies->FindNoCase(kStagingFolder);
  if (!staging_root.ok()) return false;
  if (!*staging_root) return true;
  core::Result<Dir> root = policies->OpenSubdir((*staging_root)->name);
  if (!root.ok()) return false;
  if (!root->Exists(intent.staging)) return true;
  core::Result<Dir> staging = root->OpenSubdir(intent.staging);
  return staging.ok() && !staging->Exists(kStagedNewGpt);
}

core::Status RollBackGpoWrite(const BackendContext& ctx, const Intent& intent) {
  if (core::Result<Dir> policies = ctx.store.OpenPolicies(); policies.ok()) {
    if (core::Status s = RemoveStaging(*policies, intent.staging); !s.ok()) return s;
  }
  return ctx.metadata.SetIntentState(intent.operation_id, IntentState::kRolledBack);
}

}  // namespace gpop::sysvol
