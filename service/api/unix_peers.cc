// gpopd's Unix socket and its peers' uids (see unix_peers.h).

#include "service/api/unix_peers.h"

#ifndef _WIN32
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <cstring>

#include "grpcpp/server.h"
#ifndef _WIN32
#include "grpcpp/server_posix.h"
#endif
#include "service/api/log.h"

namespace gpop::api {

void UnixPeers::Register(int fd, uint32_t uid) {
  core::MutexLock lock(&mu_);
  uids_[fd] = uid;
}

std::optional<uint32_t> UnixPeers::UidOf(const std::string& peer) const {
  if (peer.rfind("fd:", 0) != 0) return std::nullopt;
  int fd = 0;
  for (size_t i = 3; i < peer.size(); ++i) {
    if (peer[i] < '0' || peer[i] > '9' || fd > 1000000) return std::nullopt;
    fd = fd * 10 + (peer[i] - '0');
  }
  core::MutexLock lock(&mu_);
  auto it = uids_.find(fd);
  if (it == uids_.end()) return std::nullopt;
  return it->second;
}

#ifdef _WIN32
// Windows has no SO_PEERCRED and gRPC no AddInsecureChannelFromFd there: no Unix listener.
absl::StatusOr<std::unique_ptr<UnixListener>> UnixListener::Open(const std::string& path,
                                                                 UnixPeers* peers) {
  return absl::UnimplementedError("unix:" + path +
                                  ": Unix sockets with peer credentials are POSIX only");
}
UnixListener::UnixListener(std::string path, int fd, int wake_read, int wake_write,
                           UnixPeers* peers)
    : path_(std::move(path)),
      fd_(fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      peers_(peers) {}
UnixListener::~UnixListener() = default;
void UnixListener::Serve(grpc::Server* server) {}
void UnixListener::Stop() {}
void UnixListener::AcceptLoop(grpc::Server* server) {}
#else
absl::StatusOr<std::unique_ptr<UnixListener>> UnixListener::Open(const std::string& path,
                                                                 UnixPeers* peers) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError("unix:" + path + ": the socket path must be 1-" +
                                      std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(std::string("socket: ") + std::strerror(errno));
  // A socket file left by a previous gpopd is replaced; anything else at the path is not.
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      chmod(path.c_str(), 0666) != 0 || listen(fd, 128) != 0) {
    std::string error = std::strerror(errno);
    close(fd);
    return absl::UnavailableError("cannot listen on unix:" + path + ": " + error);
  }
  int wake[2];
  if (pipe2(wake, O_CLOEXEC) != 0) {
    close(fd);
    return absl::UnavailableError(std::string("pipe: ") + std::strerror(errno));
  }
  return std::unique_ptr<UnixListener>(new UnixListener(path, fd, wake[0], wake[1], peers));
}

UnixListener::UnixListener(std::string path, int fd, int wake_read, int wake_write,
                           UnixPeers* peers)
    : path_(std::move(path)),
      fd_(fd),
      wake_read_(wake_read),
      wake_write_(wake_write),
      peers_(peers) {}

UnixListener::~UnixListener() {
  Stop();
  close(fd_);
  close(wake_read_);
  close(wake_write_);
}

void UnixListener::Serve(grpc::Server* server) {
  core::MutexLock lock(&mu_);
  if (stopped_ || thread_.joinable()) return;
  thread_ = std::thread([this, server] { AcceptLoop(server); });
}

void UnixListener::Stop() {
  std::thread thread;
  {
    core::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    thread = std::move(thread_);
  }
  char byte = 0;
  while (write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
  }
  if (thread.joinable()) thread.join();
  unlink(path_.c_str());
}

void UnixListener::AcceptLoop(grpc::Server* server) {
  while (true) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      Log(LogLevel::kError, {}, std::string("unix socket poll: ") + std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    int conn = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (conn < 0) continue;  // the peer went away, or EMFILE: try again on the next poll
    ucred cred{};
    socklen_t len = sizeof(cred);
    if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
      close(conn);
      continue;
    }
    peers_->Register(conn, cred.uid);
    grpc::AddInsecureChannelFromFd(server, conn);  // gRPC owns `conn` from here
  }
}

#endif  // _WIN32

}  // namespace gpop::api
