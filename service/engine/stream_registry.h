// Open streams: the server-wide and per-principal stream limits, the watch cursors that every
// durable event may concern, how many streams resumed, and whether streams were ended by
// shutdown.

#ifndef GPOP_SERVICE_ENGINE_STREAM_REGISTRY_H_
#define GPOP_SERVICE_ENGINE_STREAM_REGISTRY_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "absl/status/status.h"
#include "service/engine/principal_limits.h"

namespace gpop::engine {

class StreamCursor;  // service/engine/cursors.h

// StreamRegistry
//
// Not thread-safe (the engine guards it with its mutex).
class StreamRegistry {
 public:
  StreamRegistry(int max_streams, PrincipalLimits limits);

  // Counts a new stream of `principal`, or RESOURCE_EXHAUSTED (TOO_MANY_STREAMS).
  absl::Status Reserve(const std::string& principal);
  void Release(const std::string& principal);
  int open() const { return open_; }

  // Watch cursors waiting for a wake.
  std::set<StreamCursor*>& watches() { return watches_; }

  // Open watch streams, armed or not; of them, those of clients (not gpopd's own followers:
  // Engine::WatchFor), which keep the committer from holding a batch.
  void WatchOpened(bool client) {
    ++open_watches_;
    if (client) ++client_watches_;
  }
  void WatchClosed(bool client) {
    --open_watches_;
    if (client) --client_watches_;
  }
  int open_watches() const { return open_watches_; }
  int client_watches() const { return client_watches_; }

  // Streams opened after a position > 0 (a sequence for status streams, a revision for watches):
  // resumes of cut streams, and watches that follow a listing. Counted since construction.
  enum class Kind { kStatus, kWatch };
  void CountResume(Kind kind) { ++resumes_[kind == Kind::kWatch ? 1 : 0]; }
  uint64_t resumes(Kind kind) const { return resumes_[kind == Kind::kWatch ? 1 : 0]; }

  // Shutdown ended every stream; no new one opens.
  bool closed() const { return closed_; }
  void Close() { closed_ = true; }

 private:
  const int max_streams_;
  const PrincipalLimits limits_;
  int open_ = 0;
  std::map<std::string, int> per_principal_;
  std::set<StreamCursor*> watches_;
  int open_watches_ = 0;
  int client_watches_ = 0;
  uint64_t resumes_[2] = {0, 0};  // kStatus, kWatch
  bool closed_ = false;
};

}  // namespace gpop::engine

#endif  // GPOP_SERVICE_ENGINE_STREAM_REGISTRY_H_
