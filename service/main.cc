// gpopd: the gpop daemon. Serves gpop.v1.GroupPolicyOperations and google.longrunning.Operations
// over gRPC on one engine and one backend, until SIGTERM or SIGINT (Windows: Ctrl-C, or the
// service's stop with --windows_service) starts a planned shutdown (service/platform).
//
// Flags (absl flags; `gpopd --help` lists them all):
//   --listen=127.0.0.1:50051  host:port, [ipv6]:port or unix:PATH; port 0 picks a free port.
//                             Loopback only unless TLS or --insecure.
//   --backend=sysvol          which backend runs operations, each with its own flags
//                             (service/backend_flags.h: --sysvol, --domain, --backup_locations,
//                             --state_dir, ...).
//   --config=FILE             read flags from FILE, one "--name=value" per line ('#' starts a
//                             comment line); the same as absl's built-in --flagfile=FILE. Flags
//                             given after it on the command line override the file.
//   --health_listen=HOST:PORT a second, plaintext listener serving only grpc.health.v1 (for
//                             kubelet's gRPC probes); any address, no --insecure needed.
//   --port_file=PATH          write the bound port there once listening (scripts and tests).
//   --log_format=text|json   log lines on stderr, tagged with the operation id, request id and
//                             principal; credentials are redacted (service/api/log.h).
//   --tls_cert, --tls_key, --tls_client_ca, --tls_require_client_cert
//                             TLS and mutual TLS (service/api/tls.h), on the gRPC port and the
//                             HTTP listener (--http_listen) alike; --tokens_file and
//                             --auth_policy: who callers are and what they may do
//                             (service/api/auth/auth_files.h). SIGHUP reloads all of these.

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/api/audit_recorder.h"
#include "service/api/auth/configured_authenticator.h"
#include "service/api/event_follower.h"
#include "service/api/log.h"
#include "service/api/operation_log.h"
#include "service/api/page_tokens.h"
#include "service/api/server.h"
#include "service/backend_flags.h"
#include "service/core/backend.h"
#include "service/engine/clock.h"
#include "service/engine/engine.h"
#include "service/http/http_flags.h"
#include "service/metrics/metered_store.h"
#include "service/metrics/metrics.h"
#include "service/metrics/metrics_flags.h"
#include "service/platform/files.h"
#include "service/platform/shutdown.h"
#ifdef _WIN32
#include "service/platform/windows_service.h"
#else
#include "service/api/transfer_service.h"
#include "service/transfer_flags.h"
#endif

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "Address to listen on: host:port, [ipv6]:port or unix:PATH (port 0: any free port). "
          "Must be loopback or a Unix socket unless --insecure is given.");
ABSL_FLAG(std::string, backend, gpop::DefaultBackendName(),
          "Backend that runs operations: \"sysvol\" (Linux: GPO files and GPMC backup folders, "
          "see --sysvol), \"gpmc\" (Windows: the GPMC COM adapter) or \"synthetic\" (scripted "
          "steps, for tests and load only).");
ABSL_FLAG(bool, insecure, false,
          "Allow listening on a non-loopback address without TLS or authentication.");
ABSL_FLAG(int, executor_threads, 4, "Operations that may run at once.");
ABSL_FLAG(absl::Duration, heartbeat, absl::Seconds(15),
          "Idle streams send a heartbeat this often.");
ABSL_FLAG(int, stream_progress_per_second, 5000,
          "Progress items per second sent to all the status streams of one operation together "
          "(each gets the newest value; 0: every change at once).");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(30),
          "On SIGTERM/SIGINT, running operations get this long to finish before they are "
          "cancelled.");
ABSL_FLAG(absl::Duration, shutdown_cancel_bound, absl::Seconds(10),
          "After the grace period, cancelled operations get this long to stop; one still going is "
          "left as it is and resolved by its backend's intent at the next start.");
ABSL_FLAG(absl::Duration, cancel_commit_wait, absl::Milliseconds(5),
          "Cancel of a running operation waits up to this long for the backend to stop before it "
          "commits CANCELLING alone, so that CANCELLING and the terminal event share one commit "
          "(0: commit CANCELLING at once).");
ABSL_FLAG(absl::Duration, end_commit_hold, absl::Milliseconds(2),
          "With the SQLite store, the commit of operation ends that nobody waits for (no status "
          "stream or client watch open) waits up to this long for the next commit something "
          "awaited asks for (a Start's), so that both share one sync; the ends stay invisible "
          "meanwhile (0: commit them at once).");
