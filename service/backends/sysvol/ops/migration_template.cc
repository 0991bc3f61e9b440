// Migration table templates (see migration_template.h).

#include "service/backends/sysvol/ops/migration_template.h"

#include <optional>
#include <set>

#include "service/backends/sysvol/backup_reader.h"
#include "service/backends/sysvol/format/text_util.h"
#include "service/backends/sysvol/gpt_reader.h"
#include "service/backends/sysvol/ops/op_util.h"

namespace gpop::sysvol {
namespace {

std::string_view WithoutStar(std::string_view s) {
  return !s.empty() && s.front() == '*' ? s.substr(1) : s;
}

// The name GPMC gives an account in a migration table.
std::string AccountName(const SecurityGroup& g) {
  const MigrationEntryType type = MigrationEntryTypeFromName(g.type);
  const bool is_group = type == MigrationEntryType::kLocalGroup ||
                        type == MigrationEntryType::kGlobalGroup ||
                        type == MigrationEntryType::kUniversalGroup;
  if (g.sam_account_name.empty()) return g.sid;
  if (is_group && !g.dns_domain_name.empty()) {
    return g.sam_account_name + "@" + internal::AsciiLower(g.dns_domain_name);
  }
  if (!g.netbios_domain_name.empty()) return g.netbios_domain_name + "\\" + g.sam_account_name;
  return g.sam_account_name;
}

class TemplateBuilder {
 public:
  explicit TemplateBuilder(const std::vector<SecurityGroup>& groups) : groups_(groups) {}

  void AddPrincipal(std::string_view value) {
    const std::string_view p = WithoutStar(internal::Trim(value));
    if (p.empty()) return;
    // The account Backup.xml records for a SID or a name, so that one principal named by SID
    // in one file and by name in another is one entry.
    for (const SecurityGroup& g : groups_) {
      const bool by_sid = !g.sid.empty() && internal::EqualsNoCase(g.sid, p);
      const bool by_upn = !g.upn.empty() && internal::EqualsNoCase(g.upn, p);
      const bool by_name =
          !g.netbios_domain_name.empty() && !g.sam_account_name.empty() &&
          internal::EqualsNoCase(g.netbios_domain_name + "\\" + g.sam_account_name, p);
      if (by_sid || by_upn || by_name) return AddGroup(g);
    }
    Add(MigrationEntryType::kUnknown, std::string(p));
  }

  void AddGroup(const SecurityGroup& g) { Add(MigrationEntryTypeFromName(g.type), AccountName(g)); }

  void AddPath(const std::string& path) { Add(MigrationEntryType::kUncPath, path); }

  MigrationTable Take() { return std::move(table_); }

 private:
  void Add(MigrationEntryType type, std::string source) {
    if (source.empty()) return;
    const std::string key = std::string(type == MigrationEntryType::kUncPath ? "p:" : "a:") +
                            internal::AsciiLower(source);
    if (!seen_.insert(key).second) return;
    MigrationMapping m;
    m.type = type;
    m.source = std::move(source);
    m.kind = MigrationDestination::kSameAsSource;
    table_.mappings.push_back(std::move(m));
  }

  const std::vector<SecurityGroup>& groups_;
  std::set<std::string> seen_;
  MigrationTable table_;
};

}  // namespace

MigrationTable MigrationTemplate(const std::vector<MigrationReference>& references,
                                 const std::vector<SecurityGroup>& groups,
                                 const std::vector<std::string>& file_paths, bool include_dacl) {
  TemplateBuilder builder(groups);
  for (const MigrationReference& r : references) {
    if (r.unc_path) {
      builder.AddPath(r.value);
    } else {
      builder.AddPrincipal(r.value);
    }
  }
  for (const SecurityGroup& g : groups) {
    if (include_dacl || g.source != "FromDACL") builder.AddGroup(g);
  }
  for (const std::string& p : file_paths) builder.AddPath(std::string(internal::Trim(p)));
  return builder.Take();
}

core::Outcome RunMigrationTableReport(const BackendContext& ctx, const core::ReportSpec& spec,
                                      core::ProgressSink& sink, core::CancelToken& cancel) {
  const int64_t total = 3;
  sink.Progress(0, total);
  std::optional<Dir> live_gpt;
  std::optional<OpenedBackup> backup;
  const Dir* gpt = nullptr;
  if (const auto* ref = std::get_if<core::GpoRef>(&spec.subject)) {
    core::Result<GpoEntry> gpo = ctx.store.Resolve(*ref);
    if (!gpo.ok()) return Failed(gpo.error());
    core::Result<Dir> policies = ctx.store.OpenPolicies();
    if (!policies.ok()) return Failed(policies.error());
    core::Result<Dir> dir = ctx.store.OpenGpt(*policies, *gpo);
    if (!dir.ok()) return Failed(dir.error());
    live_gpt = std::move(*dir);
    gpt = &*live_gpt;
  } else {
    core::Result<OpenedBackup> opened = OpenBackup(
        ctx.locations, std::get<core::BackupRef>(spec.subject), "report.backup.backup_id");
    if (!opened.ok()) return Failed(opened.error());
    backup = std::move(*opened);
    if (backup->gpt) gpt = &*backup->gpt;
  }
  sink.Progress(1, total);
  if (cancel.cancel_requested()) return Failed(CancelledError("report"));

  std::vector<MigrationReference> references;
  if (gpt != nullptr) {
    core::Result<GptTree> tree = WalkGptTree(*gpt);
    if (!tree.ok()) return Failed(tree.error());
    if (backup) {
      // Only the backup's own files: what a publisher left beside them is never imported.
      std::vector<TreeEntry> own;
      for (TreeEntry& e : tree->entries) {
        if (backup->Lists(e)) own.push_back(std::move(e));
      }
      tree->entries = std::move(own);
    }
    const std::vector<SecurityGroup> none;
    core::Result<MigratedFiles> scanned =
        MigrateGpt(*gpt, *tree, MigrationTable(), ctx.config.domain,
                   backup ? backup->backup_xml.security_groups : none);
    if (!scanned.ok()) return Failed(scanned.error());
    references = std::move(scanned->references);
  }
  sink.Progress(2, total);
  if (cancel.cancel_requested()) return Failed(CancelledError("report"));

  const std::vector<SecurityGroup> no_groups;
  const std::vector<std::string> no_paths;
  MigrationTable table = MigrationTemplate(
      references, backup ? backup->backup_xml.security_groups : no_groups,
      backup ? backup->backup_xml.file_paths : no_paths, spec.include_dacl_principals);
  if (spec.include_dacl_principals && !backup) {
    sink.Messages({Warning(gpt != nullptr ? gpt->display() : std::string("report"),
                           "the template lists no principals from the GPO's DACL: the sysvol "
                           "store keeps the GPO's security descriptor as opaque bytes and "
                           "reads no principals from it (a backup's template lists them, from "
                           "its Backup.xml)")},
                  std::nullopt);
  }
  core::ReportInfo info;
  info.format = core::ReportFormat::kMigrationTable;
  info.content = WriteMigrationTable(table);
  sink.Progress(total, total);
  return ReportOutcome(std::move(info), cancel);
}

}  // namespace gpop::sysvol
