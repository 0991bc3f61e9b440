// AIP-193 error details on the client side: the one place where a gRPC status becomes an
// absl::Status, and where a google.rpc.ErrorInfo is read back out of one.
//
// gpop puts a serialized google.rpc.Status in the `grpc-status-details-bin` trailer; its details
// hold one google.rpc.ErrorInfo (domain "gpop.dev", a stable UPPER_SNAKE reason, metadata). The
// conversion keeps those bytes as an absl::Status payload, so callers of the client library
// receive the reason with the canonical code.

#ifndef GPOP_CLIENT_ERROR_INFO_H_
#define GPOP_CLIENT_ERROR_INFO_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "google/rpc/status.pb.h"
#include "grpcpp/support/status.h"

namespace gpop::client {

// kStatusDetailsPayloadUrl
//
// The absl::Status payload key under which the serialized google.rpc.Status is kept.
inline constexpr char kStatusDetailsPayloadUrl[] = "type.googleapis.com/google.rpc.Status";

// kGpopErrorDomain
//
// The ErrorInfo domain of gpop's own errors.
inline constexpr char kGpopErrorDomain[] = "gpop.dev";

// ErrorInfo
//
// The machine-readable part of an error: why (`reason`), whose vocabulary (`domain`) and the
// details of this occurrence (`metadata`, e.g. {"field": "spec.backup.comment"}).
struct ErrorInfo {
  std::string reason;
  std::string domain;
  std::map<std::string, std::string> metadata;
};

// FromGrpcStatus
//
// Converts a gRPC status into an absl::Status with the same code and message; the status details
// (if any) are kept as the payload `kStatusDetailsPayloadUrl`.
absl::Status FromGrpcStatus(const grpc::Status& status);

// FromStatusProto
//
// Converts a google.rpc.Status (e.g. an operation's error) into an absl::Status, keeping the
// whole proto as the payload `kStatusDetailsPayloadUrl`. A code of 0 gives OK.
absl::Status FromStatusProto(const google::rpc::Status& status);

// GetErrorInfo
//
// The first google.rpc.ErrorInfo in the status' details; nullopt when there is none (an OK
// status, an error from gRPC itself or from a proxy, or unparsable details).
std::optional<ErrorInfo> GetErrorInfo(const absl::Status& status);

// GetErrorInfo
//
// The first google.rpc.ErrorInfo in `status.details`; nullopt when there is none.
std::optional<ErrorInfo> GetErrorInfo(const google::rpc::Status& status);

// GetReason
//
// The ErrorInfo reason of `status`, or "" when it carries none.
std::string GetReason(const absl::Status& status);

}  // namespace gpop::client

#endif  // GPOP_CLIENT_ERROR_INFO_H_
