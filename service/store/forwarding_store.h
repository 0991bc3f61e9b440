// ForwardingStore: an engine::Store that passes every call to another one, for stores that hook
// one call (measure or fail a commit, hold a delete) and keep the rest as the inner store does:
// gpopd's MeteredStore and the tests' stores.

#ifndef GPOP_SERVICE_STORE_FORWARDING_STORE_H_
#define GPOP_SERVICE_STORE_FORWARDING_STORE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service/engine/store.h"

namespace gpop::store {

// ForwardingStore
//
// Thread-safe as `inner` is; `inner` must outlive it.
class ForwardingStore : public engine::Store {
 public:
  using engine::Store::Load;
  explicit ForwardingStore(engine::Store* inner) : inner_(inner) {}

  absl::Status Commit(const std::vector<Change>& batch) override { return inner_->Commit(batch); }
  bool CommitBlocks() const override { return inner_->CommitBlocks(); }
  absl::Status Delete(const std::string& id, engine::Removal why) override {
    return inner_->Delete(id, why);
  }
  absl::StatusOr<Snapshot> Load(const LoadOptions& options) override {
    return inner_->Load(options);
  }
  absl::StatusOr<std::vector<engine::Event>> ReadEvents(const std::string& id, uint64_t after,
                                                        const PageLimits& limits) override {
    return inner_->ReadEvents(id, after, limits);
  }
  absl::StatusOr<std::vector<engine::Event>> ReadRevisions(uint64_t after,
                                                           const PageLimits& limits) override {
    return inner_->ReadRevisions(after, limits);
  }
  absl::StatusOr<std::string> ReadResult(const std::string& id) override {
    return inner_->ReadResult(id);
  }
  absl::StatusOr<engine::OperationRecord> ReadOperation(const std::string& id) override {
    return inner_->ReadOperation(id);
  }
  absl::StatusOr<engine::OperationRecord> FindRequest(const std::string& principal,
                                                      const std::string& request_id) override {
    return inner_->FindRequest(principal, request_id);
  }
  absl::StatusOr<std::optional<engine::Removal>> RemovalOf(const std::string& id) override {
    return inner_->RemovalOf(id);
  }
  absl::StatusOr<std::vector<Listed>> ListOperations(const ListPosition& before,
                                                     size_t max) override {
    return inner_->ListOperations(before, max);
  }

 protected:
  engine::Store* inner() const { return inner_; }

 private:
  engine::Store* const inner_;
};

}  // namespace gpop::store

#endif  // GPOP_SERVICE_STORE_FORWARDING_STORE_H_
