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
// other services' reactors use. Every method is registered raw (raw_calls.h' RawSyncService):
// a request, or any message of an upload stream, whose bytes do not parse is INVALID_ARGUMENT
// with gpop's ErrorInfo (reason MALFORMED_REQUEST), after the caller is authenticated.
#ifndef GPOP_SERVICE_API_TRANSFER_SERVICE_H_
#define GPOP_SERVICE_API_TRANSFER_SERVICE_H_

#include <filesystem>
#include <map>
#include <string>

#include "gpop/v1/transfer.grpc.pb.h"
#include "service/api/operations_api.h"
#include "service/api/operations_service.h"
#include "service/api/raw_calls.h"
#include "service/transfer/upload_store.h"

namespace gpop::api {

// The largest data of one upload or download message.
inline constexpr size_t kTransferChunkBytes = 1 << 20;

// TransferService
//
// Thread-safe. `api`, the authentication's parts and `uploads` must outlive it; `scratch` is a
// folder for prepared downloads (created when missing).
class TransferService final : public RawSyncService {
 public:
  TransferService(OperationsApi* api, CallAuthentication auth, transfer::UploadStore* uploads,
                  std::filesystem::path scratch);

 private:
  grpc::Status CreateUpload(const Principal& caller, const v1::CreateUploadRequest& request,
                            v1::Upload* response);
  grpc::Status WriteUpload(grpc::ServerContext* context, const Principal& caller,
                           grpc::ServerReader<grpc::ByteBuffer>* reader, v1::Upload* response);
  grpc::Status GetUpload(const Principal& caller, const v1::GetUploadRequest& request,
                         v1::Upload* response);
  grpc::Status CancelUpload(const Principal& caller, const v1::CancelUploadRequest& request,
                            v1::Upload* response);
  grpc::Status DownloadBackup(grpc::ServerContext* context, const Principal& caller,
                              const v1::DownloadBackupRequest& request,
                              grpc::ServerWriter<grpc::ByteBuffer>* writer);
  grpc::Status DownloadReport(grpc::ServerContext* context, const Principal& caller,
                              const v1::DownloadReportRequest& request,
                              grpc::ServerWriter<grpc::ByteBuffer>* writer);

  // The raw handlers of the methods above, calling them on `self` (not used before a call
  // arrives): authenticate, parse, call, serialize.
  static std::map<std::string, Handler> Handlers(TransferService* self);
  template <typename Request, typename Call>
  static Unary RawUnary(TransferService* self, Call call);
  template <typename Request, typename Call>
  static ServerStream RawDownload(TransferService* self, Call call);

  OperationsApi* const api_;
  const CallAuthentication auth_;
  transfer::UploadStore* const uploads_;
  const std::filesystem::path scratch_;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_TRANSFER_SERVICE_H_
