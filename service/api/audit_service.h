// gpop.v1.Audit over gRPC: a transport over audit_api.h, its method registered as a raw
// byte-buffer callback (hostile bytes: INVALID_ARGUMENT), authenticated like every gpop call.

#ifndef GPOP_SERVICE_API_AUDIT_SERVICE_H_
#define GPOP_SERVICE_API_AUDIT_SERVICE_H_

#include "gpop/v1/audit.grpc.pb.h"
#include "service/api/audit_api.h"
#include "service/api/blocking_pool.h"
#include "service/api/operations_service.h"

namespace gpop::api {

// AuditService
//
// Thread-safe; `api` must outlive it, and it must outlive the grpc::Server it is registered
// with. Reads run on a blocking pool (the log is SQLite).
class AuditService final
    : public v1::Audit::WithRawCallbackMethod_ListAuditEntries<v1::Audit::Service> {
 public:
  AuditService(AuditApi* api, CallAuthentication auth) : api_(api), auth_(auth) {}

  grpc::ServerUnaryReactor* ListAuditEntries(grpc::CallbackServerContext* context,
                                             const grpc::ByteBuffer* request,
                                             grpc::ByteBuffer* response) override;

 private:
  AuditApi* const api_;
  const CallAuthentication auth_;
  BlockingPool reads_{1};
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_AUDIT_SERVICE_H_