ABSL_FLAG(absl::Duration, shutdown_deadline, absl::Seconds(5),
          "After the engine stopped, calls still open get this long before they are cancelled.");
ABSL_FLAG(absl::Duration, max_timeout, absl::Hours(24),
          "The longest operation timeout a request may ask for.");
ABSL_FLAG(absl::Duration, default_timeout, absl::Hours(1),
          "The timeout of operations whose request sets none.");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound port is written to this file (atomically) once gpopd listens.");
ABSL_FLAG(std::string, config, "",
          "A file of flags, one --name=value per line (lines starting with # are comments); "
          "equivalent to --flagfile. Later command-line flags override it.");
ABSL_FLAG(std::string, log_format, "text",
          "Log lines on stderr as \"text\" (time, level, op=, req=, principal=, message) or "
          "\"json\" (one object per line, for log collectors).");
#ifdef _WIN32
ABSL_FLAG(bool, windows_service, false,
          "Run as the Windows service gpopd, started by the Service Control Manager (the "
          "service's binPath passes it); the service's stop starts the planned shutdown.");
#endif

// Health probes (kubelet's gRPC probes do neither TLS nor client certificates).
ABSL_FLAG(std::string, health_listen, "",
          "If set, host:port of a second, plaintext gRPC listener that serves only "
          "grpc.health.v1.Health (liveness \"\", readiness \"gpop.v1.GroupPolicyOperations\", "
          "NOT_SERVING while draining). It exposes no data, so it may bind a non-loopback "
          "address without --insecure.");

// Security (issue 8): TLS, credentials and grants. SIGHUP reloads the files.
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain: serve --listen over TLS.");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert.");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA bundle: accept client certificates that chain to it (mutual TLS); map their "
          "identities to principals with cert lines in --auth_policy.");
ABSL_FLAG(bool, tls_require_client_cert, false, "Refuse TLS clients without a certificate.");
ABSL_FLAG(std::string, tokens_file, "",
          "Bearer tokens, hashed: lines \"PRINCIPAL sha256:HEX EXPIRY\". With it or "
          "--auth_policy every call needs a credential.");
ABSL_FLAG(std::string, auth_policy, "",
          "Grants, certificate identities and Unix uids: lines \"grant PRINCIPAL ROLE "
          "[kind=K] [gpo=P] [label=K=V]\", \"cert IDENTITY PRINCIPAL\", \"uid UID PRINCIPAL\", "
          "\"limit PRINCIPAL [starts_per_minute=N] [max_running=N] [max_queued=N] "
          "[max_streams=N]\".");
ABSL_FLAG(double, start_rate_per_minute, 0,
          "StartOperation calls per principal and minute, on average (0: unlimited); a "
          "\"limit PRINCIPAL starts_per_minute=N\" line in --auth_policy overrides it.");
ABSL_FLAG(int, start_burst, 10, "StartOperation calls a principal may make at once.");
ABSL_FLAG(int, max_running_per_principal, 4,
          "Operations one principal may run at once (a policy max_running= overrides it).");
ABSL_FLAG(int, max_queued_per_principal, 200,
          "Operations one principal may have queued (a policy max_queued= overrides it).");
ABSL_FLAG(int, max_streams_per_principal, 5000,
          "Open streams per principal (a policy max_streams= overrides it).");
ABSL_FLAG(int, retained_operations, 10000,
          "Finished operations kept (with their events and results) before the oldest go.");
ABSL_FLAG(int, max_request_bytes, 4 << 20, "The largest request message accepted.");
ABSL_DECLARE_FLAG(std::string, state_dir);

