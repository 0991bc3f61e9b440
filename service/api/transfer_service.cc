// gpop.v1.BackupTransfer over gRPC (see transfer_service.h).

#include "service/api/transfer_service.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/descriptor.h"

#include "service/api/auth/policy.h"
#include "service/api/conversion.h"
#include "service/api/log.h"
#include "service/api/principal.h"
#include "service/api/status_mapping.h"
#include "service/engine/status_convert.h"
#include "service/transfer/download.h"

namespace gpop::api {
namespace {

grpc::Status Fail(const core::Error& error) { return ToGrpcStatus(engine::ToStatus(error)); }

void UploadToProto(const transfer::UploadRecord& record, v1::Upload* out) {
  out->set_upload_id(record.id);
  out->set_location(record.location);
  out->set_total_bytes(record.total_bytes);
  out->set_sha256(record.sha256);
  out->set_received_bytes(record.received_bytes);
  out->set_state(record.published ? v1::PUBLISHED : v1::RECEIVING);
  out->set_backup_set(record.backup_set);
  for (const transfer::PublishedBackup& backup : record.backups) {
    v1::UploadedBackup* b = out->add_backups();
    BackupToProto(backup.info, b->mutable_backup());
    for (const transfer::ExtractedFile& file : backup.files) {
      v1::UploadFile* f = b->add_files();
      f->set_path(file.path);
      f->set_size_bytes(file.size);
      f->set_sha256(file.sha256);
    }
  }
}

absl::Status RequireUploadId(const std::string& id) {
  if (id.empty()) {
    return engine::ToStatus(core::InvalidField("upload_id", "is required"));
  }
  return absl::OkStatus();
}

// Streams `download` from `offset` in chunks; the first message announces size and digest.
grpc::Status Stream(grpc::ServerContext* context, const transfer::Download& download,
                    int64_t offset, const std::string& expected_sha256,
                    grpc::ServerWriter<grpc::ByteBuffer>* writer) {
  if (core::Status s = download.CheckResume(offset, expected_sha256); !s.ok()) {
    return Fail(s.error());
  }
  bool first = true;
  while (first || offset < download.size()) {
    if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled");
    core::Result<std::string> data = download.Read(offset, kTransferChunkBytes);
    if (!data.ok()) return Fail(data.error());
    v1::DownloadChunk chunk;
    if (first) {
      chunk.set_total_bytes(download.size());
      chunk.set_sha256(download.sha256());
      chunk.set_content_type(download.content_type());
      first = false;
    }
    chunk.set_offset(offset);
    offset += static_cast<int64_t>(data->size());
    *chunk.mutable_data() = *std::move(data);
    grpc::ByteBuffer bytes;
    SerializeRaw(chunk, &bytes);
    if (!writer->Write(bytes)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
    }
  }
  return grpc::Status::OK;
}

}  // namespace

TransferService::TransferService(OperationsApi* api, CallAuthentication auth,
                                 transfer::UploadStore* uploads, std::filesystem::path scratch)
    : RawSyncService(google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
                         "gpop.v1.BackupTransfer"),
                     Handlers(this)),
      api_(api),
      auth_(auth),
      uploads_(uploads),
      scratch_(std::move(scratch)) {}

// Unary: authenticated first (a stranger learns nothing, not even whether its bytes parse),
// then parsed.
template <typename Request, typename Call>
RawSyncService::Unary TransferService::RawUnary(TransferService* self, Call call) {
  return [self, call](grpc::ServerContext* context, const grpc::ByteBuffer* request,
                         grpc::ByteBuffer* response) {
    absl::StatusOr<Principal> caller = self->auth_.Authenticate(context);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    absl::StatusOr<Request> parsed = ParseRaw<Request>(request);
    if (!parsed.ok()) return ToGrpcStatus(parsed.status());
    v1::Upload upload;
    grpc::Status status = call(*caller, *parsed, &upload);
    if (status.ok()) SerializeRaw(upload, response);
    return status;
  };
}

template <typename Request, typename Call>
RawSyncService::ServerStream TransferService::RawDownload(TransferService* self, Call call) {
  return [self, call](grpc::ServerContext* context, const grpc::ByteBuffer* request,
                         grpc::ServerWriter<grpc::ByteBuffer>* writer) {
    absl::StatusOr<Principal> caller = self->auth_.Authenticate(context);
    if (!caller.ok()) return ToGrpcStatus(caller.status());
    absl::StatusOr<Request> parsed = ParseRaw<Request>(request);
    if (!parsed.ok()) return ToGrpcStatus(parsed.status());
    return call(context, *caller, *parsed, writer);
  };
}

