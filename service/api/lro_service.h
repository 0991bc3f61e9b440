// google.longrunning.Operations over gRPC, over the same operations as gpop.v1 (operations_api.h),
// with the callback API. Every method is registered as a raw byte-buffer callback, like
// gpop.v1's (raw_calls.h): bytes that do not parse are INVALID_ARGUMENT with gpop's ErrorInfo.

#ifndef GPOP_SERVICE_API_LRO_SERVICE_H_
#define GPOP_SERVICE_API_LRO_SERVICE_H_

#include "google/longrunning/operations.grpc.pb.h"
#include "service/api/blocking_pool.h"
#include "service/api/operations_api.h"
#include "service/api/operations_service.h"
#include "service/engine/clock.h"

namespace gpop::api {

// RawLroOperations
//
// Every google.longrunning.Operations method as a raw byte-buffer callback. A method added to
// the service must be added here too (else gRPC answers it UNIMPLEMENTED).
using RawLroOperations = google::longrunning::Operations::WithRawCallbackMethod_ListOperations<
    google::longrunning::Operations::WithRawCallbackMethod_GetOperation<
        google::longrunning::Operations::WithRawCallbackMethod_DeleteOperation<
            google::longrunning::Operations::WithRawCallbackMethod_CancelOperation<
                google::longrunning::Operations::WithRawCallbackMethod_WaitOperation<
                    google::longrunning::Operations::Service>>>>>;

// LroService
//
// google.longrunning.Operations over the same operations: names "operations/<id>", metadata
// Any(gpop.v1.Operation), response Any(gpop.v1.OperationResult), error the operation's
// google.rpc.Status. WaitOperation waits on a status cursor, without blocking a thread, until
// the operation is done, the request's timeout (capped by ServiceOptions::max_wait) passes, or
// the call is cancelled. Every call is authenticated (before its bytes are parsed) and
// authorized as its gpop.v1 counterpart (through `api`). Thread-safe; `api` and `clock` must
// outlive it, and it must outlive the grpc::Server it is registered with.
class LroService final : public RawLroOperations {
 public:
  LroService(OperationsApi* api, CallAuthentication auth, engine::Clock* clock);

  grpc::ServerUnaryReactor* ListOperations(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetOperation(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* DeleteOperation(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* CancelOperation(grpc::CallbackServerContext* context,
                                            const grpc::ByteBuffer* request,
                                            grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* WaitOperation(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;

 private:
  OperationsApi* const api_;
  const CallAuthentication auth_;
  engine::Clock* const clock_;
  BlockingPool blocking_{2};  // Cancel and Delete, off gRPC's callback threads
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_LRO_SERVICE_H_
