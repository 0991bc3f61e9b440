// gpop.v1.Audit over gRPC (see audit_service.h).

#include "service/api/audit_service.h"

#include <utility>

#include "service/api/principal.h"
#include "service/api/raw_calls.h"

namespace gpop::api {

grpc::ServerUnaryReactor* AuditService::ListAuditEntries(grpc::CallbackServerContext* context,
                                                         const grpc::ByteBuffer* request,
                                                         grpc::ByteBuffer* response) {
  absl::StatusOr<Principal> caller =
      CallerPrincipal(context, *auth_.authenticator, auth_.unix_peers);
  if (!caller.ok()) return ReplyRaw(context, caller.status());
  absl::StatusOr<v1::ListAuditEntriesRequest> parsed =
      ParseRaw<v1::ListAuditEntriesRequest>(request);
  if (!parsed.ok()) return ReplyRaw(context, parsed.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reads_.Post([this, reactor, response, caller = *std::move(caller), parsed = *std::move(parsed)] {
    FinishRaw(reactor, api_->ListAuditEntries(caller, parsed), response);
  });
  return reactor;
}

}  // namespace gpop::api
