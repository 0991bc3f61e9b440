// Tests of the adapter's IGPMAsyncProgress object and its StatusChannel, under Wine.

#include "service/backends/gpmc/async_progress.h"

#include <gtest/gtest.h>

#include <thread>

#include "service/backends/gpmc/gpmc_ids.h"
#include "tests/gpmc/fake_gpmc.h"

namespace gpop::gpmc {
namespace {

using testing::FakeMessage;
using testing::FakeWorld;
using testing::NewStatusMessages;

class AsyncProgressTest : public ::testing::Test {
 protected:
  void TearDown() override {
    world_.JoinThreads();
    EXPECT_EQ(world_.live(), 0) << "fake COM objects leaked";
    EXPECT_EQ(live_->load(), 0) << "progress objects leaked";
  }

  ScopedMta mta_;
  FakeWorld world_;
  std::shared_ptr<std::atomic<long>> live_ = std::make_shared<std::atomic<long>>(0);
  std::shared_ptr<StatusChannel> channel_ = std::make_shared<StatusChannel>();
};

TEST_F(AsyncProgressTest, UnknownAndReferenceCounting) {
  ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel_, live_);
  EXPECT_EQ(live_->load(), 1);
  HRESULT hr;
  EXPECT_TRUE(progress.As<IUnknown>(&hr));
  EXPECT_EQ(hr, S_OK);
  EXPECT_TRUE(progress.As<IDispatch>(&hr));
  EXPECT_TRUE(progress.As<IGPMAsyncProgress>(&hr));
  // Identity: every IUnknown query gives the same pointer.
  EXPECT_EQ(progress.As<IUnknown>().get(), progress.As<IUnknown>().get());
  void* agile = nullptr;
  EXPECT_EQ(progress->QueryInterface(IID_IAgileObject, &agile), S_OK);
  static_cast<IUnknown*>(agile)->Release();
  // Free-threaded: the free-threaded marshaler answers IMarshal.
  void* marshal = nullptr;
  EXPECT_EQ(progress->QueryInterface(IID_IMarshal, &marshal), S_OK);
  if (marshal) static_cast<IUnknown*>(marshal)->Release();
  void* other = reinterpret_cast<void*>(1);
  EXPECT_EQ(progress->QueryInterface(IID_IGPMResult, &other), E_NOINTERFACE);
  EXPECT_EQ(other, nullptr);
  EXPECT_EQ(progress->QueryInterface(IID_IUnknown, nullptr), E_POINTER);

  EXPECT_EQ(progress->AddRef(), 2u);
  EXPECT_EQ(progress->Release(), 1u);
  progress.Reset();
  EXPECT_EQ(live_->load(), 0);
}

TEST_F(AsyncProgressTest, DispatchWithoutTypeLibrary) {
  ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel_, live_);
  UINT count = 7;
  EXPECT_EQ(progress->GetTypeInfoCount(&count), S_OK);
  EXPECT_EQ(count, 0u);
  ITypeInfo* info = nullptr;
  EXPECT_EQ(progress->GetTypeInfo(0, 0, &info), E_NOTIMPL);
  EXPECT_EQ(info, nullptr);
  wchar_t name[] = L"Status";
  LPOLESTR names[] = {name};
  DISPID id = 0;
  EXPECT_EQ(progress->GetIDsOfNames(IID_NULL, names, 1, 0, &id), DISP_E_UNKNOWNNAME);
  EXPECT_EQ(id, DISPID_UNKNOWN);
  DISPPARAMS params = {};
  EXPECT_EQ(progress->Invoke(1, IID_NULL, 0, DISPATCH_METHOD, &params, nullptr, nullptr, nullptr),
            E_NOTIMPL);
}

TEST_F(AsyncProgressTest, StatusCopiesEverythingOut) {
  ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel_, live_);
  FakeMessage warning{"cn={X}", static_cast<HRESULT>(0x80070002), "Registry", "Run",
                      12,       "could not read a setting"};
  FakeMessage info{"cn={X}", S_OK, "Security", "", 3, "done"};
  IGPMStatusMsgCollection* messages = NewStatusMessages(&world_, {warning, info});
  Variant none;
  EXPECT_EQ(progress->Status(1, 4, S_OK, none.get(), messages), S_OK);
  // The adapter keeps no reference to GPMC's collection: releasing ours frees it.
  messages->Release();
  EXPECT_EQ(world_.live(), 0);

  StatusChannel::Batch batch = channel_->Take();
  ASSERT_EQ(batch.reports.size(), 1u);
  const StatusReport& r = batch.reports[0];
  EXPECT_EQ(r.numerator, 1);
  EXPECT_EQ(r.denominator, 4);
  EXPECT_FALSE(r.final);
  ASSERT_EQ(r.messages.size(), 2u);
  EXPECT_EQ(r.messages[0].object_path, "cn={X}");
  EXPECT_EQ(r.messages[0].error_code, 0x80070002u);
  EXPECT_EQ(r.messages[0].extension_name, "Registry");
  EXPECT_EQ(r.messages[0].settings_name, "Run");
  EXPECT_EQ(r.messages[0].operation_code, 12u);
  EXPECT_EQ(r.messages[0].message, "could not read a setting");
  EXPECT_EQ(r.messages[0].severity, core::Severity::kWarning);
  EXPECT_EQ(r.messages[1].severity, core::Severity::kInfo);
}

