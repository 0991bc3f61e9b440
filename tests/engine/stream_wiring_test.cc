// Stream wiring: the checks a stream's position must pass when it opens, and the wake fan-out:
// a status stream is woken by its operation's changes, a watch only by events its filter
// matches; progress is paced by the number of the operation's status streams.

#include "service/engine/stream_wiring.h"

#include <gtest/gtest.h>

#include <optional>
#include <variant>

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

// Sets `id`'s progress as the executor's sink does (Executor::OnProgress).
void ReportProgress(PartsHarness& h, const std::string& id, int64_t numerator) {
  core::MutexLock lock(&h.core().s.mu);
  Op* op = h.core().s.ops.Find(id);
  ASSERT_NE(op, nullptr);
  op->rec.progress = Progress{numerator, 10, op->rec.last_sequence};
  op->visible.progress = op->rec.progress;
  h.parts().streams.ProgressChangedLocked(op);
}

std::optional<int64_t> ProgressOf(const Cursor::Next& next) {
  const auto* item = std::get_if<StreamItem>(&next);
  if (item == nullptr) return std::nullopt;
  const auto* progress = std::get_if<Progress>(item);
  if (progress == nullptr) return std::nullopt;
  return progress->numerator;
}

TEST(StreamWiringTest, ProgressIsPacedByTheNumberOfStreamsAndTheNewestValueIsShown) {
  EngineOptions options;
  options.stream_progress_per_second = 4;  // 1 stream: 250 ms apart; 2 streams: 500 ms
  options.max_progress_interval = std::chrono::milliseconds(400);
  PartsHarness h(options);
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  h.parts().streams.Drain();
  auto first = h.parts().streams.OpenStatusStream("alice", rec->id, 2);  // after RUNNING
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(std::holds_alternative<Cursor::Pending>((*first)->Poll()));

  ReportProgress(h, rec->id, 1);  // the first value waits one interval too
  EXPECT_TRUE(std::holds_alternative<Cursor::Pending>((*first)->Poll()));
  h.clock().Advance(std::chrono::milliseconds(250));
  h.parts().streams.Drain();
  EXPECT_EQ(ProgressOf((*first)->Poll()), 1);
  ReportProgress(h, rec->id, 2);
  ReportProgress(h, rec->id, 3);
  EXPECT_TRUE(std::holds_alternative<Cursor::Pending>((*first)->Poll()));
  core::Mutex mu;
  int woken = 0;
  ASSERT_TRUE((*first)->Arm([&] {
    core::MutexLock lock(&mu);
    ++woken;
  }));
  h.clock().Advance(std::chrono::milliseconds(249));
  h.parts().streams.Drain();
  {
    core::MutexLock lock(&mu);
    EXPECT_EQ(woken, 0);
  }
  h.clock().Advance(std::chrono::milliseconds(1));
  h.parts().streams.Drain();
  {
    core::MutexLock lock(&mu);
    EXPECT_EQ(woken, 1);
  }
  EXPECT_EQ(ProgressOf((*first)->Poll()), 3);  // the newest; 2 was never shown
  // Get is not paced.
  ReportProgress(h, rec->id, 4);
  auto got = h.parts().reads.Get(rec->id);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->progress.numerator, 4);

  // A second stream doubles the pause, up to max_progress_interval (400 ms, not 500).
  auto second = h.parts().streams.OpenStatusStream("alice", rec->id, 2);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(ProgressOf((*second)->Poll()), 3);        // what the streams are shown
  h.clock().Advance(std::chrono::milliseconds(250));  // 4 was scheduled for 250 ms after 3
  h.parts().streams.Drain();
  EXPECT_EQ(ProgressOf((*first)->Poll()), 4);
  EXPECT_EQ(ProgressOf((*second)->Poll()), 4);
  ReportProgress(h, rec->id, 5);
  h.clock().Advance(std::chrono::milliseconds(399));
  h.parts().streams.Drain();
  EXPECT_TRUE(std::holds_alternative<Cursor::Pending>((*first)->Poll()));
  h.clock().Advance(std::chrono::milliseconds(1));
  h.parts().streams.Drain();
  EXPECT_EQ(ProgressOf((*first)->Poll()), 5);
  EXPECT_EQ(ProgressOf((*second)->Poll()), 5);

  first->reset();
  second->reset();
  h.backend().Open(rec->id);
  h.RunToEnd(rec->id);
}

TEST(StreamWiringTest, WithoutPacingEveryProgressIsShownAtOnce) {
  EngineOptions options;
  options.stream_progress_per_second = 0;
  PartsHarness h(options);
  auto rec = h.parts().admission.Start(BackupRequest(1));
  ASSERT_TRUE(rec.ok());
  h.backend().WaitStarted(rec->id);
  h.parts().streams.Drain();
  auto cursor = h.parts().streams.OpenStatusStream("alice", rec->id, 2);
  ASSERT_TRUE(cursor.ok());
  for (int64_t n = 1; n <= 3; ++n) {
    ReportProgress(h, rec->id, n);
    EXPECT_EQ(ProgressOf((*cursor)->Poll()), n);
  }
  cursor->reset();
  h.backend().Open(rec->id);
  h.RunToEnd(rec->id);
}

}  // namespace
}  // namespace gpop::engine
