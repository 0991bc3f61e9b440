#include "service/store/record_codec.h"

#include <chrono>
#include <cstdint>
#include <utility>

namespace gpop::store {

namespace {

// Version 2 added the safety-backup and dry-run fields of restore, import and copy specs and of
// GpoInfo results (version 1 dropped them: a queued dry run came back as a real run after a
// restart). Version 3 added the record's cancelled_by (last; empty when read from older bytes),
// version 4 the report spec's include_dacl_principals. Older bytes are still read, with the
// fields they lack at their defaults. The import-set spec and result (variant indices 5 and 4)
// came without a new version: older bytes never hold them.
constexpr uint8_t kVersion = 4;
constexpr uint8_t kOldestVersion = 1;

using engine::Time;

// Writer appends fields; Reader reads them back in the same order, remembering the first
// failure (every later read returns a default and `ok()` stays false).
class Writer {
 public:
  // A record or event of a Start is 100-400 bytes: one allocation instead of a growth series.
  Writer() { out_.reserve(512); }
  void U(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  void I(int64_t v) { U((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void B(bool v) { U(v ? 1 : 0); }
  void S(std::string_view s) {
    U(s.size());
    out_.append(s.data(), s.size());
  }
  void T(Time t) {
    I(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
  }
  void OptT(const std::optional<Time>& t) {
    B(t.has_value());
    if (t) T(*t);
  }
  void OptU32(const std::optional<uint32_t>& v) {
    B(v.has_value());
    if (v) U(*v);
  }
  void Map(const std::map<std::string, std::string>& m) {
    U(m.size());
    for (const auto& [k, v] : m) {
      S(k);
      S(v);
    }
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  // The format version the bytes were written with (read from the first varint).
  int version() const { return version_; }
  bool ReadVersion() {
    uint64_t v = U();
    version_ = static_cast<int>(v);
    return v >= kOldestVersion && v <= kVersion;
  }
  bool ok() const { return ok_ && pos_ == in_.size(); }
  bool failed() const { return !ok_; }
  uint64_t U() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) return Fail();
      uint8_t b = static_cast<uint8_t>(in_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  int64_t I() {
    uint64_t u = U();
    return static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  bool B() { return U() != 0; }
  uint32_t U32() {
    uint64_t v = U();
    if (v > UINT32_MAX) return static_cast<uint32_t>(Fail());
    return static_cast<uint32_t>(v);
  }
  int Enum(int lo, int hi) {
    uint64_t v = U();
    if (v < static_cast<uint64_t>(lo) || v > static_cast<uint64_t>(hi)) return Fail(), lo;
    return static_cast<int>(v);
  }
  std::string S() {
    uint64_t n = U();
    if (!ok_ || n > in_.size() - pos_) return Fail(), std::string();
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  Time T() {
    return Time(std::chrono::duration_cast<Time::duration>(std::chrono::nanoseconds(I())));
  }
  std::optional<Time> OptT() {
    if (!B()) return std::nullopt;
    return T();
  }
  std::optional<uint32_t> OptU32() {
    if (!B()) return std::nullopt;
    return U32();
  }
  std::map<std::string, std::string> Map() {
    std::map<std::string, std::string> m;
    uint64_t n = U();
    for (uint64_t i = 0; i < n && ok_; ++i) {
      std::string k = S();
      m[k] = S();
    }
    return m;
  }
  // A count of items that each take at least one byte: larger than what is left is a lie.
  uint64_t Count() {
    uint64_t n = U();
    if (n > in_.size() - pos_) return Fail();
    return n;
  }

 private:
  uint64_t Fail() {
    ok_ = false;
    pos_ = in_.size();
    return 0;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
  int version_ = kVersion;
};

void PutGpoRef(Writer& w, const core::GpoRef& r) {
  w.S(r.guid);
  w.S(r.display_name);
}
core::GpoRef GetGpoRef(Reader& r) {
  core::GpoRef g;
  g.guid = r.S();
  g.display_name = r.S();
  return g;
}
void PutBackupRef(Writer& w, const core::BackupRef& b) {
  w.S(b.location);
  w.S(b.backup_id);
}
core::BackupRef GetBackupRef(Reader& r) {
  core::BackupRef b;
  b.location = r.S();
  b.backup_id = r.S();
  return b;
}

void PutError(Writer& w, const std::optional<core::Error>& e) {
  w.B(e.has_value());
  if (!e) return;
  w.U(static_cast<int>(e->code));
  w.S(e->reason);
  w.S(e->message);
  w.OptU32(e->hresult);
  w.Map(e->metadata);
}

std::optional<core::Error> GetError(Reader& r) {
  if (!r.B()) return std::nullopt;
  core::Error e;
  e.code = static_cast<core::Code>(r.Enum(0, 16));
  e.reason = r.S();
  e.message = r.S();
  e.hresult = r.OptU32();
  e.metadata = r.Map();
  return e;
}

void PutSpec(Writer& w, const core::OperationSpec& spec) {
  w.U(spec.index());
  if (auto* s = std::get_if<core::BackupSpec>(&spec)) {
    PutGpoRef(w, s->gpo);
    w.S(s->location);
    w.S(s->comment);
  } else if (auto* s = std::get_if<core::RestoreSpec>(&spec)) {
    PutBackupRef(w, s->backup);
    w.B(s->safety_backup);
    w.B(s->dry_run);
    w.B(s->dry_run_report);
  } else if (auto* s = std::get_if<core::ImportSpec>(&spec)) {
    PutBackupRef(w, s->backup);
    PutGpoRef(w, s->target);
    w.B(s->create_if_needed);
    w.S(s->migration_table);
    w.B(s->migration_table_only);
    w.B(s->safety_backup);
    w.B(s->dry_run);
    w.B(s->dry_run_report);
  } else if (auto* s = std::get_if<core::CopySpec>(&spec)) {
    PutGpoRef(w, s->source);
    w.S(s->new_display_name);
    w.S(s->migration_table);
    w.B(s->migration_table_only);
    w.B(s->copy_acl);
    w.B(s->dry_run);
    w.B(s->dry_run_report);
  } else if (auto* s = std::get_if<core::ReportSpec>(&spec)) {
    w.U(s->subject.index());
    if (auto* g = std::get_if<core::GpoRef>(&s->subject)) PutGpoRef(w, *g);
    if (auto* b = std::get_if<core::BackupRef>(&s->subject)) PutBackupRef(w, *b);
    w.U(static_cast<int>(s->format));
    w.B(s->include_dacl_principals);
  } else if (auto* s = std::get_if<core::ImportSetSpec>(&spec)) {
    w.S(s->location);
    w.U(s->backup_ids.size());
    for (const std::string& id : s->backup_ids) w.S(id);
    w.S(s->migration_table);
    w.B(s->migration_table_only);
    w.B(s->safety_backup);
    w.B(s->dry_run);
  }
}

core::OperationSpec GetSpec(Reader& r) {
  switch (r.Enum(0, 5)) {
    case 0: {
      core::BackupSpec s;
      s.gpo = GetGpoRef(r);
      s.location = r.S();
      s.comment = r.S();
      return s;
    }
    case 1: {
      core::RestoreSpec s{GetBackupRef(r)};
      if (r.version() >= 2) {
        s.safety_backup = r.B();
        s.dry_run = r.B();
        s.dry_run_report = r.B();
      }
      return s;
    }
    case 2: {
      core::ImportSpec s;
      s.backup = GetBackupRef(r);
      s.target = GetGpoRef(r);
      s.create_if_needed = r.B();
      s.migration_table = r.S();
      s.migration_table_only = r.B();
      if (r.version() >= 2) {
        s.safety_backup = r.B();
        s.dry_run = r.B();
        s.dry_run_report = r.B();
      }
      return s;
    }
    case 3: {
      core::CopySpec s;
      s.source = GetGpoRef(r);
      s.new_display_name = r.S();
      s.migration_table = r.S();
      s.migration_table_only = r.B();
      s.copy_acl = r.B();
      if (r.version() >= 2) {
        s.dry_run = r.B();
        s.dry_run_report = r.B();
      }
      return s;
    }
    case 5: {
      core::ImportSetSpec s;
      s.location = r.S();
      const uint64_t n = r.Count();
      for (uint64_t i = 0; i < n && !r.failed(); ++i) s.backup_ids.push_back(r.S());
      s.migration_table = r.S();
      s.migration_table_only = r.B();
      s.safety_backup = r.B();
      s.dry_run = r.B();
      return s;
    }
    default: {
      core::ReportSpec s;
      if (r.Enum(0, 1) == 0) {
        s.subject = GetGpoRef(r);
      } else {
        s.subject = GetBackupRef(r);
      }
      s.format = static_cast<core::ReportFormat>(r.Enum(1, 3));
      if (r.version() >= 4) s.include_dacl_principals = r.B();
      return s;
    }
  }
}

void PutGpoInfo(Writer& w, const core::GpoInfo& g) {
  w.S(g.guid);
  w.S(g.display_name);
  w.S(g.domain);
  w.U(g.version);
  w.U(g.flags);
  w.T(g.created);
  w.T(g.modified);
  w.S(g.safety_backup_id);
  w.B(g.dry_run);
  w.U(g.predicted_changes.size());
  for (const core::SettingChange& c : g.predicted_changes) {
    w.S(c.scope);
    w.S(c.extension);
    w.S(c.setting);
    w.S(c.before);
    w.S(c.after);
  }
  w.S(g.dry_run_report);
}

core::GpoInfo GetGpoInfo(Reader& r) {
  core::GpoInfo g;
  g.guid = r.S();
  g.display_name = r.S();
  g.domain = r.S();
  g.version = r.U32();
  g.flags = r.U32();
  g.created = r.T();
  g.modified = r.T();
  if (r.version() >= 2) {
    g.safety_backup_id = r.S();
    g.dry_run = r.B();
    const uint64_t changes = r.U();
    for (uint64_t i = 0; i < changes && !r.failed(); ++i) {
      core::SettingChange c;
      c.scope = r.S();
      c.extension = r.S();
      c.setting = r.S();
      c.before = r.S();
      c.after = r.S();
      g.predicted_changes.push_back(std::move(c));
    }
    g.dry_run_report = r.S();
  }
  return g;
}

void PutResult(Writer& w, const core::OperationResult& result) {
  w.U(result.index());
  if (auto* g = std::get_if<core::GpoInfo>(&result)) {
    PutGpoInfo(w, *g);
  } else if (auto* b = std::get_if<core::BackupInfo>(&result)) {
    w.S(b->backup_id);
    w.S(b->location);
    w.S(b->gpo_guid);
    w.S(b->gpo_display_name);
    w.S(b->domain);
    w.S(b->comment);
    w.T(b->time);
  } else if (auto* rep = std::get_if<core::ReportInfo>(&result)) {
    w.U(static_cast<int>(rep->format));
    w.S(rep->content);
  } else if (auto* set = std::get_if<core::ImportSetResult>(&result)) {
    w.U(set->entries.size());
    for (const core::ImportSetEntry& e : set->entries) {
      w.S(e.backup_id);
      w.S(e.display_name);
      w.U(static_cast<int>(e.outcome));
      PutGpoInfo(w, e.gpo);
      PutError(w, e.error);
    }
  }
}

core::OperationResult GetResult(Reader& r) {
  switch (r.Enum(0, 4)) {
    case 1:
      return GetGpoInfo(r);
    case 2: {
      core::BackupInfo b;
      b.backup_id = r.S();
      b.location = r.S();
      b.gpo_guid = r.S();
      b.gpo_display_name = r.S();
      b.domain = r.S();
      b.comment = r.S();
      b.time = r.T();
      return b;
    }
    case 3: {
      core::ReportInfo rep;
      rep.format = static_cast<core::ReportFormat>(r.Enum(1, 3));
      rep.content = r.S();
      return rep;
    }
    case 4: {
      core::ImportSetResult set;
      const uint64_t n = r.Count();
      for (uint64_t i = 0; i < n && !r.failed(); ++i) {
        core::ImportSetEntry e;
        e.backup_id = r.S();
        e.display_name = r.S();
        e.outcome = static_cast<core::ImportSetOutcome>(r.Enum(1, 4));
        e.gpo = GetGpoInfo(r);
        e.error = GetError(r);
        set.entries.push_back(std::move(e));
      }
      return set;
    }
    default:
      return std::monostate();
  }
}

void PutEffects(Writer& w, const std::optional<core::Effects>& e) {
  w.U(e ? static_cast<int>(*e) : 0);
}
std::optional<core::Effects> GetEffects(Reader& r) {
  int v = r.Enum(0, 3);
  if (v == 0) return std::nullopt;
  return static_cast<core::Effects>(v);
}

absl::Status Damaged(const char* what) {
  return absl::DataLossError(std::string("store: a stored ") + what +
                             " cannot be read (damaged, or written by another version)");
}

}  // namespace

std::string EncodeRecord(const engine::OperationRecord& rec) {
  Writer w;
  w.U(kVersion);
  w.S(rec.id);
  w.U(static_cast<int>(rec.kind));
  w.U(static_cast<int>(rec.state));
  PutSpec(w, rec.spec);
  w.Map(rec.labels);
  w.S(rec.principal);
  w.S(rec.request_id);
  w.S(rec.fingerprint);
  w.T(rec.create_time);
  w.OptT(rec.start_time);
  w.OptT(rec.end_time);
  w.T(rec.deadline);
  w.U(rec.last_sequence);
  w.U(rec.revision);
  w.I(rec.progress.numerator);
  w.I(rec.progress.denominator);
  w.U(rec.progress.after_sequence);
  w.B(rec.cancel_requested);
  w.B(rec.committed);
  PutResult(w, rec.result);
  PutError(w, rec.error);
  PutEffects(w, rec.effects);
  w.OptU32(rec.hresult);
  w.S(rec.cancelled_by);
  return w.Take();
}

absl::StatusOr<engine::OperationRecord> DecodeRecord(std::string_view bytes) {
  Reader r(bytes);
  if (!r.ReadVersion()) return Damaged("operation");
  engine::OperationRecord rec;
  rec.id = r.S();
  rec.kind =
      static_cast<core::OperationKind>(r.Enum(1, static_cast<int>(core::kLastOperationKind)));
  rec.state = static_cast<core::OperationState>(r.Enum(1, 6));
  rec.spec = GetSpec(r);
  rec.labels = r.Map();
  rec.principal = r.S();
  rec.request_id = r.S();
  rec.fingerprint = r.S();
  rec.create_time = r.T();
  rec.start_time = r.OptT();
  rec.end_time = r.OptT();
  rec.deadline = r.T();
  rec.last_sequence = r.U();
  rec.revision = r.U();
  rec.progress.numerator = r.I();
  rec.progress.denominator = r.I();
  rec.progress.after_sequence = r.U();
  rec.cancel_requested = r.B();
  rec.committed = r.B();
  rec.result = GetResult(r);
  rec.error = GetError(r);
  rec.effects = GetEffects(r);
  rec.hresult = r.OptU32();
  if (r.version() >= 3) rec.cancelled_by = r.S();
  if (!r.ok()) return Damaged("operation");
  return rec;
}

std::string EncodeEvent(const engine::Event& ev) {
  Writer w;
  w.U(kVersion);
  w.S(ev.operation_id);
  w.U(ev.sequence);
  w.U(ev.revision);
  w.T(ev.time);
  w.U(static_cast<int>(ev.kind));
  w.U(static_cast<int>(ev.state));
  w.OptU32(ev.hresult);
  w.U(ev.messages.size());
  for (const core::StatusMessage& m : ev.messages) {
    w.S(m.object_path);
    w.U(m.error_code);
    w.S(m.extension_name);
    w.S(m.settings_name);
    w.U(m.operation_code);
    w.S(m.message);
    w.U(static_cast<int>(m.severity));
  }
  PutResult(w, ev.result);
  PutError(w, ev.error);
  PutEffects(w, ev.effects);
  return w.Take();
}

absl::StatusOr<engine::Event> DecodeEvent(std::string_view bytes) {
  Reader r(bytes);
  if (!r.ReadVersion()) return Damaged("event");
  engine::Event ev;
  ev.operation_id = r.S();
  ev.sequence = r.U();
  ev.revision = r.U();
  ev.time = r.T();
  ev.kind = static_cast<core::OperationKind>(r.Enum(1, static_cast<int>(core::kLastOperationKind)));
  ev.state = static_cast<core::OperationState>(r.Enum(1, 6));
  ev.hresult = r.OptU32();
  uint64_t n = r.Count();
  for (uint64_t i = 0; i < n && !r.failed(); ++i) {
    core::StatusMessage m;
    m.object_path = r.S();
    m.error_code = r.U32();
    m.extension_name = r.S();
    m.settings_name = r.S();
    m.operation_code = r.U32();
    m.message = r.S();
    m.severity = static_cast<core::Severity>(r.Enum(1, 3));
    ev.messages.push_back(std::move(m));
  }
  ev.result = GetResult(r);
  ev.error = GetError(r);
  ev.effects = GetEffects(r);
  if (!r.ok()) return Damaged("event");
  return ev;
}

}  // namespace gpop::store