TEST_F(AsyncProgressTest, FinalStatusRules) {
  Variant none;
  Variant report = Variant::String("<x/>");
  EXPECT_FALSE(IsFinalStatus(1, 3, S_OK, none.get()));
  EXPECT_FALSE(IsFinalStatus(0, 0, S_OK, nullptr));
  EXPECT_TRUE(IsFinalStatus(3, 3, S_OK, none.get()));
  EXPECT_TRUE(IsFinalStatus(1, 3, E_ABORT, none.get()));
  EXPECT_TRUE(IsFinalStatus(1, 3, S_OK, report.get()));
}

TEST_F(AsyncProgressTest, LateStatusAfterCloseIsDropped) {
  ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel_, live_);
  channel_->Close();
  Variant result = Variant::String("<late/>");
  EXPECT_EQ(progress->Status(2, 2, S_OK, result.get(), nullptr), S_OK);
  EXPECT_EQ(channel_->posts(), 1);
  StatusChannel::Batch batch = channel_->Take();
  EXPECT_TRUE(batch.reports.empty());
}

TEST_F(AsyncProgressTest, StatusFromManyThreadsAtOnce) {
  ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel_, live_);
  constexpr int kThreads = 4;
  constexpr int kCalls = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&progress] {
      Variant none;
      for (int i = 0; i < kCalls; ++i) progress->Status(i, kCalls + 1, S_OK, none.get(), nullptr);
    });
  }
  size_t received = 0;
  while (received < kThreads * kCalls) received += channel_->Wait().reports.size();
  for (auto& t : threads) t.join();
  EXPECT_EQ(received, static_cast<size_t>(kThreads * kCalls));
  EXPECT_EQ(channel_->posts(), kThreads * kCalls);
}

TEST_F(AsyncProgressTest, CancelRequestWakesTheWaiter) {
  std::thread requester([this] { channel_->NoteCancelRequest(); });
  StatusChannel::Batch batch = channel_->Wait();
  requester.join();
  EXPECT_TRUE(batch.cancel_requested);
  // Handed out once.
  EXPECT_FALSE(channel_->Take().cancel_requested);
}

TEST_F(AsyncProgressTest, TimerWakesTheWaiterOnce) {
  std::thread timer([this] { channel_->NoteTimer(); });
  StatusChannel::Batch batch = channel_->Wait();
  timer.join();
  EXPECT_TRUE(batch.timer_fired);
  EXPECT_FALSE(batch.cancel_requested);
  EXPECT_FALSE(channel_->Take().timer_fired);
}

TEST_F(AsyncProgressTest, GpmcIsDoneWhenAFinalStatusArrivesAfterClose) {
  ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel_, live_);
  channel_->Close();
  int done = 0;
  channel_->WhenGpmcDone([&done] { ++done; });
  Variant none;
  progress->Status(1, 3, S_OK, none.get(), nullptr);
  EXPECT_EQ(done, 0);  // progress only: GPMC is still working
  progress->Status(1, 3, E_ABORT, none.get(), nullptr);
  EXPECT_EQ(done, 1);
  progress.Reset();
  EXPECT_EQ(done, 1);  // once
}

TEST_F(AsyncProgressTest, GpmcIsDoneWhenItReleasesTheProgressObject) {
  ComPtr<IGPMAsyncProgress> progress = AsyncProgress::Create(channel_, live_);
  int done = 0;
  channel_->WhenGpmcDone([&done] { ++done; });
  EXPECT_EQ(done, 0);
  progress.Reset();
  EXPECT_EQ(done, 1);
  // Already done: a later subscriber runs at once.
  channel_->WhenGpmcDone([&done] { ++done; });
  EXPECT_EQ(done, 2);
}

}  // namespace
}  // namespace gpop::gpmc
