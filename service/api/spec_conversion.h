// gpop.v1.OperationSpec <-> core::OperationSpec: what an operation does, checked on the way in
// (structure here, content by core::ValidateSpec and the backend), with every bad field named by
// its proto path ("spec.backup.comment") in the message and in ErrorInfo metadata "field".

#ifndef GPOP_SERVICE_API_SPEC_CONVERSION_H_
#define GPOP_SERVICE_API_SPEC_CONVERSION_H_

#include <string>

#include "absl/status/statusor.h"
#include "gpop/v1/operations.pb.h"
#include "service/core/backend.h"
#include "service/core/operation.h"

namespace gpop::api {

// SpecFromProto
//
// The spec of a request, checked structurally (exactly one kind, exactly one target or
// subject), by core::ValidateSpec and, when given, by `backend`'s own Validate, with every
// field named as "<field_prefix>.<proto path>".
absl::StatusOr<core::OperationSpec> SpecFromProto(const v1::OperationSpec& spec,
                                                  const std::string& field_prefix = "spec",
                                                  const core::Backend* backend = nullptr);

// SpecToProto
//
// The spec as the request that asked for it (the way records and events show it).
void SpecToProto(const core::OperationSpec& spec, v1::OperationSpec* out);

// GpoFromProto
//
// The GPO a GpoRef names (no checks: callers validate first).
core::GpoRef GpoFromProto(const v1::GpoRef& gpo);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_SPEC_CONVERSION_H_
