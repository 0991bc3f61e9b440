// The backup operation (see backup.h).

#include "service/backends/sysvol/ops/backup.h"

#include <chrono>
#include <optional>
#include <set>
#include <vector>

#include "service/backends/sysvol/backup_folder.h"
#include "service/backends/sysvol/format/backup_inst.h"
#include "service/backends/sysvol/format/comments.h"
#include "service/backends/sysvol/format/report_xml.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/gpt_copy.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/ops/op_util.h"
#include "service/backends/sysvol/sync_batch.h"
#include "service/backends/sysvol/txn/backup_publish.h"
#include "service/backends/sysvol/txn/intent_kinds.h"
#include "service/backends/sysvol/txn/staging.h"
#include "service/core/guid.h"

namespace gpop::sysvol {
namespace {

// The GPO's own comment, kept beside Machine/ and User/ as GPMC keeps it.

// Retries of a publish that failed past the commit point (an I/O error on a fsync, the DONE
// mark, the manifest), in recovery mode.
constexpr int kPublishRetries = 2;

// The settings files ReadGptSettings could not parse (`unreadable`, each naming its file in
// metadata "file"): the backup copies their bytes as it copies every file, so it keeps them
// exactly (a safety backup is the undo of the restore or import that repairs them); its report
// leaves their settings out and says so in the side the file is in. One warning per file.
std::vector<core::StatusMessage> KeepUnreadable(const std::vector<core::Error>& unreadable,
                                                const Dir& gpt, const GptTree& tree,
                                                GptSettings* settings) {
  std::vector<core::StatusMessage> out;
  const std::string user_side = JoinDisplay(gpt.display(), tree.user_folder) + "/";
  for (const core::Error& e : unreadable) {
    const std::string& file = e.metadata.at("file");
    const bool user = !tree.user_folder.empty() && file.rfind(user_side, 0) == 0;
    std::string text = e.message +
                       "; the backup keeps the file byte for byte, and its report leaves out "
                       "the file's settings";
    SideSettings& side = user ? settings->user : settings->machine;
    side.problems.push_back(text);
    // Which settings file it is, by its name (ReadGptSettings reports only these three).
    const std::string name = internal::AsciiLower(file.substr(file.find_last_of('/') + 1));
    if (name == "registry.pol") side.kept_unparsed.registry_pol = true;
    if (name == "gpttmpl.inf") side.kept_unparsed.security = true;
    if (name == "audit.csv") side.kept_unparsed.audit = true;
    out.push_back(Warning(file, std::move(text)));
  }
  return out;
}

}  // namespace

core::Outcome RunBackup(const BackendContext& ctx, const std::string& operation_id,
                        const core::BackupSpec& spec, core::ProgressSink& sink,
                        core::CancelToken& cancel) {
  core::Result<GpoEntry> gpo = ctx.store.Resolve(spec.gpo);
  if (!gpo.ok()) return Failed(gpo.error());
  return BackupGpoEntry(ctx, operation_id, *gpo, spec.location, spec.comment, sink, cancel);
}

core::Outcome BackupGpoEntry(const BackendContext& ctx, const std::string& operation_id,
                             const GpoEntry& gpo, const std::string& location_name,
                             const std::string& comment, core::ProgressSink& sink,
                             core::CancelToken& cancel) {
  core::Result<BackupLocation> location = ctx.locations.Resolve(location_name);
  if (!location.ok()) return Failed(location.error());
  if (gpo.gpt_ini_error) return Failed(*gpo.gpt_ini_error);

  // Read and check everything before anything is written.
  core::Result<Dir> policies = ctx.store.OpenPolicies();
  if (!policies.ok()) return Failed(policies.error());
  core::Result<Dir> gpt = ctx.store.OpenGpt(*policies, gpo);
  if (!gpt.ok()) return Failed(gpt.error());
  // A corrupt Registry.pol, GptTmpl.inf or audit.csv does not stop a backup (see
  // KeepUnreadable); a link, a special file or a corrupt GPT.INI does.
  std::vector<core::Error> unreadable;
  core::Result<GptSettings> settings = ReadGptSettings(*gpt, &unreadable);
  if (!settings.ok()) return Failed(settings.error());
  core::Result<GptTree> tree = WalkGptTree(*gpt);
  if (!tree.ok()) return Failed(tree.error());
  if (std::vector<core::StatusMessage> bad = CheckTreeNames(*tree, gpt->display()); !bad.empty()) {
    sink.Messages(bad, std::nullopt);
    return Failed(core::MakeError(
        core::Code::kFailedPrecondition, core::reason::kUnsupported,
        std::to_string(bad.size()) + " file name(s) in " + gpt->display() +
            " cannot be written into a backup (not UTF-8 or control characters): see the "
            "status messages; nothing was written"));
  }
  core::Result<std::optional<DirEntry>> gpo_comment = gpt->FindNoCase(kGpoCommentFile);
  if (!gpo_comment.ok()) return Failed(gpo_comment.error());
  const bool has_comment = *gpo_comment && (*gpo_comment)->type == EntryType::kFile;
  std::vector<core::StatusMessage> warnings = SettingsWarnings(*settings, gpt->display());
  std::vector<core::StatusMessage> kept = KeepUnreadable(unreadable, *gpt, *tree, &*settings);
  warnings.insert(warnings.end(), kept.begin(), kept.end());
  if (!warnings.empty()) sink.Messages(warnings, std::nullopt);
  LoadedAdmx admx = ctx.admx.Load(*policies);
  if (!admx.warnings.empty()) sink.Messages(admx.warnings, std::nullopt);

  core::Result<Dir> loc = BackupLocations::Open(*location, /*create=*/true);
  if (!loc.ok()) return Failed(loc.error());
  const auto now = std::chrono::system_clock::now();
  Intent intent;
  intent.operation_id = operation_id;
  intent.kind = kIntentBackup;
  intent.root = location->name;
  intent.staging = NewStagingName();
  const std::string backup_id = core::NewGuid();
  intent.fields = {{"backup_id", backup_id},
                   {"gpo_guid", gpo.info.guid},
                   {"gpo_display_name", gpo.info.display_name},
                   {"domain", ctx.config.domain},
                   {"comment", comment},
                   {"backup_time", FormatBackupTime(now)}};
  // Not synced on its own: the COMMITTING commit syncs it (the WAL keeps commits in order).
  // Lost in a machine crash before that, it leaves a staging folder no intent owns, which the
  // start-up sweep removes: effects NONE either way.
  if (core::Status s = ctx.metadata.RecordIntent(intent, Durability::kDeferred); !s.ok()) {
    return Failed(s.error());
  }

  // From here every failure removes the staging folder and closes the intent: effects NONE.
  auto abort = [&](core::Error error) {
    (void)RollBackBackup(ctx, intent);
    if (error.code == core::Code::kCancelled) error = CancelledError("backup");
    return Failed(std::move(error));
  };

  // Batched fsyncs: the staged files are written without one fsync each and made durable
  // together, by one syncfs of the location's file system shared with the other backups of the
  // location that get there at the same time (SyncBatch), before the manifest is staged and long
  // before the commit record (so a crash still leaves effects NONE or APPLIED). Where syncfs
  // cannot be trusted every file and folder is fsynced as it is written.
  const FileSync sync = loc->CanSyncFileSystem() ? FileSync::kLater : FileSync::kNow;
  std::optional<SyncBatch::Member> staged_sync;  // joined before the first staged write
  if (sync == FileSync::kLater) {
    core::Result<SyncBatch::Member> m = ctx.locations.FileSystemSync(location->name)->Join(*loc);
    if (!m.ok()) return abort(m.error());
    staged_sync.emplace(std::move(*m));
  }
  core::Result<StagingDirs> dirs = MakeStagingFolder(*loc, intent.staging);
  if (!dirs.ok()) return abort(dirs.error());
  const Dir* const staging_root = &dirs->area;
  const Dir* const staging = &dirs->folder;
  core::Result<Dir> backup_dir = staging->MakeSubdir(backup_id);
  if (!backup_dir.ok()) return abort(backup_dir.error());
  core::Result<Dir> domain_sysvol = backup_dir->MakeSubdir("DomainSysvol");
  if (!domain_sysvol.ok()) return abort(domain_sysvol.error());
  core::Result<Dir> gpo_dir = domain_sysvol->MakeSubdir("GPO");
  if (!gpo_dir.ok()) return abort(gpo_dir.error());

  const int64_t total = static_cast<int64_t>(tree->total_bytes + tree->entries.size()) + 5;
  CopyProgress progress(sink, cancel, total);
  progress.Start();
  if (core::Status s = CopyGptSides(*gpt, *tree, *gpo_dir, progress, nullptr, sync); !s.ok()) {
    return abort(s.error());
  }
  uint64_t bytes_written = tree->total_bytes;  // and each file written below
  if (has_comment) {
    bytes_written += (*gpo_comment)->size;
    core::Status s = gpt->CopyFileTo((*gpo_comment)->name, *gpo_dir, kGpoCommentFile,
                                     [&](uint64_t) { return !progress.Cancelled(); }, sync);
    if (!s.ok()) return abort(s.error());
  }
  progress.Advance(1);

  // Backup.xml, bkupInfo.xml and gpreport.xml.
  BackupSource source;
  source.gpo_guid = gpo.info.guid;
  source.domain = ctx.config.domain;
  source.domain_controller = ctx.domain_controller;
  source.display_name = gpo.info.display_name;
  source.flags = gpo.info.flags;
  source.version = gpo.info.version;
  source.sysvol_version = gpo.sysvol_version;
  source.machine_extension_guids =
      gpo.has_metadata ? gpo.machine_extension_guids : DerivedExtensionGuids(*settings, true);
  source.user_extension_guids =
      gpo.has_metadata ? gpo.user_extension_guids : DerivedExtensionGuids(*settings, false);
  source.security_descriptor = gpo.security_descriptor;
  source.has_gpo_comment = has_comment;
  BackupXml backup_xml = MakeBackupXml(
      source, *tree, settings->machine.security ? &*settings->machine.security : nullptr);
  const std::string backup_xml_text = WriteBackupXml(backup_xml);
  if (core::Status s = backup_dir->WriteFile(kBackupXmlFile, backup_xml_text, sync); !s.ok()) {
    return abort(s.error());
  }
  bytes_written += backup_xml_text.size();
  progress.Advance(1);

  BackupInst inst;
  inst.gpo_guid = gpo.info.guid;
  inst.gpo_domain = ctx.config.domain;
  inst.gpo_domain_guid = ctx.config.domain_guid;
  inst.gpo_domain_controller = ctx.domain_controller;
  inst.backup_time = intent.fields["backup_time"];
  inst.id = backup_id;
  inst.comment = comment;
  inst.gpo_display_name = gpo.info.display_name;
  const std::string bkup_info_text = WriteBkupInfo(inst);
  if (core::Status s = backup_dir->WriteFile(kBkupInfoFile, bkup_info_text, sync); !s.ok()) {
    return abort(s.error());
  }
  bytes_written += bkup_info_text.size();
  progress.Advance(1);

  ReportIdentity identity;
  identity.guid = gpo.info.guid;
  identity.domain = ctx.config.domain;
  identity.name = gpo.info.display_name;
  identity.created_time = TimeText(gpo.info.created);
  identity.modified_time = TimeText(gpo.info.modified);
  identity.read_time = FormatBackupTime(now);
  identity.directory_version = gpo.info.version;
  identity.sysvol_version = gpo.sysvol_version;
  identity.flags = gpo.info.flags;
  // Its RegistrySettings written straight from the parsed entries (`settings` outlives it).
  Report report =
      MakeReport(identity, *settings, admx.catalog.get(), /*registry_by_reference=*/true);
  // Streamed into the file in pieces: a registry-heavy GPO's report is many megabytes.
  bool report_text_valid = true;
  uint64_t report_bytes = 0;
  core::Status report_written = backup_dir->WriteFileFrom(
      kGpReportFile,
      [&](const Dir::PieceWriter& write) {
        core::Status written;
        report_text_valid = WriteReportXmlUtf16To(report, [&](std::string_view piece) {
          written = write(piece);
          report_bytes += piece.size();
          return written.ok();
        });
        return written;
      },
      sync);
  // As WriteReportXmlUtf16 does, text that is not UTF-8 (no parser lets it through) leaves an
  // empty report.
  if (report_written.ok() && !report_text_valid) {
    report_written = backup_dir->WriteFile(kGpReportFile, "", sync);
    report_bytes = 0;
  }
  if (!report_written.ok()) return abort(report_written.error());
  bytes_written += report_bytes;
  progress.Advance(1);
  if (progress.Cancelled()) return abort(CancelledError("backup"));

  // Make the staged tree durable: all of it at once, or the rest of it (the copied folders
  // already are), the staging folder's entry for the backup folder and the staging area's entry
  // for the staging folder included, before the location's lock is taken: under the lock only
  // the manifest's own file is left to fsync (its entry in the staging folder need not be
  // durable: recovery rebuilds the manifest from the folders).
  // (syncfs covers the staging area's entry too: it was made before the syncfs.)
  if (sync == FileSync::kLater) {
    if (core::Status s = staged_sync->Flush(); !s.ok()) return abort(s.error());
    staged_sync.reset();
  } else {
    const Dir* const folders[] = {&*gpo_dir, &*domain_sysvol, &*backup_dir, staging, staging_root};
    for (const Dir* d : folders) {
      if (core::Status s = d->Sync(); !s.ok()) return abort(s.error());
    }
  }

  // The location's fsync of the two renames is shared too: joined before they are made.
  core::Result<SyncBatch::Member> renames_sync =
      ctx.locations.FolderSync(location->name)->Join(*loc);
  if (!renames_sync.ok()) return abort(renames_sync.error());
  bool crashed = false;
  core::Status published;
  // The manifest is computed and published under the location's lock; the location's fsync of
  // both renames, the intent's DONE mark and the staging folder's removal come after the lock is
  // released (FinishBackup), so that backups of one location wait for each other only for the
  // manifest's fsync, the commit record and the two renames.
  bool finish_unlocked = false;
  {
    core::MutexLock location_lock(ctx.locations.Mutex(location->name));
    LocationIndex& index = *ctx.locations.Index(location->name);
    bool corrupt = false;
    core::Result<Manifest> current = index.ReadManifest(*loc, &corrupt);
    if (!current.ok()) return abort(current.error());
    std::vector<std::string> skipped;
    std::set<std::string> unreadable;
    core::Result<std::vector<ScannedBackup>> scanned = index.Backups(*loc, &skipped, &unreadable);
    if (!scanned.ok()) return abort(scanned.error());
    Manifest manifest = ReconcileManifest(*current, *scanned, unreadable);
    manifest.backups.push_back(inst);
    if (core::Status s = staging->WriteFile(kManifestFile, WriteManifest(manifest)); !s.ok()) {
      return abort(s.error());
    }
    progress.Advance(1);
    if (ctx.faults.Fault(FaultPoint::kAfterStaging)) return InjectedCrash();

    // The commit point.
    if (!cancel.BeginCommit()) return abort(CancelledError("backup"));
    if (core::Status s = ctx.metadata.SetIntentState(intent.operation_id, IntentState::kCommitting);
        !s.ok()) {
      return abort(s.error());
    }
    intent.state = IntentState::kCommitting;
    if (ctx.faults.Fault(FaultPoint::kAfterCommitRecord)) return InjectedCrash();
    const FileStamp before_publish = LocationIndex::StampBeforePublish(*loc);
    published =
        RollForwardBackup(ctx, intent, /*staged_manifest=*/true, &crashed, PublishEnd::kPublished);
    if (crashed) {
      index.Invalidate();
      return InjectedCrash();
    }
    if (published.ok()) {
      index.NotePublished(*loc, before_publish, backup_id, inst, &manifest);
      finish_unlocked = true;
    } else {
      index.Invalidate();
    }
    // Past the commit point the backup must be finished, not abandoned: retry as recovery would.
    for (int i = 0; i < kPublishRetries && !published.ok(); ++i) {
      published = RollForwardBackup(ctx, intent, /*staged_manifest=*/true, &crashed);
      if (crashed) return InjectedCrash();
    }
  }  // the location's lock
  if (finish_unlocked) {
    published = FinishBackup(ctx, intent, &*renames_sync);
    // A failed fsync or DONE mark is retried as a failed publish is (under the lock: the retry
    // fsyncs the location and rebuilds the manifest if it has to).
    for (int i = 0; i < kPublishRetries && !published.ok(); ++i) {
      core::MutexLock location_lock(ctx.locations.Mutex(location->name));
      published = RollForwardBackup(ctx, intent, /*staged_manifest=*/true, &crashed);
      if (crashed) return InjectedCrash();
    }
  }
  core::Outcome out;
  core::BackupInfo info = BackupInfoFromIntent(intent);
  info.bytes_written = bytes_written;
  out.result = std::move(info);
  if (!published.ok()) {
    if (!BackupPublished(ctx, intent)) {
      // The intent stays COMMITTING: the next start publishes it.
      return Failed(published.error(), core::Effects::kUnknown);
    }
    // The backup is there and listed (listings read the folders); what failed is bookkeeping
    // that the next start finishes.
    sink.Messages(
        {Warning(location->name + "/" + backup_id,
                 "the backup is published, but finishing its bookkeeping failed (" +
                     published.error().message + "); gpop completes it at the next start")},
        std::nullopt);
  }
  out.effects = core::Effects::kApplied;
  return out;
}

core::Result<std::string> TakeSafetyBackup(const BackendContext& ctx,
                                           const std::string& operation_id, const GpoEntry& gpo,
                                           const std::string& location, const std::string& why,
                                           core::ProgressSink& sink, core::Effects* effects) {
  // Progress of the safety backup is not the operation's: only its messages go through.
  class MessagesOnly : public core::ProgressSink {
   public:
    explicit MessagesOnly(core::ProgressSink& to) : to_(to) {}
    void Progress(int64_t, int64_t) override {}
    void Messages(std::vector<core::StatusMessage> m, std::optional<uint32_t> h) override {
      to_.Messages(std::move(m), h);
    }

   private:
    core::ProgressSink& to_;
  } messages(sink);
  core::CancelToken own;
  core::Outcome out = BackupGpoEntry(ctx, operation_id + ".safety", gpo, location,
                                     "gpop safety backup: " + why, messages, own);
  *effects = out.effects;
  if (out.error) {
    core::Error e = *out.error;
    e.message = "the safety backup of " + gpo.info.guid +
                " failed, so the GPO was not changed: " + e.message;
    return e;
  }
  return std::get<core::BackupInfo>(out.result).backup_id;
}

}  // namespace gpop::sysvol
