#include "service/engine/admission.h"

#include <map>
#include <memory>
#include <utility>

#include "service/engine/cancellation.h"
#include "service/engine/committer.h"
#include "service/engine/engine_errors.h"
#include "service/engine/executor.h"
#include "service/engine/status_convert.h"

namespace gpop::engine {
namespace {

absl::Status RequestIdReused(const std::string& request_id, const std::string& operation_id) {
  return MakeStatus(core::Code::kAlreadyExists, core::reason::kRequestIdReused,
                    "request_id \"" + request_id + "\" was already used for a different request",
                    {{"request_id", request_id}, {"operation_id", operation_id}});
}

}  // namespace

absl::Status Admission::ValidateRequest(const StartRequest& request) {
  if (core::Status s = core::ValidateSpec(request.spec); !s.ok()) return ToStatus(s);
  if (core::Status s = core_->backend->Validate(request.spec); !s.ok()) return ToStatus(s);
  if (request.timeout && (*request.timeout <= Duration::zero() ||
                          *request.timeout > core_->options.max_timeout)) {
    return MakeStatus(core::Code::kInvalidArgument, core::reason::kInvalidField,
                      "timeout: must be positive and at most the server's maximum",
                      {{"field", "timeout"}});
  }
  return absl::OkStatus();
}

absl::StatusOr<Admission::Admitted> Admission::Admit(const StartRequest& request) {
  if (absl::Status s = ValidateRequest(request); !s.ok()) return s;
  for (;;) {
    absl::StatusOr<StoredRequest> stored = ReadStoredRequest(request);
    if (!stored.ok()) return stored.status();
    Admitted admitted;
    OperationRecord& snapshot = admitted.snapshot;
    uint64_t& revision = admitted.revision;  // wait until it is durable (0: it is)
    core::MutexLock lock(&core_->s.mu);
    if (core_->shutting_down) return ShuttingDown();
    if (core_->s.log.failed()) return core_->committer->StoreFailedLocked();
    if (!request.request_id.empty()) {
      if (Op* op = core_->s.ops.FindByRequest(request.principal, request.request_id)) {
        if (op->rec.fingerprint != request.fingerprint) {
          return RequestIdReused(request.request_id, op->rec.id);
        }
        // The record as the first call returned it; wait like that call while its QUEUED
        // event (still in memory) is not durable.
        bool durable = op->visible_sequence > 0;
        snapshot = durable ? op->visible : op->rec;
        revision = durable ? 0 : op->events.front()->revision;
      } else if (stored->record) {  // finished, and in the store only
        if (stored->record->fingerprint != request.fingerprint) {
          return RequestIdReused(request.request_id, stored->record->id);
        }
        snapshot = *std::move(stored->record);
      } else if (stored->evictions != core_->s.ops.evictions()) {
        continue;  // it may have been created and left memory since the store was read
      }
    }
    if (snapshot.id.empty()) {
      if (absl::Status s = QueueLimitsLocked(request.principal); !s.ok()) return s;
      Op* op = CreateLocked(request);
      snapshot = op->rec;
      revision = op->rec.revision;
      // With a free slot, RUNNING is appended now and rides in the commit that creates the
      // operation (one commit, not two); the answer is the QUEUED record, like the retry's.
      core_->executor->DispatchLocked();
    }
    return admitted;
  }
}

absl::StatusOr<OperationRecord> Admission::Start(const StartRequest& request) {
  absl::StatusOr<Admitted> admitted = Admit(request);
  if (!admitted.ok()) return admitted.status();
  core_->committer->Flush();
  if (absl::Status s = core_->committer->WaitDurable(admitted->revision); !s.ok()) {
    core_->committer->ForgetUndurable(admitted->snapshot.id);
    return s;
  }
  return std::move(admitted->snapshot);
}

void Admission::StartAsync(const StartRequest& request, StartDone done) {
  absl::StatusOr<Admitted> admitted = Admit(request);
  if (!admitted.ok()) {
    done(admitted.status());
    return;
  }
  const uint64_t revision = admitted->revision;
  // Registered before the flush is asked for, so that the batch taking it answers it.
  core_->committer->WhenDurable(
      revision, [core = core_, snapshot = std::move(admitted->snapshot),
                 done = std::move(done)](absl::Status s) mutable {
        if (!s.ok()) {
          core->committer->ForgetUndurable(snapshot.id);
          done(std::move(s));
          return;
        }
        done(std::move(snapshot));
      });
  core_->committer->FlushSoon();
}

absl::Status Admission::QueueLimitsLocked(const std::string& principal) {
  const EngineOptions& o = core_->options;
  if (core_->scheduler.queued() >= o.max_queued) {
    return MakeStatus(core::Code::kResourceExhausted, core::reason::kQueueFull,
                      "too many queued operations on this server; retry later",
                      {{"scope", "server"}, {"limit", std::to_string(o.max_queued)}});
  }
  if (absl::Status room = core_->scheduler.RoomToQueue(principal); !room.ok()) return room;
  return absl::OkStatus();
}

Op* Admission::CreateLocked(const StartRequest& request) {
  auto owned = std::make_unique<Op>();
  Time now = core_->clock->Now();
  OperationRecord& rec = owned->rec;
  rec.id = core_->ids.Next();
  rec.kind = core::KindOf(request.spec);
  rec.state = core::OperationState::kQueued;
  rec.spec = request.spec;
  rec.labels = request.labels;
  rec.principal = request.principal;
  rec.request_id = request.request_id;
  rec.fingerprint = request.fingerprint;
  rec.create_time = now;
  rec.deadline = now + request.timeout.value_or(core_->options.default_timeout);
  owned->labels = std::make_shared<const std::map<std::string, std::string>>(request.labels);
  owned->claims = core_->backend->Claims(request.spec);
  Op* op = core_->s.ops.Add(std::move(owned));
  core_->s.log.Append(op, Event{}, now);  // the QUEUED event
  core_->scheduler.Enqueue(op);
  core_->cancellation->ScheduleDeadlineLocked(op);
  return op;
}

absl::StatusOr<Admission::StoredRequest> Admission::ReadStoredRequest(
    const StartRequest& request) {
  StoredRequest stored;
  if (request.request_id.empty()) return stored;
  {
    core::MutexLock lock(&core_->s.mu);
    stored.evictions = core_->s.ops.evictions();
    if (core_->s.ops.FindByRequest(request.principal, request.request_id)) return stored;
  }
  absl::StatusOr<OperationRecord> rec =
      core_->store->FindRequest(request.principal, request.request_id);
  if (rec.ok()) {
    stored.record = *std::move(rec);
  } else if (!absl::IsNotFound(rec.status())) {
    return rec.status();
  }
  return stored;
}

}  // namespace gpop::engine
