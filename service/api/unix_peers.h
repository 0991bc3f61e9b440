// gpopd's Unix socket, accepted by gpopd itself so that each connection's peer credentials
// (SO_PEERCRED) are read before the connection is handed to gRPC
// (grpc::AddInsecureChannelFromFd). gRPC names such a connection's peer "fd:<N>"; UnixPeers maps
// that name to the uid read at accept time.

#ifndef GPOP_SERVICE_API_UNIX_PEERS_H_
#define GPOP_SERVICE_API_UNIX_PEERS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "service/core/mutex.h"

namespace grpc {
class Server;
}  // namespace grpc

namespace gpop::api {

// UnixPeers
//
// The uid behind each accepted connection, by gRPC peer name. Thread-safe. A file descriptor
// number is reused only after gRPC closed the connection that had it, and the new connection's
// uid is recorded before gRPC sees it, so a name always maps to its current connection.
class UnixPeers {
 public:
  void Register(int fd, uint32_t uid) GPOP_EXCLUDES(mu_);
  std::optional<uint32_t> UidOf(const std::string& peer) const GPOP_EXCLUDES(mu_);

 private:
  mutable core::Mutex mu_;
  std::map<int, uint32_t> uids_ GPOP_GUARDED_BY(mu_);
};

// UnixListener
//
// A listening Unix socket at `path` (mode 0666: any local user may connect; who they are is
// decided by their uid). Serve() accepts on its own thread and hands each connection to the
// server; Stop() (idempotent, also by the destructor) ends the thread and removes the socket.
// Thread-safe.
class UnixListener {
 public:
  // Errors: INVALID_ARGUMENT (path too long), UNAVAILABLE (cannot bind).
  static absl::StatusOr<std::unique_ptr<UnixListener>> Open(const std::string& path,
                                                            UnixPeers* peers);
  ~UnixListener();

  void Serve(grpc::Server* server);
  void Stop();

 private:
  UnixListener(std::string path, int fd, int wake_read, int wake_write, UnixPeers* peers);
  void AcceptLoop(grpc::Server* server);

  const std::string path_;
  const int fd_;
  const int wake_read_;  // a byte written to wake_write_ ends the accept loop
  const int wake_write_;
  UnixPeers* const peers_;
  core::Mutex mu_;
  std::thread thread_ GPOP_GUARDED_BY(mu_);
  bool stopped_ GPOP_GUARDED_BY(mu_) = false;
};

}  // namespace gpop::api

#endif  // GPOP_SERVICE_API_UNIX_PEERS_H_
