// The engine's records, events and stream items -> gpop.v1 and google.longrunning messages
// (the way out: no validation, every value is the server's own).

#ifndef GPOP_SERVICE_API_RECORD_CONVERSION_H_
#define GPOP_SERVICE_API_RECORD_CONVERSION_H_

#include <cstddef>
#include <string>

#include "google/longrunning/operations.pb.h"
#include "gpop/v1/operations.pb.h"
#include "service/core/operation.h"
#include "service/engine/engine.h"
#include "service/engine/types.h"

namespace gpop::api {

// "operations/" + an operation id: the google.longrunning name of an operation.
inline constexpr char kLroNamePrefix[] = "operations/";

void GpoToProto(const core::GpoInfo& gpo, v1::GpoInfo* out);
void BackupToProto(const core::BackupInfo& backup, v1::BackupInfo* out);

// The largest report whose text an operation result carries inline (1 MiB); larger ones only
// by size and summary, so that no event or Operation message nears the 4 MiB a default gRPC
// client accepts. DownloadReport (transfer_service.h) sends reports of any size.
inline constexpr size_t kInlineReportBytes = size_t{1} << 20;

// ReportToProto
//
// A report result: format, size, summary, and the text when at most kInlineReportBytes.
void ReportToProto(const core::ReportInfo& report, v1::ReportInfo* out);
void ResultToProto(const core::OperationResult& result, v1::OperationResult* out);
void OperationToProto(const engine::OperationRecord& record, v1::Operation* out);
void EventToProto(const engine::Event& event, v1::Event* out);
void ProgressToProto(const engine::Progress& progress, v1::Progress* out);
void HeartbeatToProto(const engine::Heartbeat& heartbeat, v1::Heartbeat* out);

// StreamItemToProto
//
// A cursor's item as a StatusUpdate, or as a WatchOperationsResponse. Returns false when the
// item has no place in that stream (watch streams carry no progress), so it is skipped.
bool StreamItemToProto(const engine::StreamItem& item, v1::StatusUpdate* out);
bool StreamItemToProto(const engine::StreamItem& item, v1::WatchOperationsResponse* out);

// OperationToLro
//
// An operation as google.longrunning.Operation: name "operations/<id>", metadata
// Any(gpop.v1.Operation), done when terminal, then response Any(gpop.v1.OperationResult) when
// SUCCEEDED or error (the operation's google.rpc.Status) when FAILED or CANCELLED.
void OperationToLro(const engine::OperationRecord& record, google::longrunning::Operation* out);

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_RECORD_CONVERSION_H_
