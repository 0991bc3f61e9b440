// The engine keeps live operations and a window of recent events; a finished operation's events
// are read back from the store, a page at a time, when a stream replays them. Listing pages are
// bounded in bytes as well as in count.

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "service/backends/synthetic/synthetic_backend.h"
#include "service/engine/engine.h"
#include "service/engine/record_size.h"
#include "service/store/memory_store.h"
#include "tests/engine/cursor_testing.h"
#include "tests/store/forwarding_store.h"

namespace gpop::store {
namespace {

using engine::Cursor;
using engine::Event;
using engine::StreamItem;

// Counts the pages streams read.
class CountingStore final : public gpop::testing::ForwardingStore {
 public:
  CountingStore() : ForwardingStore(&inner_) {}
  absl::StatusOr<std::vector<Event>> ReadEvents(const std::string& id, uint64_t after,
                                                const PageLimits& limits) override {
    ++pages;
    return ForwardingStore::ReadEvents(id, after, limits);
  }
  std::atomic<int> pages{0};

 private:
  MemoryStore inner_;
};

class HistoryTest : public ::testing::Test {
 protected:
  void Make(engine::EngineOptions options) {
    engine_ = std::make_unique<engine::Engine>(options, &backend_, &store_, &clock_);
    ASSERT_TRUE(engine_->Recover().ok());
  }

  std::string Start(std::map<std::string, std::string> labels, std::string comment = "") {
    engine::StartRequest request;
    request.principal = "alice";
    core::BackupSpec spec;
    spec.gpo.display_name = "Workstations";
    spec.comment = std::move(comment);
    request.spec = spec;
    labels["synthetic.step_ms"] = "0";
    request.labels = std::move(labels);
    auto op = engine_->Start(request);
    EXPECT_TRUE(op.ok()) << op.status();
    return op.ok() ? op->id : "";
  }

  // Every event of the stream after `after`, to its end.
  std::vector<Event> Read(const std::string& id, uint64_t after) {
    std::vector<Event> events;
    auto cursor = engine_->OpenStatusStream("alice", id, after);
    EXPECT_TRUE(cursor.ok()) << cursor.status();
    if (!cursor.ok()) return events;
    for (;;) {
      Cursor::Next next = gpop::testing::NextBlocking(cursor->get());
      if (auto* end = std::get_if<Cursor::End>(&next)) {
        EXPECT_TRUE(end->status.ok()) << end->status;
        return events;
      }
      if (const auto* ev = std::get_if<Event>(&std::get<StreamItem>(next))) events.push_back(*ev);
    }
  }

  synthetic::SyntheticBackend backend_;
  CountingStore store_;
  engine::FakeClock clock_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(HistoryTest, AFinishedOperationsEventsAreReplayedFromTheStoreInPages) {
  engine::EngineOptions options;
  options.history_page.max_events = 2;
  options.retained_revisions = 4;  // the watch window: smaller than the operation's history
  Make(options);
  std::string id = Start({{"synthetic.steps", "2"}, {"synthetic.messages", "3"}});
  std::vector<Event> live = Read(id, 0);  // QUEUED, RUNNING, 6 messages, SUCCEEDED
  ASSERT_EQ(live.size(), 9u);
  // Finished: no event of it is held but the window's.
  EXPECT_LE(engine_->stats().retained_events, 4);
  int pages_before = store_.pages.load();
  std::vector<Event> replay = Read(id, 0);
  ASSERT_EQ(replay.size(), live.size());
  for (size_t i = 0; i < replay.size(); ++i) {
    EXPECT_EQ(replay[i].sequence, i + 1);
    EXPECT_EQ(replay[i].revision, live[i].revision);
    EXPECT_EQ(replay[i].state, live[i].state);
  }
  EXPECT_GE(store_.pages.load() - pages_before, 5);  // 9 events, 2 a page
  std::vector<Event> rest = Read(id, 6);
  ASSERT_EQ(rest.size(), 3u);
  EXPECT_EQ(rest.front().sequence, 7u);
}

TEST_F(HistoryTest, ListPagesStayWithinTheByteBoundAndListEverything) {
  engine::EngineOptions options;
  options.max_list_bytes = 20000;
  Make(options);
  std::set<std::string> started;
  for (int i = 0; i < 30; ++i) {
    started.insert(Start({{"synthetic.steps", "1"}}, std::string(2000, 'c')));
  }
  std::set<std::string> listed;
  engine::ListRequest request;
  request.page_size = 1000;
  int pages = 0;
  do {
    auto page = engine_->List(request);
    ASSERT_TRUE(page.ok()) << page.status();
    ASSERT_FALSE(page->operations.empty());
    size_t bytes = 0;
    for (const engine::OperationRecord& rec : page->operations) {
      bytes += engine::EstimatedSize(rec);
      EXPECT_GT(engine::EstimatedSize(rec), 2000u);  // the estimate covers the comment
      EXPECT_TRUE(listed.insert(rec.id).second) << "listed twice: " << rec.id;
    }
    EXPECT_LE(bytes, options.max_list_bytes);
    EXPECT_LT(page->operations.size(), 30u);
    request.page_token = page->next_page_token;
    ++pages;
  } while (!request.page_token.empty() && pages < 100);
  EXPECT_EQ(listed, started);
  EXPECT_GT(pages, 1);
}

TEST_F(HistoryTest, ARecordLargerThanTheBoundStillComesBackAlone) {
  engine::EngineOptions options;
  options.max_list_bytes = 100;  // smaller than any record
  Make(options);
  Start({{"synthetic.steps", "1"}});
  Start({{"synthetic.steps", "1"}});
  auto page = engine_->List({});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->operations.size(), 1u);
  EXPECT_FALSE(page->next_page_token.empty());
}

}  // namespace
}  // namespace gpop::store