std::map<std::string, RawSyncService::Handler> TransferService::Handlers(TransferService* self) {
  std::map<std::string, Handler> handlers;
  handlers["CreateUpload"] = RawUnary<v1::CreateUploadRequest>(
      self, [self](const Principal& caller, const v1::CreateUploadRequest& req, v1::Upload* out) {
        return self->CreateUpload(caller, req, out);
      });
  handlers["GetUpload"] = RawUnary<v1::GetUploadRequest>(
      self, [self](const Principal& caller, const v1::GetUploadRequest& req, v1::Upload* out) {
        return self->GetUpload(caller, req, out);
      });
  handlers["CancelUpload"] = RawUnary<v1::CancelUploadRequest>(
      self, [self](const Principal& caller, const v1::CancelUploadRequest& req, v1::Upload* out) {
        return self->CancelUpload(caller, req, out);
      });
  handlers["WriteUpload"] = ClientStream(
      [self](grpc::ServerContext* context, grpc::ServerReader<grpc::ByteBuffer>* reader,
             grpc::ByteBuffer* response) {
        absl::StatusOr<Principal> caller = self->auth_.Authenticate(context);
        if (!caller.ok()) return ToGrpcStatus(caller.status());
        v1::Upload upload;
        grpc::Status status = self->WriteUpload(context, *caller, reader, &upload);
        if (status.ok()) SerializeRaw(upload, response);
        return status;
      });
  handlers["DownloadBackup"] = RawDownload<v1::DownloadBackupRequest>(
      self, [self](grpc::ServerContext* context, const Principal& caller,
                   const v1::DownloadBackupRequest& req,
                   grpc::ServerWriter<grpc::ByteBuffer>* writer) {
        return self->DownloadBackup(context, caller, req, writer);
      });
  handlers["DownloadReport"] = RawDownload<v1::DownloadReportRequest>(
      self, [self](grpc::ServerContext* context, const Principal& caller,
                   const v1::DownloadReportRequest& req,
                   grpc::ServerWriter<grpc::ByteBuffer>* writer) {
        return self->DownloadReport(context, caller, req, writer);
      });
  return handlers;
}

grpc::Status TransferService::CreateUpload(const Principal& caller,
                                           const v1::CreateUploadRequest& request,
                                           v1::Upload* response) {
  OperationScope scope;
  scope.kind = core::OperationKind::kBackup;
  if (absl::Status s = Authorize(caller, Action::kStart, scope); !s.ok()) {
    return ToGrpcStatus(s);
  }
  transfer::UploadRequest upload;
  upload.location = request.location();
  upload.total_bytes = request.total_bytes();
  upload.sha256 = request.sha256();
  for (const v1::UploadFile& f : request.files()) {
    upload.files.push_back(transfer::DeclaredFile{f.path(), f.size_bytes(), f.sha256()});
  }
  core::Result<transfer::UploadRecord> record = uploads_->Create(caller.name, upload);
  if (!record.ok()) {
    Log(LogLevel::kInfo, LogTags{"", "", caller.name},
        "upload refused: " + record.error().message);
    return Fail(record.error());
  }
  Log(LogLevel::kInfo, LogTags{"", "", caller.name},
      "upload " + record->id + " created: " + std::to_string(record->total_bytes) +
          " bytes into location " + record->location);
  UploadToProto(*record, response);
  return grpc::Status::OK;
}

grpc::Status TransferService::WriteUpload(grpc::ServerContext* context, const Principal& caller,
                                          grpc::ServerReader<grpc::ByteBuffer>* reader,
                                          v1::Upload* response) {
  std::optional<absl::StatusOr<v1::WriteUploadRequest>> next =
      ReadRaw<v1::WriteUploadRequest>(reader);
  if (!next.has_value()) {
    return ToGrpcStatus(engine::ToStatus(
        core::InvalidField("upload_id", "the stream ended before its first message")));
  }
  if (!next->ok()) return ToGrpcStatus(next->status());
  v1::WriteUploadRequest message = **std::move(next);
  if (absl::Status s = RequireUploadId(message.upload_id()); !s.ok()) return ToGrpcStatus(s);
  const std::string id = message.upload_id();
  core::Result<std::unique_ptr<transfer::UploadStore::Writer>> writer =
      uploads_->BeginWrite(caller.name, id, message.offset());
  if (!writer.ok()) return Fail(writer.error());
  while (true) {
    if (!message.upload_id().empty() && message.upload_id() != id) {
      return ToGrpcStatus(
          engine::ToStatus(core::InvalidField("upload_id", "changed within one stream")));
    }
    if (message.data().size() > kTransferChunkBytes) {
      return ToGrpcStatus(engine::ToStatus(core::InvalidField("data", "is larger than 1 MiB")));
    }
    if (core::Status s = (*writer)->Append(message.data()); !s.ok()) return Fail(s.error());
    next = ReadRaw<v1::WriteUploadRequest>(reader);
    if (!next.has_value()) break;
    // A message that does not parse ends the call; what came before it is kept, as for a cut
    // stream, and the client may resume from GetUpload's received_bytes.
    if (!next->ok()) return ToGrpcStatus(next->status());
    message = **std::move(next);
  }
  // A cut stream ends here too: what was received is kept (the writer syncs it) and the client
  // resumes from GetUpload's received_bytes.
  if (context->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "cut");
  core::Result<transfer::UploadRecord> record = (*writer)->Finish();
  if (!record.ok()) {
    Log(LogLevel::kInfo, LogTags{"", "", caller.name},
        "upload " + id + " refused: " + record.error().message);
    return Fail(record.error());
  }
  if (record->published) {
    std::string ids;
    for (const transfer::PublishedBackup& b : record->backups) {
      ids += (ids.empty() ? "" : ", ") + b.info.backup_id;
    }
    Log(LogLevel::kInfo, LogTags{"", "", caller.name},
        "upload " + id + " published into location " + record->location + ": " + ids);
  }
  UploadToProto(*record, response);
  return grpc::Status::OK;
}

