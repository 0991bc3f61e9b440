// The core error type shared by the engine's backends and the Windows adapter.
//
// Standard C++17 only: this header is compiled by mingw-w64 for the GPMC adapter, without gRPC,
// protobuf or Abseil. The engine converts `Error` to `absl::Status` (engine/status_convert.h) and
// service/api converts that to a gRPC status; nothing else translates errors.

#ifndef GPOP_SERVICE_CORE_ERROR_H_
#define GPOP_SERVICE_CORE_ERROR_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace gpop::core {

// Code
//
// The canonical error codes, with the same numeric values as google.rpc.Code so that a code
// crosses every layer unchanged.
enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

// CodeName
//
// The UPPER_SNAKE name of `code` ("INVALID_ARGUMENT"), as google.rpc.Code spells it.
const char* CodeName(Code code);

// Stable AIP-193 reasons (ErrorInfo.reason, domain "gpop.dev"). Clients may match on these
// strings; a reason is never renamed once released.
namespace reason {
inline constexpr char kInvalidField[] = "INVALID_FIELD";
inline constexpr char kOperationNotFound[] = "OPERATION_NOT_FOUND";
inline constexpr char kOperationExpired[] = "OPERATION_EXPIRED";  // removed by retention
inline constexpr char kOperationDeleted[] = "OPERATION_DELETED";  // removed by DeleteOperation
inline constexpr char kOperationNotFinished[] = "OPERATION_NOT_FINISHED";
inline constexpr char kSequenceOutOfRange[] = "SEQUENCE_OUT_OF_RANGE";
inline constexpr char kCursorExpired[] = "CURSOR_EXPIRED";
inline constexpr char kRequestIdReused[] = "REQUEST_ID_REUSED";
inline constexpr char kQueueFull[] = "QUEUE_FULL";
inline constexpr char kTooManyStreams[] = "TOO_MANY_STREAMS";
inline constexpr char kDeadlineExceeded[] = "DEADLINE_EXCEEDED";
inline constexpr char kCancelled[] = "CANCELLED";
inline constexpr char kServerRestarted[] = "SERVER_RESTARTED";
inline constexpr char kShuttingDown[] = "SHUTTING_DOWN";
// A run refused at dispatch: what it names resolved differently than at its start (a rename, a
// GPO made or removed meanwhile) and another running operation holds it.
inline constexpr char kResourcesChanged[] = "RESOURCES_CHANGED";
inline constexpr char kGpoNotFound[] = "GPO_NOT_FOUND";
inline constexpr char kGpoAmbiguous[] = "GPO_NAME_AMBIGUOUS";
inline constexpr char kGpoExists[] = "GPO_EXISTS";
inline constexpr char kBackupNotFound[] = "BACKUP_NOT_FOUND";
inline constexpr char kLocationNotFound[] = "LOCATION_NOT_FOUND";
inline constexpr char kReadOnly[] = "STORE_READ_ONLY";
inline constexpr char kPathEscape[] = "PATH_OUTSIDE_ROOT";
inline constexpr char kCorruptFile[] = "CORRUPT_FILE";
inline constexpr char kIoError[] = "IO_ERROR";
inline constexpr char kAccessDenied[] = "ACCESS_DENIED";
inline constexpr char kGpmcNotInstalled[] = "GPMC_NOT_INSTALLED";
inline constexpr char kBackendFailure[] = "BACKEND_FAILURE";
inline constexpr char kNoFinalStatus[] = "NO_FINAL_STATUS";
inline constexpr char kUnsupported[] = "UNSUPPORTED";
inline constexpr char kInternal[] = "INTERNAL";
}  // namespace reason

// Error
//
// A failure as a value: a canonical code, a stable UPPER_SNAKE reason, a short actionable
// message, the raw HRESULT when a Windows API produced it, and metadata for ErrorInfo.
struct Error {
  Code code = Code::kUnknown;
  std::string reason;
  std::string message;
  std::optional<uint32_t> hresult;
  std::map<std::string, std::string> metadata;
};

// MakeError
//
// Builds an `Error`; `metadata` becomes ErrorInfo.metadata.
Error MakeError(Code code, std::string reason, std::string message,
                std::map<std::string, std::string> metadata = {});

// InvalidField
//
// An INVALID_ARGUMENT error naming the offending request field (`field` in metadata, and the
// message starts with it), as every validator reports bad input.
Error InvalidField(const std::string& field, const std::string& problem);

// Status
//
// Success, or an `Error`. Cheap to copy when OK.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

// Result
//
// A value of type `T`, or an `Error`.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return ok() ? Status() : Status(error()); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace gpop::core

#endif  // GPOP_SERVICE_CORE_ERROR_H_
