// gpop.v1 calls without a transport (see operations_api.h).

#include "service/api/operations_api.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <variant>

#include "service/api/audit_entries.h"
#include "service/api/auth/authenticator.h"
#include "service/api/conversion.h"
#include "service/api/log.h"
#include "service/api/status_mapping.h"
#include "service/api/visible_cursor.h"
#include "service/core/guid.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

bool SameGuid(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

OperationsApi::OperationsApi(engine::Engine* engine, core::Backend* backend, ServiceOptions options)
    : engine_(engine),
      backend_(backend),
      options_(options),
      page_tokens_(options.page_token_key),
      gpo_catalog_(backend) {
  // Created whenever there is a clock: a principal's own rate applies even when the server's
  // is unlimited.
  if (options_.clock != nullptr) {
    start_rate_ = std::make_unique<RateLimiter>(options_.clock, options_.start_rate_per_minute,
                                                options_.start_burst);
  }
}

std::vector<core::GpoRef> OperationsApi::BackupGpos(const std::string& location,
                                                    const std::vector<std::string>& backup_ids) {
  std::vector<core::GpoRef> out;
  std::vector<const std::string*> missing;
  {
    core::MutexLock lock(&backups_mu_);
    for (const std::string& id : backup_ids) {
      auto it = backup_gpos_.find({location, core::NormalizeGuid(id).value_or(id)});
      if (it != backup_gpos_.end()) {
        out.push_back(it->second);
      } else {
        missing.push_back(&id);
      }
    }
  }
  if (missing.empty()) return out;
  core::Backend::BackupQuery query;
  query.location = location;
  core::Result<std::vector<core::BackupInfo>> backups = backend_->ListBackups(query);
  if (!backups.ok()) return out;
  core::MutexLock lock(&backups_mu_);
  // A backup's GPO never changes (its id names one backup): what a listing said stays true.
  if (backup_gpos_.size() + backups->size() > kMaxCachedBackups) backup_gpos_.clear();
  for (const core::BackupInfo& info : *backups) {
    backup_gpos_[{location, core::NormalizeGuid(info.backup_id).value_or(info.backup_id)}] =
        core::GpoRef{info.gpo_guid, info.gpo_display_name};
  }
  for (const std::string* id : missing) {
    for (const core::BackupInfo& info : *backups) {
      if (SameGuid(info.backup_id, *id)) {
        out.push_back(core::GpoRef{info.gpo_guid, info.gpo_display_name});
      }
    }
  }
  return out;
}

std::vector<core::GpoRef> OperationsApi::ResolvedGpos(const core::OperationSpec& spec,
                                                      bool with_versions,
                                                      GpoCatalog::Listing* known) {
  std::vector<core::GpoRef> gpos = GposNamedBy(spec);
  // A restored backup, or a reported one, touches the GPO it was taken of.
  const core::BackupRef* backup = nullptr;
  if (const auto* restore = std::get_if<core::RestoreSpec>(&spec)) backup = &restore->backup;
  if (const auto* report = std::get_if<core::ReportSpec>(&spec)) {
    backup = std::get_if<core::BackupRef>(&report->subject);
  }
  if (backup != nullptr) {
    for (core::GpoRef& gpo : BackupGpos(backup->location, {backup->backup_id})) {
      gpos.push_back(std::move(gpo));
    }
  }
  // An import set imports each backup into the GPO named as the backup's GPO (created when
  // none is): its targets are those display names (resolved to GUIDs below when they exist),
  // so that the grants and the default-domain rule apply to each as to one import.
  if (const auto* set = std::get_if<core::ImportSetSpec>(&spec)) {
    for (const core::GpoRef& gpo : BackupGpos(set->location, set->backup_ids)) {
      gpos.push_back(core::GpoRef{"", gpo.display_name});
    }
  }
  // Name every GPO both ways when the backend knows it, so that GUID grants match operations
  // naming a GPO by display name and the other way round. An unknown GPO keeps only the form
  // the request gave (it fails closed against grants of the other form).
  bool incomplete = with_versions && !gpos.empty();
  for (const core::GpoRef& gpo : gpos) incomplete |= gpo.guid.empty() || gpo.display_name.empty();
  if (!incomplete) return gpos;
  core::Result<GpoCatalog::Listing> listed = gpo_catalog_.Get();
  if (!listed.ok()) return gpos;
  for (core::GpoRef& gpo : gpos) {
    for (const core::GpoInfo& info : **listed) {
      if (gpo.guid.empty() && !gpo.display_name.empty() && info.display_name == gpo.display_name) {
        gpo.guid = info.guid;
      } else if (gpo.display_name.empty() && SameGuid(gpo.guid, info.guid)) {
        gpo.display_name = info.display_name;
      }
    }
  }
  if (known != nullptr) *known = *std::move(listed);
  return gpos;
}

OperationScope OperationsApi::StartScope(const engine::StartRequest& start,
                                         GpoCatalog::Listing* known) {
  OperationScope scope;
  scope.kind = core::KindOf(start.spec);
  scope.labels = start.labels;
  scope.owner = start.principal;
  // The audit log records every GPO's version before the operation, so it always reads them.
  scope.gpos = ResolvedGpos(start.spec, options_.audit_log != nullptr, known);
  return scope;
}

std::vector<v1::AuditGpo> OperationsApi::CallGpos(const engine::OperationRecord& record) {
  if (options_.audit_log == nullptr) return {};
  return AuditGposOf(ResolvedGpos(record.spec, /*with_versions=*/false, nullptr), {});
}

OperationScope OperationsApi::RecordScope(const Principal& caller,
                                          const engine::OperationRecord& record) {
  OperationScope scope = ScopeOf(record);
  // Only GPO-scoped grants look at the GPOs: spare the others the backend's listings.
  const bool gpo_scoped = std::any_of(caller.grants.begin(), caller.grants.end(),
                                      [](const Grant& grant) { return !grant.gpos.empty(); });
  if (gpo_scoped) scope.gpos = ResolvedGpos(record.spec, /*with_versions=*/false, nullptr);
  return scope;
}

engine::Time OperationsApi::Now() const {
  return options_.clock != nullptr ? options_.clock->Now() : std::chrono::system_clock::now();
}

void OperationsApi::Audit(v1::AuditEntry entry, const LogTags& tags) {
  if (options_.audit_log == nullptr) return;
  if (absl::Status s = options_.audit_log->Append(&entry); !s.ok()) {
    Log(LogLevel::kError, tags,
        std::string("audit entry ") + v1::AuditAction_Name(entry.action()) +
            " not written: " + s.ToString());
  }
}

absl::StatusOr<engine::OperationRecord> OperationsApi::AuthorizedRecord(const Principal& caller,
                                                                        const std::string& id,
                                                                        Action action) {
  // Outside its view a caller learns nothing: an unknown id and an operation it may not see get
  // the same answer. Within its view the refusal says what is missing.
  auto hidden = [&] {
    Log(LogLevel::kInfo, LogTags{id, "", caller.name},
        std::string(ActionName(action)) + " refused: not visible to the principal");
    return engine::MakeStatus(core::Code::kPermissionDenied, reason::kPermissionDenied,
                              "principal " + caller.name + " may not " + ActionName(action) +
                                  " operation " + id +
                                  " (outside its grants, or no such operation)",
                              {{"action", ActionName(action)}, {"principal", caller.name}});
  };
  absl::StatusOr<engine::OperationRecord> record = engine_->Get(caller.name, id);
  if (!record.ok()) {
    if (absl::IsNotFound(record.status()) && !SeesEverything(caller)) return hidden();
    return record.status();
  }
  OperationScope scope = RecordScope(caller, *record);
  if (!Authorize(caller, Action::kView, scope).ok()) return hidden();
  if (action == Action::kView) return record;
  if (absl::Status s = Authorize(caller, action, scope); !s.ok()) {
    Log(LogLevel::kInfo, LogTags{id, "", caller.name},
        std::string(ActionName(action)) + " refused: " + std::string(s.message()));
    return s;
  }
  return record;
}

struct OperationsApi::PreparedStart {
  std::string principal;
  v1::StartOperationRequest request;  // the START entry's builder reads it
  engine::StartRequest start;
  LogTags tags;
  std::vector<v1::AuditGpo> audit_gpos;
  // Last declared, first destroyed: withdrawn before `request` goes.
  std::unique_ptr<audit::AuditLog::StartTicket> ticket;
};

absl::StatusOr<std::shared_ptr<OperationsApi::PreparedStart>> OperationsApi::PrepareStart(
    const Principal& caller, v1::StartOperationRequest request) {
  auto prepared = std::make_shared<PreparedStart>();
  prepared->principal = caller.name;
  prepared->request = std::move(request);
  LogTags& tags = prepared->tags;
  tags = LogTags{"", prepared->request.request_id(), caller.name};
  absl::StatusOr<engine::StartRequest> start =
      StartRequestFromProto(prepared->request, caller.name, options_.max_timeout, backend_);
  if (!start.ok()) {
    Log(LogLevel::kInfo, tags, "start refused: " + std::string(start.status().message()));
    return start.status();
  }
  prepared->start = *std::move(start);
  GpoCatalog::Listing known;
  const OperationScope scope = StartScope(prepared->start, &known);
  if (absl::Status s = Authorize(caller, Action::kStart, scope); !s.ok()) {
    Log(LogLevel::kInfo, tags, "start refused: " + std::string(s.message()));
    return s;
  }
  if (start_rate_ != nullptr) {
    if (std::optional<engine::Duration> wait =
            start_rate_->Take(caller.name, caller.starts_per_minute)) {
      int64_t ms = std::max<int64_t>(
          1, std::chrono::duration_cast<std::chrono::milliseconds>(*wait).count());
      Log(LogLevel::kInfo, tags, "start refused: rate limited");
      return engine::MakeStatus(core::Code::kResourceExhausted, kStartRateLimited,
                                "principal " + caller.name +
                                    " starts operations too fast; retry in " + std::to_string(ms) +
                                    " ms",
                                {{kRetryDelayMetadata, std::to_string(ms)}});
    }
  }
  // The START entry rides in the commit that creates the operation, when the log can do that.
  // The builder runs on the committing thread while the engine's Start is under way; the
  // ticket withdraws it when `prepared` goes.
  if (options_.audit_log != nullptr) {
    prepared->audit_gpos =
        AuditGposOf(scope.gpos, known != nullptr ? *known : std::vector<core::GpoInfo>{});
    PreparedStart* p = prepared.get();
    prepared->ticket = options_.audit_log->ExpectStart(
        caller.name, p->start.request_id, p->start.fingerprint,
        [p](const engine::OperationRecord& created) {
          return StartEntry(p->principal, created, p->request, p->audit_gpos);
        });
  }
  return prepared;
}

bool OperationsApi::FinishMayBlock(PreparedStart& prepared, const engine::OperationRecord& record) {
  // A log with tickets writes with the store's commits: its Append waits for one.
  return options_.audit_log != nullptr && prepared.ticket != nullptr &&
         !prepared.ticket->WrittenFor(record.id);
}

absl::StatusOr<v1::Operation> OperationsApi::FinishStart(
    PreparedStart& prepared, absl::StatusOr<engine::OperationRecord> record) {
  LogTags& tags = prepared.tags;
  if (!record.ok()) {
    Log(LogLevel::kInfo, tags, "start refused: " + std::string(record.status().message()));
    return record.status();
  }
  tags.operation_id = record->id;
  Log(LogLevel::kInfo, tags,
      std::string("start ") + core::KindName(record->kind) + ": " + core::StateName(record->state));
  if (options_.audit_log != nullptr &&
      (prepared.ticket == nullptr || !prepared.ticket->WrittenFor(record->id))) {
    // Without a request_id the operation is this call's own, new: no other call can have
    // written its entry.
    if (prepared.start.request_id.empty()) {
      Audit(StartEntry(prepared.principal, *record, prepared.request, prepared.audit_gpos), tags);
      v1::Operation response;
      OperationToProto(*record, &response);
      return response;
    }
    // A retry of the same request_id returns the operation already started (and audited).
    // Looked up and appended under one lock: two concurrent calls with the same request_id
    // answer the same operation, and only one of them may write its entry.
    core::MutexLock lock(&start_audit_mu_);
    audit::AuditQuery started;
    started.operation_id = record->id;
    started.action = v1::AUDIT_ACTION_START;
    started.limit = 1;
    absl::StatusOr<std::vector<v1::AuditEntry>> previous = options_.audit_log->List(started);
    if (!previous.ok() || previous->empty()) {
      Audit(StartEntry(prepared.principal, *record, prepared.request, prepared.audit_gpos), tags);
    }
  }
  v1::Operation response;
  OperationToProto(*record, &response);
  return response;
}

absl::StatusOr<v1::Operation> OperationsApi::StartOperation(
    const Principal& caller, const v1::StartOperationRequest& request) {
  absl::StatusOr<std::shared_ptr<PreparedStart>> prepared = PrepareStart(caller, request);
  if (!prepared.ok()) return prepared.status();
  return FinishStart(**prepared, engine_->Start((*prepared)->start));
}

bool OperationsApi::PrepareMayBlock(const v1::StartOperationRequest& request) {
  // A restored or reported backup, or an import set, is resolved to its GPOs through the
  // backups' listing (cached per backup id, but a miss lists the location).
  const v1::OperationSpec& spec = request.spec();
  if (spec.has_restore() || spec.has_import_set() ||
      (spec.has_report() && spec.report().has_backup())) {
    return true;
  }
  // The GPO listing is read for the audit log's versions, and to name GPOs both ways.
  return !gpo_catalog_.Current();
}

void OperationsApi::StartOperationAsync(const Principal& caller, v1::StartOperationRequest request,
                                        BlockingPool* pool, StartDone done) {
  if (PrepareMayBlock(request)) {
    pool->Post(
        [this, caller, request = std::move(request), pool, done = std::move(done)]() mutable {
          StartPrepared(PrepareStart(caller, std::move(request)), pool, std::move(done));
        });
    return;
  }
  StartPrepared(PrepareStart(caller, std::move(request)), pool, std::move(done));
}

void OperationsApi::StartPrepared(absl::StatusOr<std::shared_ptr<PreparedStart>> prepared,
                                  BlockingPool* pool, StartDone done) {
  if (!prepared.ok()) {
    done(prepared.status());
    return;
  }
  std::shared_ptr<PreparedStart> start = *std::move(prepared);
  const engine::StartRequest& request = start->start;
  engine_->StartAsync(request, [this, start, pool, done = std::move(done)](
                                   absl::StatusOr<engine::OperationRecord> record) mutable {
    if (record.ok() && FinishMayBlock(*start, *record)) {
      pool->Post([this, start, record = std::move(record), done = std::move(done)]() mutable {
        done(FinishStart(*start, std::move(record)));
      });
      return;
    }
    done(FinishStart(*start, std::move(record)));
  });
}

absl::StatusOr<engine::OperationRecord> OperationsApi::CancelOperation(const Principal& caller,
                                                                       const std::string& id) {
  absl::StatusOr<engine::OperationRecord> authorized =
      AuthorizedRecord(caller, id, Action::kCancel);
  if (!authorized.ok()) return authorized.status();
  absl::StatusOr<engine::OperationRecord> record = engine_->Cancel(caller.name, id);
  if (!record.ok()) return record.status();
  const LogTags tags{record->id, record->request_id, caller.name};
  Log(LogLevel::kInfo, tags, std::string("cancel requested: ") + core::StateName(record->state));
  Audit(CallEntry(v1::AUDIT_ACTION_CANCEL, caller.name, *record, Now(), CallGpos(*record)), tags);
  return record;
}

absl::StatusOr<v1::Operation> OperationsApi::Cancel(const Principal& caller,
                                                    const v1::CancelRequest& request) {
  if (absl::Status s = ValidateOperationId("operation_id", request.operation_id()); !s.ok()) {
    return s;
  }
  absl::StatusOr<engine::OperationRecord> record = CancelOperation(caller, request.operation_id());
  if (!record.ok()) return record.status();
  v1::Operation response;
  OperationToProto(*record, &response);
  return response;
}

absl::Status OperationsApi::DeleteOperation(const Principal& caller, const std::string& id) {
  absl::StatusOr<engine::OperationRecord> authorized =
      AuthorizedRecord(caller, id, Action::kDelete);
  if (!authorized.ok()) return authorized.status();
  absl::Status deleted = engine_->Delete(caller.name, id);
  if (!deleted.ok()) return deleted;
  const LogTags tags{id, authorized->request_id, caller.name};
  Log(LogLevel::kInfo, tags, "deleted");
  Audit(CallEntry(v1::AUDIT_ACTION_DELETE, caller.name, *authorized, Now(), CallGpos(*authorized)),
        tags);
  return deleted;
}

absl::StatusOr<v1::ListGposResponse> OperationsApi::ListGpos(const Principal& caller,
                                                             const v1::ListGposRequest& request) {
  if (absl::Status s = AuthorizeList(caller); !s.ok()) return s;
  core::Result<std::vector<core::GpoInfo>> gpos = backend_->ListGpos();
  if (!gpos.ok()) return engine::ToStatus(gpos.error());
  v1::ListGposResponse response;
  for (const core::GpoInfo& gpo : *gpos) GpoToProto(gpo, response.add_gpos());
  return response;
}

absl::StatusOr<v1::ListBackupsResponse> OperationsApi::ListBackups(
    const Principal& caller, const v1::ListBackupsRequest& request) {
  if (absl::Status s = AuthorizeList(caller); !s.ok()) return s;
  absl::StatusOr<core::Backend::BackupQuery> query = BackupQueryFromProto(request);
  if (!query.ok()) return query.status();
  core::Result<std::vector<core::BackupInfo>> backups = backend_->ListBackups(*query);
  if (!backups.ok()) {
    core::Error error = backups.error();
    if (error.reason == core::reason::kLocationNotFound)
      error.metadata.emplace("field", "location");
    return engine::ToStatus(error);
  }
  v1::ListBackupsResponse response;
  for (const core::BackupInfo& backup : *backups) BackupToProto(backup, response.add_backups());
  return response;
}

absl::StatusOr<engine::OperationRecord> OperationsApi::ViewOperation(const Principal& caller,
                                                                     const std::string& id) {
  return AuthorizedRecord(caller, id, Action::kView);
}

absl::StatusOr<v1::Operation> OperationsApi::GetOperation(const Principal& caller,
                                                          const v1::GetOperationRequest& request) {
  if (absl::Status s = ValidateOperationId("operation_id", request.operation_id()); !s.ok()) {
    return s;
  }
  absl::StatusOr<engine::OperationRecord> record = ViewOperation(caller, request.operation_id());
  if (!record.ok()) return record.status();
  v1::Operation response;
  OperationToProto(*record, &response);
  return response;
}

absl::StatusOr<engine::ListResponse> OperationsApi::ListVisible(
    const Principal& caller, const engine::ListRequest& request) {
  if (absl::Status s = AuthorizeList(caller); !s.ok()) return s;
  // The client sees sealed tokens only (page_tokens.h); the engine its own.
  absl::StatusOr<std::string> position =
      page_tokens_.Open(request.page_token, request.filter, request.page_size, caller.name);
  if (!position.ok()) return position.status();
  engine::ListRequest engine_request = request;
  engine_request.page_token = *std::move(position);
  absl::StatusOr<engine::ListResponse> page = engine_->List(engine_request);
  if (!page.ok()) return page;
  page->next_page_token =
      page_tokens_.Seal(page->next_page_token, request.filter, request.page_size, caller.name);
  if (SeesEverything(caller)) return page;
  // A scoped caller sees the part of each page its grants cover (pages may come out short, as
  // AIP-158 allows); the page token still walks the whole list.
  std::vector<engine::OperationRecord> visible;
  for (engine::OperationRecord& record : page->operations) {
    if (Authorize(caller, Action::kView, RecordScope(caller, record)).ok())
      visible.push_back(std::move(record));
  }
  page->operations = std::move(visible);
  return page;
}

absl::StatusOr<v1::ListOperationsResponse> OperationsApi::ListOperations(
    const Principal& caller, const v1::ListOperationsRequest& request) {
  absl::StatusOr<engine::ListRequest> list = ListRequestFromProto(request);
  if (!list.ok()) return list.status();
  absl::StatusOr<engine::ListResponse> page = ListVisible(caller, *list);
  if (!page.ok()) return page.status();
  v1::ListOperationsResponse response;
  for (const engine::OperationRecord& record : page->operations) {
    OperationToProto(record, response.add_operations());
  }
  response.set_next_page_token(page->next_page_token);
  response.set_revision(page->revision);
  return response;
}

absl::StatusOr<std::unique_ptr<engine::Cursor>> OperationsApi::OpenStatusCursor(
    const Principal& caller, const std::string& id, uint64_t after_sequence) {
  absl::StatusOr<engine::OperationRecord> record = AuthorizedRecord(caller, id, Action::kView);
  if (!record.ok()) return record.status();
  return engine_->OpenStatusStream(caller.name, id, after_sequence);
}

absl::StatusOr<std::unique_ptr<engine::Cursor>> OperationsApi::OpenStatusStream(
    const Principal& caller, const v1::StreamStatusRequest& request) {
  if (absl::Status s = ValidateOperationId("operation_id", request.operation_id()); !s.ok()) {
    return s;
  }
  return OpenStatusCursor(caller, request.operation_id(), request.after_sequence());
}

absl::StatusOr<std::unique_ptr<engine::Cursor>> OperationsApi::OpenWatch(
    const Principal& caller, const v1::WatchOperationsRequest& request) {
  absl::StatusOr<std::string> filter = WatchFilterFromProto(request);
  if (!filter.ok()) return filter.status();
  if (absl::Status s = AuthorizeList(caller); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<engine::Cursor>> cursor =
      engine_->OpenWatch(caller.name, request.after_revision(), *filter);
  if (!cursor.ok() || SeesEverything(caller)) return cursor;
  return std::unique_ptr<engine::Cursor>(
      new VisibleCursor(*std::move(cursor), [this, caller](const std::string& id) {
        absl::StatusOr<engine::OperationRecord> record = engine_->Get(caller.name, id);
        return record.ok() && Authorize(caller, Action::kView, RecordScope(caller, *record)).ok();
      }));
}

}  // namespace gpop::api