grpc::Status TransferService::GetUpload(const Principal& caller,
                                        const v1::GetUploadRequest& request, v1::Upload* response) {
  if (absl::Status s = RequireUploadId(request.upload_id()); !s.ok()) return ToGrpcStatus(s);
  core::Result<transfer::UploadRecord> record = uploads_->Get(caller.name, request.upload_id());
  if (!record.ok()) return Fail(record.error());
  UploadToProto(*record, response);
  return grpc::Status::OK;
}

grpc::Status TransferService::CancelUpload(const Principal& caller,
                                           const v1::CancelUploadRequest& request,
                                           v1::Upload* response) {
  if (absl::Status s = RequireUploadId(request.upload_id()); !s.ok()) return ToGrpcStatus(s);
  core::Result<transfer::UploadRecord> record =
      uploads_->Cancel(caller.name, request.upload_id());
  if (!record.ok()) return Fail(record.error());
  UploadToProto(*record, response);
  return grpc::Status::OK;
}

grpc::Status TransferService::DownloadBackup(grpc::ServerContext* context,
                                             const Principal& caller,
                                             const v1::DownloadBackupRequest& request,
                                             grpc::ServerWriter<grpc::ByteBuffer>* writer) {
  const std::vector<std::string> ids(request.backup_ids().begin(), request.backup_ids().end());
  const transfer::TransferLocations& locations = uploads_->options().locations;
  core::Result<std::vector<core::BackupInfo>> backups =
      transfer::LookUpBackups(locations, request.location(), ids);
  if (!backups.ok()) {
    // Only a caller with some grant learns whether a backup exists.
    if (absl::Status s = AuthorizeList(caller); !s.ok()) return ToGrpcStatus(s);
    return Fail(backups.error());
  }
  OperationScope scope;
  scope.kind = core::OperationKind::kReport;
  for (const core::BackupInfo& b : *backups) {
    scope.gpos.push_back(core::GpoRef{b.gpo_guid, b.gpo_display_name});
  }
  if (absl::Status s = Authorize(caller, Action::kStart, scope); !s.ok()) return ToGrpcStatus(s);
  core::Result<std::unique_ptr<transfer::Download>> download = transfer::PrepareBackupDownload(
      locations, scratch_, request.location(), ids, request.as_backup_set());
  if (!download.ok()) return Fail(download.error());
  return Stream(context, **download, request.offset(), request.expected_sha256(), writer);
}

grpc::Status TransferService::DownloadReport(grpc::ServerContext* context,
                                             const Principal& caller,
                                             const v1::DownloadReportRequest& request,
                                             grpc::ServerWriter<grpc::ByteBuffer>* writer) {
  if (absl::Status s = ValidateOperationId("operation_id", request.operation_id()); !s.ok()) {
    return ToGrpcStatus(s);
  }
  absl::StatusOr<engine::OperationRecord> record =
      api_->ViewOperation(caller, request.operation_id());
  if (!record.ok()) return ToGrpcStatus(record.status());
  const auto* report = std::get_if<core::ReportInfo>(&record->result);
  if (report == nullptr) {
    return ToGrpcStatus(engine::MakeStatus(
        core::Code::kFailedPrecondition, "NO_REPORT",
        "operation " + record->id + " has no report (not a finished report operation)",
        {{"operation_id", record->id}}));
  }
  transfer::Download download(report->content, report->format == core::ReportFormat::kHtml
                                                   ? "text/html"
                                                   : "application/xml");
  return Stream(context, download, request.offset(), request.expected_sha256(), writer);
}

}  // namespace gpop::api
