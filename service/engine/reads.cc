#include "service/engine/reads.h"

#include <algorithm>
#include <map>
#include <memory>
#include <optional>

#include "service/engine/engine_errors.h"
#include "service/engine/large_result.h"
#include "service/engine/listing.h"
#include "service/engine/page_token.h"
#include "service/engine/status_convert.h"

namespace gpop::engine {

using core::OperationState;

Reads::Pin::~Pin() {
  if (core_ == nullptr) return;
  core::MutexLock lock(&core_->s.mu);
  core_->s.ops.Unpin(id_);
}

absl::StatusOr<OperationRecord> Reads::Get(const std::string& id) {
  absl::StatusOr<Pin> pin = PinResident(id);
  if (!pin.ok()) return pin.status();
  OperationRecord rec;
  {
    core::MutexLock lock(&core_->s.mu);
    absl::Status found = FoundLocked(id);
    if (!found.ok()) return found;
    rec = core_->s.ops.Find(id)->visible;
  }
  if (rec.state != OperationState::kSucceeded || !HasDetachedResult(rec.result)) return rec;
  absl::StatusOr<std::string> content = core_->store->ReadResult(id);  // outside the mutex
  if (content.ok()) {
    AttachLargeResult(&rec.result, *std::move(content));
    return rec;
  }
  if (!absl::IsNotFound(content.status())) return content.status();
  // Removed meanwhile, or a result without a large part (an empty report).
  core::MutexLock lock(&core_->s.mu);
  if (core_->s.ops.Find(id) == nullptr) return RemovedLocked(id);
  return rec;
}

absl::StatusOr<ListResponse> Reads::List(const ListRequest& request) {
  absl::StatusOr<Filter> filter = Filter::Parse(request.filter);
  if (!filter.ok()) return filter.status();
  if (request.page_size < 0) {
    return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                      "page_size: must not be negative", {{"field", "page_size"}});
  }
  int page_size = request.page_size == 0 ? 50 : std::min(request.page_size, 1000);
  ListResponse response;
  Store::ListPosition from;
  if (!request.page_token.empty()) {
    std::optional<PageToken> token = DecodePageToken(request.page_token, filter->Canonical());
    if (!token) {
      return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                        "page_token: invalid, or issued for another filter",
                        {{"field", "page_token"}});
    }
    from.create_revision = token->before_revision;
    response.revision = token->revision;
  } else {
    // Read before the store: a watch from this revision sees every later change again.
    core::MutexLock lock(&core_->s.mu);
    response.revision = core_->s.log.visible_revision();
  }
  // Every retained operation is in the store (records become visible once durable there).
  absl::StatusOr<ListPage> page =
      ReadListPage(*core_->store, *filter, from, static_cast<size_t>(page_size),
                   core_->options.max_list_bytes);
  if (!page.ok()) return page.status();
  response.operations = std::move(page->operations);
  if (page->next) {
    response.next_page_token =
        EncodePageToken({page->next->create_revision, response.revision}, filter->Canonical());
  }
  core::MutexLock lock(&core_->s.mu);
  for (OperationRecord& rec : response.operations) {
    if (const Op* op = core_->s.ops.Find(rec.id)) rec.progress = op->visible.progress;  // current
  }
  return response;
}

absl::StatusOr<Reads::Pin> Reads::PinResident(const std::string& id) {
  for (;;) {
    uint64_t removals;
    {
      core::MutexLock lock(&core_->s.mu);
      if (Op* op = core_->s.ops.Find(id)) {
        if (op->visible_sequence == 0) return OperationNotFound(id);  // not durable yet
        core_->s.ops.Pin(op);
        return Pin(core_, id);
      }
      removals = core_->s.ops.removals();
    }
    absl::StatusOr<OperationRecord> rec = core_->store->ReadOperation(id);
    if (absl::IsNotFound(rec.status())) {
      absl::StatusOr<std::optional<Removal>> removal = core_->store->RemovalOf(id);
      if (!removal.ok()) return removal.status();
      return *removal ? OperationRemoved(id, **removal) : OperationNotFound(id);
    }
    if (!rec.ok()) return rec.status();
    core::MutexLock lock(&core_->s.mu);
    // Resident meanwhile (another reader), or removed meanwhile (the record read may be stale):
    // look again.
    if (core_->s.ops.Find(id) != nullptr || core_->s.ops.removals() != removals) continue;
    if (!core::IsTerminal(rec->state)) continue;  // unfinished ones are always resident
    auto op = std::make_unique<Op>();
    op->labels = std::make_shared<const std::map<std::string, std::string>>(rec->labels);
    op->visible_sequence = rec->last_sequence;
    op->events_base = rec->last_sequence;  // its events are the store's
    op->rec = *rec;
    op->visible = *std::move(rec);
    Op* raw = core_->s.ops.Add(std::move(op));
    core_->s.ops.Pin(raw);
    core_->s.ops.Cache(raw);  // finished and durable: evictable once unpinned
    return Pin(core_, id);
  }
}

absl::Status Reads::FoundLocked(const std::string& id) {
  core_->s.mu.AssertHeld();
  Op* op = core_->s.ops.Find(id);
  if (op != nullptr && op->visible_sequence > 0) return absl::OkStatus();
  if (op != nullptr) return OperationNotFound(id);  // not durable yet: not visible to anyone
  return RemovedLocked(id);  // not resident although PinResident found it: removed meanwhile
}

absl::Status Reads::RemovedLocked(const std::string& id) {
  core_->s.mu.AssertHeld();
  return OperationRemoved(id, core_->s.ops.RemovalOf(id).value_or(Removal::kExpired));
}

}  // namespace gpop::engine
