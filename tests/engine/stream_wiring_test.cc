// Stream wiring: the checks a stream's position must pass when it opens, and the wake fan-out:
// a status stream is woken by its operation's changes, a watch only by events its filter
// matches.

#include "service/engine/stream_wiring.h"

#include <gtest/gtest.h>

#include "tests/engine/parts_testing.h"

namespace gpop::engine {
namespace {

using gpop::testing::BackupRequest;
using gpop::testing::PartsHarness;
using gpop::testing::ReasonOf;

TEST(StreamWiringTest, PositionsBeyondTheCurrentOneAreOutOfRange) {
  PartsHarness h;
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().Open(rec->id);
  h.RunToEnd(rec->id);  // sequences 1..3, revisions 1..3
  auto status = h.parts().streams.OpenStatusStream("alice", rec->id, 4);
  EXPECT_TRUE(absl::IsOutOfRange(status.status()));
  auto watch = h.parts().streams.OpenWatch("alice", 4, "");
  EXPECT_TRUE(absl::IsOutOfRange(watch.status()));
  EXPECT_TRUE(absl::IsInvalidArgument(h.parts().streams.OpenWatch("alice", 0, "kind=").status()));
  EXPECT_TRUE(h.parts().streams.OpenStatusStream("alice", rec->id, 3).ok());
  EXPECT_TRUE(h.parts().streams.OpenWatch("alice", 3, "").ok());
  {
    core::MutexLock lock(&h.core().s.mu);
    h.core().s.streams.Close();
  }
  auto closed = h.parts().streams.OpenWatch("alice", 0, "");
  EXPECT_EQ(ReasonOf(closed.status()), core::reason::kShuttingDown);
}

TEST(StreamWiringTest, WakesGoOnlyToCursorsTheChangeConcerns) {
  PartsHarness h;
  auto rec = h.parts().admission.Start(BackupRequest(1));
  auto other = h.parts().admission.Start(BackupRequest(2));
  ASSERT_TRUE(rec.ok() && other.ok());
  h.backend().WaitStarted(rec->id);
  h.backend().WaitStarted(other->id);
  h.parts().streams.Drain();
  uint64_t now;
  {
    core::MutexLock lock(&h.core().s.mu);
    now = h.core().s.log.visible_revision();
  }
  auto status = h.parts().streams.OpenStatusStream("alice", rec->id, 2);  // after RUNNING
  auto backups = h.parts().streams.OpenWatch("alice", now, "kind=backup");
  auto restores = h.parts().streams.OpenWatch("alice", now, "kind=restore");
  ASSERT_TRUE(status.ok() && backups.ok() && restores.ok());
  core::Mutex mu;
  int status_woken = 0, backups_woken = 0, restores_woken = 0;
  auto counter = [&](int* n) {
    return [&mu, n] {
      core::MutexLock lock(&mu);
      ++*n;
    };
  };
  ASSERT_TRUE((*status)->Arm(counter(&status_woken)));
  ASSERT_TRUE((*backups)->Arm(counter(&backups_woken)));
  ASSERT_TRUE((*restores)->Arm(counter(&restores_woken)));
  h.backend().Open(other->id);  // the other operation ends: a backup event
  h.backend().WaitFinished(other->id);
  h.RunToEnd(other->id);
  h.parts().streams.Drain();
  {
    core::MutexLock lock(&mu);
    EXPECT_EQ(status_woken, 0);
    EXPECT_EQ(backups_woken, 1);
    EXPECT_EQ(restores_woken, 0);
  }
  h.backend().Open(rec->id);
  h.RunToEnd(rec->id);
  h.parts().streams.Drain();
  core::MutexLock lock(&mu);
  EXPECT_EQ(status_woken, 1);
  EXPECT_EQ(restores_woken, 0);
}

}  // namespace
}  // namespace gpop::engine
