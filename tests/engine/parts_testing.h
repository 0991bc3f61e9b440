// The engine's parts, wired as the engine wires them, over a memory store (or a test store), a
// fake clock and the gate backend, for the part tests: each drives the part it tests directly.

#ifndef GPOP_TESTS_ENGINE_PARTS_TESTING_H_
#define GPOP_TESTS_ENGINE_PARTS_TESTING_H_

#include <memory>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "service/engine/engine_parts.h"
#include "service/engine/status_convert.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/engine/gate_backend.h"

namespace gpop::testing {

// A backup of the GPO numbered `n` into a location of its own (each its own resources: such
// backups run at the same time).
inline core::OperationSpec BackupSpec(int n) {
  core::BackupSpec b;
  char guid[64];
  std::snprintf(guid, sizeof guid, "{AAAAAAAA-0000-0000-0000-%012d}", n);
  b.gpo.guid = guid;
  b.location = "loc" + std::to_string(n);
  return b;
}

inline engine::StartRequest BackupRequest(int n, const std::string& principal = "alice") {
  engine::StartRequest r;
  r.principal = principal;
  r.spec = BackupSpec(n);
  return r;
}

// The reason of an engine status ("" when OK).
inline std::string ReasonOf(const absl::Status& status) {
  return status.ok() ? "" : engine::ToError(status).reason;
}

// PartsHarness
//
// The parts over `store` (a memory store of its own when null).
class PartsHarness {
 public:
  explicit PartsHarness(engine::EngineOptions options = {}, engine::Store* store = nullptr)
      : store_(store != nullptr ? store : &own_store_),
        parts_(std::make_unique<engine::EngineParts>(options, &backend_, store_, &clock_)) {}

  engine::EngineParts& parts() { return *parts_; }
  engine::EngineCore& core() { return parts_->core; }
  GateBackend& backend() { return backend_; }
  engine::FakeClock& clock() { return clock_; }
  engine::Store& store() { return *store_; }

  // Reads `id`'s status stream to its end (the terminal event durable and sent); returns the
  // last event.
  engine::Event RunToEnd(const std::string& id) {
    auto cursor = parts_->streams.OpenStatusStream("alice", id, 0);
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    engine::Event last;
    if (!cursor.ok()) return last;
    for (;;) {
      engine::Cursor::Next next = NextBlocking(cursor->get());
      if (auto* item = std::get_if<engine::StreamItem>(&next)) {
        if (auto* ev = std::get_if<engine::Event>(item)) last = *ev;
        continue;
      }
      EXPECT_TRUE(std::get<engine::Cursor::End>(next).status.ok());
      return last;
    }
  }

  // Destroys the parts now (a run still inside the backend is abandoned, so open its gate
  // first).
  void Stop() { parts_.reset(); }

 private:
  engine::FakeClock clock_;
  GateBackend backend_;
  store::MemoryStore own_store_;
  engine::Store* const store_;
  std::unique_ptr<engine::EngineParts> parts_;
};

}  // namespace gpop::testing

#endif  // GPOP_TESTS_ENGINE_PARTS_TESTING_H_
