// Reading an engine::Cursor the way a gRPC reactor does, for tests and benchmarks.

#ifndef GPOP_TESTS_ENGINE_CURSOR_TESTING_H_
#define GPOP_TESTS_ENGINE_CURSOR_TESTING_H_

#include <variant>

#include "service/core/mutex.h"
#include "service/engine/engine.h"

namespace gpop::testing {

// NextBlocking
//
// The cursor's next item or end: polls, and when nothing is pending arms the cursor and waits
// for its wake (no sleeping, no timeout).
inline engine::Cursor::Next NextBlocking(engine::Cursor* cursor) {
  for (;;) {
    engine::Cursor::Next next = cursor->Poll();
    if (!std::holds_alternative<engine::Cursor::Pending>(next)) return next;
    core::Mutex mu;
    core::CondVar cv;
    bool woken = false;
    if (!cursor->Arm([&] {
          core::MutexLock lock(&mu);
          woken = true;
          cv.SignalAll();
        })) {
      continue;
    }
    core::MutexLock lock(&mu);
    while (!woken) cv.Wait(&mu);
  }
}

}  // namespace gpop::testing

#endif  // GPOP_TESTS_ENGINE_CURSOR_TESTING_H_
