#include "service/engine/record_size.h"

#include <string>
#include <variant>

namespace gpop::engine {
namespace {

// Per field: its tag, its length prefix or value, and a nested message's header.
constexpr size_t kFieldBytes = 12;
// Numbers, enums, times and the message's fixed parts.
constexpr size_t kFixedBytes = 256;

size_t Str(const std::string& s) { return s.size() + kFieldBytes; }

size_t GpoRefSize(const core::GpoRef& g) { return Str(g.guid) + Str(g.display_name); }
size_t BackupRefSize(const core::BackupRef& b) { return Str(b.location) + Str(b.backup_id); }

size_t SpecSize(const core::OperationSpec& spec) {
  struct Visitor {
    size_t operator()(const core::BackupSpec& s) const {
      return GpoRefSize(s.gpo) + Str(s.location) + Str(s.comment);
    }
    size_t operator()(const core::RestoreSpec& s) const { return BackupRefSize(s.backup); }
    size_t operator()(const core::ImportSpec& s) const {
      return BackupRefSize(s.backup) + GpoRefSize(s.target) + Str(s.migration_table);
    }
    size_t operator()(const core::CopySpec& s) const {
      return GpoRefSize(s.source) + Str(s.new_display_name) + Str(s.migration_table);
    }
    size_t operator()(const core::ReportSpec& s) const {
      if (const auto* g = std::get_if<core::GpoRef>(&s.subject)) return GpoRefSize(*g);
      return BackupRefSize(std::get<core::BackupRef>(s.subject));
    }
    size_t operator()(const core::ImportSetSpec& s) const {
      size_t n = Str(s.location) + Str(s.migration_table);
      for (const std::string& id : s.backup_ids) n += Str(id);
      return n;
    }
  };
  return std::visit(Visitor{}, spec);
}

size_t ResultSize(const core::OperationResult& result) {
  struct Visitor {
    size_t operator()(const std::monostate&) const { return 0; }
    size_t operator()(const core::GpoInfo& g) const {
      size_t n = Str(g.guid) + Str(g.display_name) + Str(g.domain) + Str(g.safety_backup_id);
      for (const core::SettingChange& c : g.predicted_changes) {
        n += kFieldBytes + Str(c.scope) + Str(c.extension) + Str(c.setting) + Str(c.before) +
             Str(c.after);
      }
      return n;
    }
    size_t operator()(const core::BackupInfo& b) const {
      return Str(b.backup_id) + Str(b.location) + Str(b.gpo_guid) + Str(b.gpo_display_name) +
             Str(b.domain) + Str(b.comment);
    }
    size_t operator()(const core::ReportInfo& r) const { return Str(r.content); }
    size_t operator()(const core::ImportSetResult& set) const {
      size_t n = 0;
      for (const core::ImportSetEntry& e : set.entries) {
        n += kFixedBytes + Str(e.backup_id) + Str(e.display_name) + (*this)(e.gpo);
        if (e.error) n += Str(e.error->reason) + Str(e.error->message);
      }
      return n;
    }
  };
  return std::visit(Visitor{}, result);
}

}  // namespace

size_t EstimatedSize(const OperationRecord& record) {
  size_t n = kFixedBytes + Str(record.id) + Str(record.principal) + Str(record.request_id) +
             SpecSize(record.spec) + ResultSize(record.result);
  for (const auto& [key, value] : record.labels) n += kFieldBytes + Str(key) + Str(value);
  if (record.error) {
    n += Str(record.error->reason) + Str(record.error->message);
    for (const auto& [key, value] : record.error->metadata)
      n += kFieldBytes + Str(key) + Str(value);
  }
  return n;
}

}  // namespace gpop::engine
