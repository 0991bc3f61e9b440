// The Backend interface: how the engine runs one operation on a GPO store, whatever the store is
// (the sysvol tree on Linux, GPMC on Windows, the synthetic script in tests).

#ifndef GPOP_SERVICE_CORE_BACKEND_H_
#define GPOP_SERVICE_CORE_BACKEND_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "service/core/cancel_token.h"
#include "service/core/error.h"
#include "service/core/operation.h"

namespace gpop::core {

// ProgressSink
//
// Where a running backend reports, as GPMC reports through IGPMAsyncProgress::Status. The
// engine's implementation is thread-safe and never blocks for long: a backend may call it from
// any thread, including a COM callback thread.
class ProgressSink {
 public:
  virtual ~ProgressSink() = default;

  // The current fraction of work done. Not an event: only the newest value is kept.
  virtual void Progress(int64_t numerator, int64_t denominator) = 0;

  // Status messages (warnings, errors) and the HRESULT that came with them, if any. Each call
  // becomes one numbered, durable event.
  virtual void Messages(std::vector<StatusMessage> messages, std::optional<uint32_t> hresult) = 0;
};

// RunRequest
//
// What the engine hands to `Backend::Run`.
struct RunRequest {
  std::string operation_id;
  OperationSpec spec;
  std::map<std::string, std::string> labels;
  std::string principal;
};

// Outcome
//
// How a run ended. `error` empty means success with `result`. A cancelled run returns an error
// with Code::kCancelled. `effects` is always set and must never claim a rollback the backend
// cannot provide. `hresult` is the final raw HRESULT when a Windows API produced one.
struct Outcome {
  std::optional<Error> error;
  OperationResult result;
  Effects effects = Effects::kNone;
  std::optional<uint32_t> hresult;
};

// ResourceClaim
//
// A resource an operation reads or writes, named by a string such as "gpo:{GUID}",
// "gpo-name:<lower-case display name>" or "backup-location:<name>". The engine grants
// read/write locks on these first-come first-served before `Run` starts.
struct ResourceClaim {
  enum class Access { kRead, kWrite };
  std::string resource;
  Access access = Access::kRead;
};

// DefaultClaims
//
// The claims implied by a spec alone: GPOs and locations named in it, read or written as the
// kind says. Backends that resolve names may declare more precise claims.
std::vector<ResourceClaim> DefaultClaims(const OperationSpec& spec);

// ValidateSpec
//
// Checks what any backend requires of a spec (required fields, GUID syntax, comment length,
// names without path separators). Errors are INVALID_ARGUMENT naming the field.
Status ValidateSpec(const OperationSpec& spec);

// Backend
//
// Runs operations. Implementations are thread-safe: the engine calls `Run` concurrently for
// operations whose claims do not conflict. `Run` may block; it must poll or subscribe to
// `cancel` and call `cancel.BeginCommit()` immediately before its one atomic publish step.
class Backend {
 public:
  virtual ~Backend() = default;

  // A short name for logs and metrics ("sysvol", "gpmc", "synthetic").
  virtual std::string name() const = 0;

  // Backend-specific checks on top of ValidateSpec, run when the operation is started.
  virtual Status Validate(const OperationSpec& spec) const;

  // The resources the operation will read and write. Called twice: when the operation is
  // started, and again when it is due to run (names may resolve differently by then: the engine
  // then also locks what is new, or refuses the run with RESOURCES_CHANGED). May do I/O.
  virtual std::vector<ResourceClaim> Claims(const OperationSpec& spec) const;

  // Runs one operation to its end.
  virtual Outcome Run(const RunRequest& request, ProgressSink& sink, CancelToken& cancel) = 0;

  // Resolves an operation that was running when the server stopped, by its id: rolls its
  // recorded intent forward (returns the successful Outcome) or back (returns nullopt: effects
  // NONE). Backends without intents return nullopt.
  virtual std::optional<Outcome> Recover(const std::string& operation_id);

  // Whether Recover knows every run by its operation id, whatever point it reached: nullopt
  // then means that the run left no effects (it never began, or it was rolled back), so running
  // the operation again is safe. The engine may then start a run before its RUNNING event is
  // durable, and at start-up asks Recover about QUEUED operations too (a crash may have taken a
  // RUNNING event whose run had begun). Default false: a run waits for its RUNNING commit.
  virtual bool RecoversEveryRun() const { return false; }

  // Listings, served outside the operation queue. Default: UNIMPLEMENTED.
  virtual Result<std::vector<GpoInfo>> ListGpos() const;
  // A value that changes whenever ListGpos's answer may have changed (a GPO created, removed,
  // renamed or given a new version, by gpop or not), far cheaper than listing: callers reuse a
  // listing while it stays the same. nullopt (the default): unknown, list again every time.
  virtual std::optional<uint64_t> GposGeneration() const { return std::nullopt; }
  struct BackupQuery {
    std::string location;  // empty = default
    GpoRef gpo;            // empty = all
  };
  virtual Result<std::vector<BackupInfo>> ListBackups(const BackupQuery& query) const;
};

}  // namespace gpop::core

#endif  // GPOP_SERVICE_CORE_BACKEND_H_
