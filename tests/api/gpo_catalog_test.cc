// GpoCatalog: the cached GPO listing is reused while the backend's generation stays, and read
// again as soon as it changes (a GPO created or renamed after the listing was cached is seen).

#include "service/api/gpo_catalog.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "service/core/mutex.h"

namespace gpop::api {
namespace {

// A backend whose GPOs and generation the test sets.
class ListingBackend final : public core::Backend {
 public:
  std::string name() const override { return "listing"; }
  core::Outcome Run(const core::RunRequest&, core::ProgressSink&, core::CancelToken&) override {
    return {};
  }
  core::Result<std::vector<core::GpoInfo>> ListGpos() const override {
    core::MutexLock lock(&mu_);
    return gpos_;
  }
  std::optional<uint64_t> GposGeneration() const override {
    core::MutexLock lock(&mu_);
    return generation_;
  }
  // Changes the GPOs; `bump`: and says so by a new generation.
  void Set(std::vector<core::GpoInfo> gpos, bool bump) {
    core::MutexLock lock(&mu_);
    gpos_ = std::move(gpos);
    if (bump && generation_) ++*generation_;
  }
  void SetGeneration(std::optional<uint64_t> generation) {
    core::MutexLock lock(&mu_);
    generation_ = generation;
  }

 private:
  mutable core::Mutex mu_;
  std::vector<core::GpoInfo> gpos_ GPOP_GUARDED_BY(mu_);
  std::optional<uint64_t> generation_ GPOP_GUARDED_BY(mu_) = 1;
};

core::GpoInfo Gpo(const std::string& guid, const std::string& name) {
  core::GpoInfo info;
  info.guid = guid;
  info.display_name = name;
  return info;
}

std::vector<std::string> Names(const core::Result<GpoCatalog::Listing>& listing) {
  std::vector<std::string> out;
  EXPECT_TRUE(listing.ok());
  if (!listing.ok()) return out;
  for (const core::GpoInfo& info : **listing) out.push_back(info.display_name);
  return out;
}

constexpr char kA[] = "{11111111-1111-4111-8111-111111111111}";
constexpr char kB[] = "{22222222-2222-4222-8222-222222222222}";

TEST(GpoCatalogTest, ReusesTheListingWhileTheGenerationStays) {
  ListingBackend backend;
  backend.Set({Gpo(kA, "Alpha")}, false);
  GpoCatalog catalog(&backend);
  EXPECT_EQ(Names(catalog.Get()), std::vector<std::string>{"Alpha"});
  EXPECT_EQ(Names(catalog.Get()), std::vector<std::string>{"Alpha"});
  EXPECT_EQ(catalog.listings(), 1);
  // A change the backend does not report is not seen: the cache is what answered.
  backend.Set({Gpo(kA, "Alpha"), Gpo(kB, "Beta")}, /*bump=*/false);
  EXPECT_EQ(Names(catalog.Get()), std::vector<std::string>{"Alpha"});
  EXPECT_EQ(catalog.listings(), 1);
}

TEST(GpoCatalogTest, AGpoCreatedOrRenamedAfterTheListingIsSeen) {
  ListingBackend backend;
  backend.Set({Gpo(kA, "Alpha")}, false);
  GpoCatalog catalog(&backend);
  EXPECT_EQ(Names(catalog.Get()), std::vector<std::string>{"Alpha"});
  backend.Set({Gpo(kA, "Alpha"), Gpo(kB, "Beta")}, /*bump=*/true);  // created
  EXPECT_EQ(Names(catalog.Get()), (std::vector<std::string>{"Alpha", "Beta"}));
  backend.Set({Gpo(kA, "Alpha Renamed"), Gpo(kB, "Beta")}, /*bump=*/true);  // renamed
  EXPECT_EQ(Names(catalog.Get()), (std::vector<std::string>{"Alpha Renamed", "Beta"}));
  EXPECT_EQ(catalog.listings(), 3);
}

TEST(GpoCatalogTest, ABackendWithoutAGenerationIsListedEveryTime) {
  ListingBackend backend;
  backend.SetGeneration(std::nullopt);
  backend.Set({Gpo(kA, "Alpha")}, false);
  GpoCatalog catalog(&backend);
  EXPECT_EQ(Names(catalog.Get()), std::vector<std::string>{"Alpha"});
  backend.Set({Gpo(kA, "Renamed")}, false);
  EXPECT_EQ(Names(catalog.Get()), std::vector<std::string>{"Renamed"});
  EXPECT_EQ(catalog.listings(), 2);
  // Once it reports one again, the listing read under it is reused.
  backend.SetGeneration(7);
  EXPECT_EQ(Names(catalog.Get()), std::vector<std::string>{"Renamed"});
  EXPECT_EQ(Names(catalog.Get()), std::vector<std::string>{"Renamed"});
  EXPECT_EQ(catalog.listings(), 3);
}

}  // namespace
}  // namespace gpop::api
