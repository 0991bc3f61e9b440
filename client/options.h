// How the client library reaches a gpop server, and how its streams resume.

#ifndef GPOP_CLIENT_OPTIONS_H_
#define GPOP_CLIENT_OPTIONS_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "client/retry_policy.h"

namespace gpop::client {

// ConnectionOptions
//
// Where the server is and how to talk to it. TLS is off by default because gpopd without TLS
// listens on loopback (and a Unix socket) only.
struct ConnectionOptions {
  // "host:port", "[v6]:port", "dns:///host:port" or "unix:/path/to/socket".
  std::string target = "127.0.0.1:50051";
  // Use TLS; the server is verified against `tls_root_certs_file` (PEM) or the system roots.
  bool tls = false;
  std::string tls_root_certs_file;
  // A client certificate and its key (PEM files) for mutual TLS; both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Deadline of each unary call; zero or negative = none. Streams take their own deadline.
  std::chrono::milliseconds call_timeout{30000};
  // Sent as "authorization: Bearer <token>" on every call when not empty.
  std::string bearer_token;
};

// Sleeper
//
// Waits the given time. Tests inject one that only records the delays.
using Sleeper = std::function<void(std::chrono::milliseconds)>;

// Clock
//
// The current time, used for stream deadlines. Tests inject a fake one.
using Clock = std::function<std::chrono::system_clock::time_point()>;

// ResumeOptions
//
// How `Client`'s streams resume after a cut: the policy prototype (cloned for every stream) and
// the time sources. A null `sleeper` waits for real and is woken early by the stream's Cancel();
// a null `clock` is std::chrono::system_clock::now.
struct ResumeOptions {
  StreamRetryPolicy retry_policy;
  Sleeper sleeper;
  Clock clock;
  // Called on the reader's thread before each wait to resume, with the cut's status and the
  // delay (gpopctl prints "reconnecting" from it). Null = nothing.
  std::function<void(const absl::Status& cut, std::chrono::milliseconds delay)> on_reconnect;
};

// StreamOptions
//
// Options of one stream call.
struct StreamOptions {
  // When the whole stream, across every resume, must end; unset = no deadline. Reaching it ends
  // the stream with DEADLINE_EXCEEDED.
  std::optional<std::chrono::system_clock::time_point> deadline;
};

}  // namespace gpop::client

#endif  // GPOP_CLIENT_OPTIONS_H_
