// Reading the audit log (see audit_api.h).

#include "service/api/audit_api.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "service/api/auth/authenticator.h"
#include "service/api/auth/policy.h"
#include "service/api/conversion.h"
#include "service/api/log.h"
#include "service/engine/status_convert.h"

namespace gpop::api {
namespace {

absl::Status Invalid(const std::string& field, const std::string& problem) {
  return engine::ToStatus(core::InvalidField(field, problem));
}

// What a page token is bound to besides the caller and page size: every condition of the
// request, in a form no ListOperations filter can take.
std::string FilterKey(const v1::ListAuditEntriesRequest& request) {
  v1::ListAuditEntriesRequest conditions = request;
  conditions.clear_page_size();
  conditions.clear_page_token();
  std::string bytes;
  conditions.SerializePartialToString(&bytes);
  return "audit:" + bytes;
}

}  // namespace

AuditApi::AuditApi(audit::AuditLog* log, std::string page_token_key)
    : log_(log), page_tokens_(std::move(page_token_key)) {}

absl::StatusOr<v1::ListAuditEntriesResponse> AuditApi::ListAuditEntries(
    const Principal& caller, const v1::ListAuditEntriesRequest& request) {
  if (!SeesEverything(caller)) {
    Log(LogLevel::kInfo, LogTags{"", "", caller.name}, "audit list refused: scoped principal");
    return engine::MakeStatus(
        core::Code::kPermissionDenied, reason::kPermissionDenied,
        "principal " + caller.name +
            " may not read the audit log: that needs a grant over every operation",
        {{"action", "list_audit"}, {"principal", caller.name}});
  }
  if (log_ == nullptr) {
    return engine::MakeStatus(core::Code::kFailedPrecondition, core::reason::kUnsupported,
                              "this server keeps no audit log");
  }
  audit::AuditQuery query;
  if (request.page_size() < 0) return Invalid("page_size", "must not be negative");
  query.limit = request.page_size() == 0 ? kDefaultAuditPageSize
                                         : std::min(request.page_size(), kMaxAuditPageSize);
  if (request.page_token().size() > kMaxPageTokenLength) {
    return Invalid("page_token", "is too long");
  }
  if (request.principal().size() > 256) return Invalid("principal", "is too long");
  query.principal = request.principal();
  if (!request.operation_id().empty()) {
    if (absl::Status s = ValidateOperationId("operation_id", request.operation_id()); !s.ok()) {
      return s;
    }
    query.operation_id = request.operation_id();
  }
  if (!v1::AuditAction_IsValid(request.action())) {
    return Invalid("action", "is not an AuditAction");
  }
  query.action = request.action();
  if (request.has_start_time()) {
    absl::StatusOr<engine::Time> t = TimeFromProto("start_time", request.start_time());
    if (!t.ok()) return t.status();
    query.start_time = *t;
  }
  if (request.has_end_time()) {
    absl::StatusOr<engine::Time> t = TimeFromProto("end_time", request.end_time());
    if (!t.ok()) return t.status();
    query.end_time = *t;
  }
  const std::string filter = FilterKey(request);
  absl::StatusOr<std::string> position =
      page_tokens_.Open(request.page_token(), filter, request.page_size(), caller.name);
  if (!position.ok()) return position.status();
  if (!position->empty() && !absl::SimpleAtoi(*position, &query.after_sequence)) {
    return Invalid("page_token", "is not a page token of this list");
  }
  // One more than the page tells whether there is a next page.
  const int page = query.limit;
  query.limit = page + 1;
  absl::StatusOr<std::vector<v1::AuditEntry>> entries = log_->List(query);
  if (!entries.ok()) return entries.status();
  v1::ListAuditEntriesResponse response;
  response.set_dropped_through_sequence(log_->DroppedThrough());
  for (int i = 0; i < static_cast<int>(entries->size()) && i < page; ++i) {
    *response.add_entries() = std::move((*entries)[i]);
  }
  if (static_cast<int>(entries->size()) > page) {
    response.set_next_page_token(
        page_tokens_.Seal(std::to_string(response.entries(page - 1).sequence()), filter,
                          request.page_size(), caller.name));
  }
  return response;
}

}  // namespace gpop::api
