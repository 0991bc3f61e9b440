// gpopctl ls, gpos, backups and audit (see listing_args.h).

#include "client/ctl/listing_args.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace gpop::ctl {
namespace {

// --since / --until: an RFC 3339 time ("2026-12-02T10:00:00Z").
absl::Status ParseAuditTime(const RawArgs& raw, const std::string& flag,
                            google::protobuf::Timestamp* out) {
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, raw.Get(flag), &time, &error)) {
    return Usage(absl::StrCat("--", flag, ": expected an RFC 3339 time such as ",
                              "2026-12-02T10:00:00Z, got '", raw.Get(flag), "'"));
  }
  const int64_t nanos = absl::ToUnixNanos(time);
  out->set_seconds(nanos / 1000000000 - (nanos % 1000000000 < 0 ? 1 : 0));
  out->set_nanos(static_cast<int32_t>(((nanos % 1000000000) + 1000000000) % 1000000000));
  return absl::OkStatus();
}

absl::Status ParseAudit(const RawArgs& raw, Command* command) {
  command->verb = Verb::kAudit;
  v1::ListAuditEntriesRequest& audit = command->audit;
  audit.set_principal(raw.Get("principal"));
  audit.set_operation_id(raw.Get("operation"));
  if (raw.Has("action")) {
    v1::AuditAction action;
    if (!v1::AuditAction_Parse(
            absl::StrCat("AUDIT_ACTION_", absl::AsciiStrToUpper(raw.Get("action"))), &action) ||
        action == v1::AUDIT_ACTION_UNSPECIFIED) {
      return Usage(absl::StrCat("--action: expected start, cancel, delete or finish, got '",
                                raw.Get("action"), "'"));
    }
    audit.set_action(action);
  }
  if (raw.Has("since")) {
    if (absl::Status s = ParseAuditTime(raw, "since", audit.mutable_start_time()); !s.ok()) {
      return s;
    }
  }
  if (raw.Has("until")) {
    if (absl::Status s = ParseAuditTime(raw, "until", audit.mutable_end_time()); !s.ok()) {
      return s;
    }
  }
  int32_t page_size = 0;
  if (absl::Status s = ParsePageSize(raw, &page_size); !s.ok()) return s;
  if (raw.Has("page-size")) audit.set_page_size(page_size);
  command->audit_all = raw.Has("all");
  return absl::OkStatus();
}

absl::Status ParseList(const RawArgs& raw, Command* command) {
  command->verb = Verb::kList;
  command->list.set_filter(raw.Get("filter"));
  int32_t page_size = 0;
  if (absl::Status s = ParsePageSize(raw, &page_size); !s.ok()) return s;
  if (raw.Has("page-size")) command->list.set_page_size(page_size);
  command->list_all = raw.Has("all");
  return absl::OkStatus();
}

absl::Status ParseBackups(const RawArgs& raw, Command* command) {
  command->verb = Verb::kBackups;
  command->backups.set_location(raw.Get("location"));
  if (raw.Has("gpo")) *command->backups.mutable_gpo() = ParseGpoRef(raw.Get("gpo"));
  return absl::OkStatus();
}

}  // namespace

std::vector<SubcommandArgs> ListingSubcommands() {
  return {
      {"ls",
       {{"filter", true, false}, {"page-size", true, false}, {"all", false, false}},
       /*operation_flags=*/false,
       /*positional=*/false,
       ParseList},
      {"gpos",
       {},
       false,
       false,
       [](const RawArgs&, Command* command) {
         command->verb = Verb::kGpos;
         return absl::OkStatus();
       }},
      {"backups", {{"location", true, false}, {"gpo", true, false}}, false, false, ParseBackups},
      {"audit",
       {{"principal", true, false},
        {"operation", true, false},
        {"action", true, false},
        {"since", true, false},
        {"until", true, false},
        {"page-size", true, false},
        {"all", false, false}},
       false,
       false,
       ParseAudit},
  };
}

}  // namespace gpop::ctl