namespace gpop {
namespace {

// Rewrites --config FILE / --config=FILE as absl's --flagfile=FILE, so that the file is parsed
// in place by absl itself.
std::vector<char*> RewriteConfigFlag(int argc, char** argv, std::vector<std::string>* storage) {
  storage->reserve(argc);
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    for (const char* prefix : {"--config=", "-config="}) {
      if (arg.rfind(prefix, 0) == 0) arg = "--flagfile=" + arg.substr(std::strlen(prefix));
    }
    if ((arg == "--config" || arg == "-config") && i + 1 < argc)
      arg = "--flagfile=" + std::string(argv[++i]);
    storage->push_back(arg);
  }
  for (std::string& arg : *storage) args.push_back(arg.data());
  return args;
}

bool WritePortFile(const std::string& path, int port) {
  return platform::WriteFileAtomically(path, std::to_string(port) + "\n").ok();
}

engine::Duration ToDuration(absl::Duration d) {
  return std::chrono::duration_cast<engine::Duration>(absl::ToChronoNanoseconds(d));
}

// Serves until `shutdown` fires; `ready` is called once gpopd listens.
int Run(platform::ShutdownTrigger& shutdown, const std::function<void()>& ready) {
  absl::StatusOr<std::unique_ptr<core::Backend>> backend =
      MakeBackendFromFlags(absl::GetFlag(FLAGS_backend));
  if (!backend.ok()) {
    std::fprintf(stderr, "gpopd: %s\n", std::string(backend.status().message()).c_str());
    return 2;
  }
  engine::EngineOptions engine_options;
  engine_options.executor_threads = absl::GetFlag(FLAGS_executor_threads);
  engine_options.heartbeat_interval = ToDuration(absl::GetFlag(FLAGS_heartbeat));
  engine_options.stream_progress_per_second = absl::GetFlag(FLAGS_stream_progress_per_second);
  engine_options.max_timeout = ToDuration(absl::GetFlag(FLAGS_max_timeout));
  engine_options.default_timeout = ToDuration(absl::GetFlag(FLAGS_default_timeout));
  engine_options.max_running_per_principal = absl::GetFlag(FLAGS_max_running_per_principal);
  engine_options.max_queued_per_principal = absl::GetFlag(FLAGS_max_queued_per_principal);
  engine_options.max_streams_per_principal = absl::GetFlag(FLAGS_max_streams_per_principal);
  engine_options.retained_operations = absl::GetFlag(FLAGS_retained_operations);
  engine_options.shutdown_cancel_bound = ToDuration(absl::GetFlag(FLAGS_shutdown_cancel_bound));
  engine_options.cancel_commit_wait = ToDuration(absl::GetFlag(FLAGS_cancel_commit_wait));
  engine_options.end_commit_hold = ToDuration(absl::GetFlag(FLAGS_end_commit_hold));
  if (engine_options.executor_threads < 1 || engine_options.retained_operations < 1 ||
      engine_options.heartbeat_interval <= engine::Duration::zero() ||
      engine_options.shutdown_cancel_bound < engine::Duration::zero() ||
      engine_options.cancel_commit_wait < engine::Duration::zero() ||
      engine_options.end_commit_hold < engine::Duration::zero() ||
      engine_options.max_timeout <= engine::Duration::zero() ||
      engine_options.default_timeout <= engine::Duration::zero() ||
      engine_options.default_timeout > engine_options.max_timeout) {
    std::fprintf(stderr,
                 "gpopd: --executor_threads, --retained_operations, --heartbeat and the timeouts "
                 "must be positive, --shutdown_cancel_bound not negative, --cancel_commit_wait "
                 "not negative, --end_commit_hold not negative, and --default_timeout at most "
                 "--max_timeout\n");
    return 2;
  }

  engine::RealClock clock;
  std::unique_ptr<api::ConfiguredAuthenticator> authenticator;
  if (!absl::GetFlag(FLAGS_tokens_file).empty() || !absl::GetFlag(FLAGS_auth_policy).empty()) {
    absl::StatusOr<std::unique_ptr<api::ConfiguredAuthenticator>> loaded =
        api::ConfiguredAuthenticator::Load(absl::GetFlag(FLAGS_tokens_file),
                                           absl::GetFlag(FLAGS_auth_policy), &clock);
    if (!loaded.ok()) {
      std::fprintf(stderr, "gpopd: %s\n", std::string(loaded.status().message()).c_str());
      return 2;
    }
    authenticator = *std::move(loaded);
    // The policy file's "limit" lines, as of its last (re)load.
    engine_options.principal_limits = [auth = authenticator.get()](const std::string& principal) {
      return auth->LimitsOf(principal);
    };
  }
  absl::StatusOr<std::unique_ptr<engine::Store>> store = OpenStoreFromFlags();
  if (!store.ok()) {
    std::fprintf(stderr, "gpopd: operation store: %s\n",
                 std::string(store.status().message()).c_str());
    return 2;
  }
  // Prometheus' registry: the store's commits (MeteredStore) and the engine's (Metrics) together.
  auto registry = std::make_shared<prometheus::Registry>();
  metrics::MeteredStore metered_store(store->get(), *registry, &clock);
  engine::Engine engine(engine_options, backend->get(), &metered_store, &clock);
#ifndef _WIN32
  // The uploads open (their interrupted publishes finished or undone, manifest.xml in step)
  // before the engine's recovery runs queued operations: an import set, backup or listing never
  // sees k of an upload's n backups. The backend's start-up sweep ran before (backend_flags.cc);
  // its manifest.xml repair may list such k, which this recovery rewrites either way.
  absl::StatusOr<std::unique_ptr<transfer::UploadStore>> uploads =
      OpenUploadsFromFlags(backend->get());
  if (!uploads.ok()) {
    std::fprintf(stderr, "gpopd: uploads: %s\n", std::string(uploads.status().message()).c_str());
    return 2;
  }
#endif
  if (absl::Status s = engine.Recover(); !s.ok()) {
    std::fprintf(stderr, "gpopd: recovery failed: %s\n", s.ToString().c_str());
    return 1;
  }
  // gpopd's own observers of the events share one watch and one thread (started below).
  api::EventFollower followers(&engine, "gpopd-followers");
  api::OperationLog operation_log(&engine, &followers);     // a line per state change
  metrics::Metrics metrics(&engine, registry, &followers);  // Prometheus' text, at GET /metrics
  absl::StatusOr<std::unique_ptr<audit::AuditLog>> audit_log =
      OpenAuditLogFromFlags(store->get(), engine_options.retained_operations);
  if (!audit_log.ok()) {
    std::fprintf(stderr, "gpopd: audit log: %s\n",
                 std::string(audit_log.status().message()).c_str());
    return 2;
  }
  // FINISH entries from events.
  api::AuditRecorder audit_recorder(&engine, audit_log->get(), &followers);
  followers.Start();

  api::ServerOptions server_options;
  server_options.listen = absl::GetFlag(FLAGS_listen);
  server_options.insecure = absl::GetFlag(FLAGS_insecure);
  server_options.health_listen = absl::GetFlag(FLAGS_health_listen);
  if (authenticator != nullptr) server_options.authenticator = authenticator.get();
  server_options.tls.cert_file = absl::GetFlag(FLAGS_tls_cert);
  server_options.tls.key_file = absl::GetFlag(FLAGS_tls_key);
  server_options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  server_options.tls.require_client_cert = absl::GetFlag(FLAGS_tls_require_client_cert);
  server_options.tls.staging_dir = absl::GetFlag(FLAGS_state_dir) + "/tls";
  server_options.max_receive_message_bytes = absl::GetFlag(FLAGS_max_request_bytes);
  server_options.service.start_rate_per_minute = absl::GetFlag(FLAGS_start_rate_per_minute);
  server_options.service.start_burst = absl::GetFlag(FLAGS_start_burst);
  server_options.service.clock = &clock;
  server_options.service.audit_log = audit_log->get();
  // Page tokens stay valid across restarts when the state folder exists.
  const std::string key_file = absl::GetFlag(FLAGS_state_dir) + "/page_token.key";
  if (absl::StatusOr<std::string> key = api::PageTokenSealer::LoadOrCreateKey(key_file); key.ok()) {
    server_options.service.page_token_key = *std::move(key);
  } else {
    api::Log(api::LogLevel::kWarning, {},
             "page tokens use a per-process key: " + std::string(key.status().message()));
  }
  server_options.service.max_timeout = engine_options.max_timeout;
#ifndef _WIN32
  // gpop.v1.BackupTransfer: uploads and downloads of backups and reports, in chunks.
  server_options.extra_services.push_back(
      [&uploads](api::OperationsApi* api, api::CallAuthentication auth) {
        return std::unique_ptr<grpc::Service>(std::make_unique<api::TransferService>(
            api, auth, uploads->get(), DownloadScratchFromFlags()));
      });
#endif
  absl::StatusOr<std::unique_ptr<api::Server>> server =
      api::Server::Start(server_options, &engine, backend->get(), &clock);
  if (!server.ok()) {
    std::fprintf(stderr, "gpopd: %s\n", std::string(server.status().message()).c_str());
    return 2;
  }
  // The HTTP/JSON + SSE listener and the dashboard (service/http), over the same engine calls.
  absl::StatusOr<std::unique_ptr<http::HttpServer>> http_server = http::StartHttpFromFlags(
      &engine, backend->get(), server_options.service, server_options.insecure,
      server_options.authenticator, &metrics, server_options.tls);
  if (!http_server.ok()) {
    std::fprintf(stderr, "gpopd: %s\n", std::string(http_server.status().message()).c_str());
    return 2;
  }
  // --metrics_listen: /metrics alone, for a scraper outside the pod or host.
  absl::StatusOr<std::unique_ptr<metrics::MetricsListener>> metrics_listener =
      metrics::StartMetricsListenerFromFlags(&metrics);
  if (!metrics_listener.ok()) {
    std::fprintf(stderr, "gpopd: %s\n", std::string(metrics_listener.status().message()).c_str());
    return 2;
  }
  std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty() && !WritePortFile(port_file, (*server)->port())) {
    std::fprintf(stderr, "gpopd: cannot write --port_file %s\n", port_file.c_str());
    return 1;
  }
  api::Log(
      api::LogLevel::kInfo, {},
      "gpopd ready: backend " + (*backend)->name() + ", port " + std::to_string((*server)->port()));

