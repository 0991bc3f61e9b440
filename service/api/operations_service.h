// gpop.v1.GroupPolicyOperations over gRPC: a transport over operations_api.h, with the
// callback API (google.longrunning.Operations over the same operations: lro_service.h).
// Statuses are mapped in one place (status_mapping.h); no handler blocks a gRPC thread.

#ifndef GPOP_SERVICE_API_OPERATIONS_SERVICE_H_
#define GPOP_SERVICE_API_OPERATIONS_SERVICE_H_

#include <chrono>

#include "gpop/v1/operations.grpc.pb.h"
#include "service/api/blocking_pool.h"
#include "service/api/operations_api.h"
#include "service/api/principal.h"
#include "service/core/backend.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"

namespace gpop::api {

// RawGroupPolicyOperations
//
// Every gpop.v1 method registered as a raw byte-buffer callback: gpop parses the request
// (request_parse.h) and answers bytes that do not parse INVALID_ARGUMENT with its ErrorInfo.
// A method added to the service must be added here too (else gRPC answers it UNIMPLEMENTED).
using RawGroupPolicyOperations = v1::GroupPolicyOperations::WithRawCallbackMethod_StartOperation<
    v1::GroupPolicyOperations::WithRawCallbackMethod_StreamStatus<
        v1::GroupPolicyOperations::WithRawCallbackMethod_Cancel<
            v1::GroupPolicyOperations::WithRawCallbackMethod_GetOperation<
                v1::GroupPolicyOperations::WithRawCallbackMethod_ListOperations<
                    v1::GroupPolicyOperations::WithRawCallbackMethod_WatchOperations<
                        v1::GroupPolicyOperations::WithRawCallbackMethod_ListGpos<
                            v1::GroupPolicyOperations::WithRawCallbackMethod_ListBackups<
                                v1::GroupPolicyOperations::Service>>>>>>>>;

// OperationsService
//
// gpop.v1.GroupPolicyOperations over gRPC: each handler authenticates the caller (an
// UNAUTHENTICATED answer before anything else is looked at) and calls `api`, which authorizes
// it, on a blocking pool when the call may block. Thread-safe; `api` must outlive it, and it
// must outlive the grpc::Server it is registered with.
class OperationsService final : public RawGroupPolicyOperations {
 public:
  OperationsService(OperationsApi* api, CallAuthentication auth);

  grpc::ServerUnaryReactor* StartOperation(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* StreamStatus(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext* context,
                                   const grpc::ByteBuffer* request,
                                   grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* GetOperation(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListOperations(grpc::CallbackServerContext* context,
                                           const grpc::ByteBuffer* request,
                                           grpc::ByteBuffer* response) override;
  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchOperations(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request) override;
  grpc::ServerUnaryReactor* ListGpos(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ListBackups(grpc::CallbackServerContext* context,
                                        const grpc::ByteBuffer* request,
                                        grpc::ByteBuffer* response) override;

 private:
  OperationsApi* const api_;
  const CallAuthentication auth_;
  // Work that may block, off gRPC's callback threads; the pools outlive every call (server.h).
  // Cancel waits for a group commit; Start's checks that list the backend's stores, and its
  // START audit entry when it must be appended after the commit.
  BlockingPool durable_{8};
  BlockingPool listings_{2};  // ListGpos / ListBackups read the GPO store
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_OPERATIONS_SERVICE_H_
