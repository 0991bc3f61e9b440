// gpop.v1.BackupTransfer over gRPC: uploads of backups and backup sets, downloads of backups
// and reports, in chunks (service/transfer does the work; this is its transport). Every call is
// authenticated like gpop.v1.GroupPolicyOperations' (principal.h) and authorized with the same
// grants (auth/policy.h):
//   - CreateUpload / WriteUpload: operator for kind=backup without a GPO or label restriction
//     (an upload adds backups to a location, as a backup does; its GPOs are unknown until the
//     whole stream is checked);
//   - DownloadBackup: the right to start a report of every backup's GPO (operator, kind=report);
//   - DownloadReport: the right to view the report operation.
// Uploads belong to their principal: another one gets NOT_FOUND.
//
// The handlers use gRPC's synchronous API: each call reads or writes files for as long as its
// stream lasts, on a thread of gRPC's synchronous pool, never on the callback threads that the
// other services' reactors use.
#ifndef GPOP_SERVICE_API_TRANSFER_SERVICE_H_
#define GPOP_SERVICE_API_TRANSFER_SERVICE_H_

#include <filesystem>

#include "gpop/v1/transfer.grpc.pb.h"
#include "service/api/operations_api.h"
#include "service/api/operations_service.h"
#include "service/transfer/upload_store.h"

namespace gpop::api {

// The largest data of one upload or download message.
inline constexpr size_t kTransferChunkBytes = 1 << 20;

// TransferService
//
// Thread-safe. `api`, the authentication's parts and `uploads` must outlive it; `scratch` is a
// folder for prepared downloads (created when missing).
class TransferService final : public v1::BackupTransfer::Service {
 public:
  TransferService(OperationsApi* api, CallAuthentication auth, transfer::UploadStore* uploads,
                  std::filesystem::path scratch);

  grpc::Status CreateUpload(grpc::ServerContext* context, const v1::CreateUploadRequest* request,
                            v1::Upload* response) override;
  grpc::Status WriteUpload(grpc::ServerContext* context,
                           grpc::ServerReader<v1::WriteUploadRequest>* reader,
                           v1::Upload* response) override;
  grpc::Status GetUpload(grpc::ServerContext* context, const v1::GetUploadRequest* request,
                         v1::Upload* response) override;
  grpc::Status CancelUpload(grpc::ServerContext* context, const v1::CancelUploadRequest* request,
                            v1::Upload* response) override;
  grpc::Status DownloadBackup(grpc::ServerContext* context,
                              const v1::DownloadBackupRequest* request,
                              grpc::ServerWriter<v1::DownloadChunk>* writer) override;
  grpc::Status DownloadReport(grpc::ServerContext* context,
                              const v1::DownloadReportRequest* request,
                              grpc::ServerWriter<v1::DownloadChunk>* writer) override;

 private:
  absl::StatusOr<Principal> Authenticate(grpc::ServerContext* context) const;

  OperationsApi* const api_;
  const CallAuthentication auth_;
  transfer::UploadStore* const uploads_;
  const std::filesystem::path scratch_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_TRANSFER_SERVICE_H_