  // SIGHUP (POSIX) reloads the TLS and credential files; a failed reload keeps the old ones.
  shutdown.SetReloadHandler([&authenticator, &server, &http_server] {
    api::Log(api::LogLevel::kInfo, {}, "reloading TLS and credential files");
    if (authenticator != nullptr) {
      absl::Status s = authenticator->Reload();
      api::Log(s.ok() ? api::LogLevel::kInfo : api::LogLevel::kError, {},
               s.ok() ? "credentials reloaded"
                      : "credential reload failed, keeping the old ones: " + s.ToString());
    }
    if (absl::Status s = (*server)->ReloadTls(); !s.ok()) {
      api::Log(api::LogLevel::kError, {},
               "TLS reload failed, keeping the old files: " + s.ToString());
    }
    if (*http_server != nullptr) (*http_server)->ReloadTls().IgnoreError();  // logs its outcome
  });
  ready();

  const std::string why = shutdown.Wait();
  shutdown.SetReloadHandler(nullptr);  // it refers to this frame's locals
  api::Log(api::LogLevel::kInfo, {}, "received " + why + ": planned shutdown");
  (*server)->Shutdown(ToDuration(absl::GetFlag(FLAGS_shutdown_grace)),
                      ToDuration(absl::GetFlag(FLAGS_shutdown_deadline)));
  // The engine's shutdown above ended every SSE stream; now close the HTTP listener.
  if (*http_server != nullptr) (*http_server)->Shutdown();
  server->reset();
  return 0;
}

}  // namespace
}  // namespace gpop

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so every absl::Mutex (gRPC's) would keep a lock
  // graph for deadlock detection (GraphCycles, 2-3% of the CPU of a Start under load).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::SetProgramUsageMessage(
      "gpopd: Group Policy operations over gRPC.\n"
      "  gpopd [--listen=127.0.0.1:50051] [--backend=synthetic] [--config=FILE] ...");
  std::vector<std::string> storage;
  std::vector<char*> args = gpop::RewriteConfigFlag(argc, argv, &storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  std::optional<gpop::api::LogFormat> log_format =
      gpop::api::ParseLogFormat(absl::GetFlag(FLAGS_log_format));
  if (!log_format) {
    std::fprintf(stderr, "gpopd: --log_format: expected \"text\" or \"json\"\n");
    return 2;
  }
  gpop::api::SetLogFormat(*log_format);
#ifdef _WIN32
  if (absl::GetFlag(FLAGS_windows_service)) {
    // The SCM waits this long for the stop: the grace period, the call deadline, and slack.
    const absl::Duration stop_hint = absl::GetFlag(FLAGS_shutdown_grace) +
                                     absl::GetFlag(FLAGS_shutdown_cancel_bound) +
                                     absl::GetFlag(FLAGS_shutdown_deadline) + absl::Seconds(10);
    std::optional<int> code = gpop::platform::RunAsWindowsService(
        L"gpopd", static_cast<DWORD>(absl::ToInt64Milliseconds(stop_hint)),
        [](gpop::platform::ShutdownTrigger& shutdown, const std::function<void()>& ready) {
          return gpop::Run(shutdown, ready);
        });
    if (!code) {
      std::fprintf(stderr,
                   "gpopd: --windows_service: not started by the Service Control Manager\n");
      return 2;
    }
    return *code;
  }
#endif
  // Before any thread starts (POSIX: the signal mask is inherited).
  gpop::platform::ShutdownTrigger shutdown;
  return gpop::Run(shutdown, [] {});
}
